/*
 * test_principal.c - transitive groups, cycles, superuser status and
 * effective quota, through sd_principal_resolve() with a table of groups
 * standing in for a backend.
 */
#include "config.h"

#include <string.h>

#include "sd_check.h"
#include "sd_principal.h"

/* The groups a fake backend knows: name -> sd_principal*. */
static GHashTable *known;
static guint lookups;
static const char *fail_on;     /* lookup of this name is a TEMPFAIL */

static sd_principal *
add_group(const char *name, uint64_t quota, const char *parent1,
          const char *parent2)
{
    sd_principal *group = sd_principal_new(name, SD_PRINCIPAL_GROUP);
    group->quota = quota;
    if (parent1 != NULL)
        g_ptr_array_add(group->member_of, g_strdup(parent1));
    if (parent2 != NULL)
        g_ptr_array_add(group->member_of, g_strdup(parent2));
    g_hash_table_insert(known, g_strdup(name), group);
    return group;
}

static sd_result
fake_lookup(void *context, const char *name, sd_principal **group,
            GError **error)
{
    (void)context;
    lookups++;
    if (fail_on != NULL && strcmp(name, fail_on) == 0)
        return sd_fail(error, SD_TEMPFAIL, "backend down");
    sd_principal *found = g_hash_table_lookup(known, name);
    if (found == NULL)
        return sd_fail(error, SD_NOTFOUND, "no %s", name);
    *group = sd_principal_copy(found);
    return SD_OK;
}

static void
setup(void)
{
    known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                  (GDestroyNotify)sd_principal_free);
    lookups = 0;
    fail_on = NULL;
}

static void
teardown(void)
{
    g_hash_table_unref(known);
}

static sd_principal *
member_of(const char *name, const char *group1, const char *group2)
{
    sd_principal *p = sd_principal_new(name, SD_PRINCIPAL_INDIVIDUAL);
    if (group1 != NULL)
        g_ptr_array_add(p->member_of, g_strdup(group1));
    if (group2 != NULL)
        g_ptr_array_add(p->member_of, g_strdup(group2));
    return p;
}

static char *
joined_groups(const sd_principal *p)
{
    GString *out = g_string_new("");
    for (guint i = 0; i < p->groups->len; i++)
        g_string_append_printf(out, "%s%s", i ? "," : "",
                               (char *)g_ptr_array_index(p->groups, i));
    return g_string_free(out, FALSE);
}

START_TEST(test_nested_groups_breadth_first)
{
    add_group("staff", 0, "company", NULL);
    add_group("company", 0, "everyone", NULL);
    add_group("devs", 0, "staff", NULL);
    add_group("everyone", 0, NULL, NULL);
    sd_principal *p = member_of("alice", "devs", "ops");
    ck_assert_int_eq(sd_principal_resolve(p, "superusers", fake_lookup, NULL,
                                          NULL), SD_OK);
    char *groups = joined_groups(p);
    /* Direct groups first; "ops" is a label nobody defines. */
    ck_assert_str_eq(groups, "devs,ops,staff,company,everyone");
    g_free(groups);
    ck_assert(!p->superuser);
    ck_assert(p->resolved);
    sd_principal_free(p);
}
END_TEST

START_TEST(test_cycles_end)
{
    add_group("a", 0, "b", NULL);
    add_group("b", 0, "c", NULL);
    add_group("c", 0, "a", "alice");   /* back to the start and to itself */
    sd_principal *p = member_of("alice", "a", NULL);
    ck_assert_int_eq(sd_principal_resolve(p, NULL, fake_lookup, NULL, NULL),
                     SD_OK);
    char *groups = joined_groups(p);
    ck_assert_str_eq(groups, "a,b,c");
    g_free(groups);
    ck_assert_uint_eq(lookups, 3);
    sd_principal_free(p);
}
END_TEST

START_TEST(test_group_names_case_insensitive)
{
    add_group("Staff", 0, "staff", NULL);   /* names itself, other case */
    sd_principal *p = member_of("alice", "staff", "STAFF");
    ck_assert_int_eq(sd_principal_resolve(p, "SuperUsers", fake_lookup, NULL,
                                          NULL), SD_OK);
    ck_assert_uint_eq(p->groups->len, 1);
    ck_assert(!p->superuser);
    sd_principal_free(p);
}
END_TEST

START_TEST(test_superuser_through_groups)
{
    add_group("admins", 0, "superusers", NULL);
    sd_principal *p = member_of("carol", "admins", NULL);
    ck_assert_int_eq(sd_principal_resolve(p, "SUPERUSERS", fake_lookup, NULL,
                                          NULL), SD_OK);
    ck_assert(p->superuser);
    sd_principal_free(p);

    /* An empty superuser-group names nobody. */
    p = member_of("carol", "admins", NULL);
    sd_principal_resolve(p, "", fake_lookup, NULL, NULL);
    ck_assert(!p->superuser);
    sd_principal_free(p);
}
END_TEST

START_TEST(test_superuser_by_class)
{
    sd_principal *p = sd_principal_new("root", SD_PRINCIPAL_ADMIN);
    ck_assert_int_eq(sd_principal_resolve(p, NULL, fake_lookup, NULL, NULL),
                     SD_OK);
    ck_assert(p->superuser);
    sd_principal_free(p);
}
END_TEST

START_TEST(test_quota_own_wins)
{
    add_group("big", 100, NULL, NULL);
    sd_principal *p = member_of("alice", "big", NULL);
    p->quota = 7;
    sd_principal_resolve(p, NULL, fake_lookup, NULL, NULL);
    ck_assert_uint_eq(p->effective_quota, 7);
    sd_principal_free(p);
}
END_TEST

START_TEST(test_quota_largest_group)
{
    add_group("small", 10, "huge", NULL);
    add_group("medium", 50, NULL, NULL);
    add_group("huge", 900, NULL, NULL);   /* reached only transitively */
    sd_principal *p = member_of("alice", "small", "medium");
    sd_principal_resolve(p, NULL, fake_lookup, NULL, NULL);
    ck_assert_uint_eq(p->effective_quota, 900);
    sd_principal_free(p);
}
END_TEST

START_TEST(test_quota_none)
{
    add_group("g", 0, NULL, NULL);
    sd_principal *p = member_of("alice", "g", "undefined");
    sd_principal_resolve(p, NULL, fake_lookup, NULL, NULL);
    ck_assert_uint_eq(p->effective_quota, 0);
    sd_principal_free(p);
}
END_TEST

START_TEST(test_tempfail_propagates)
{
    add_group("a", 0, "b", NULL);
    add_group("b", 500, NULL, NULL);
    fail_on = "b";
    sd_principal *p = member_of("alice", "a", NULL);
    GError *error = NULL;
    ck_assert_int_eq(sd_principal_resolve(p, NULL, fake_lookup, NULL,
                                          &error), SD_TEMPFAIL);
    ck_assert_str_eq(error->message, "backend down");
    ck_assert(!p->resolved);
    g_error_free(error);
    sd_principal_free(p);
}
END_TEST

START_TEST(test_group_limit)
{
    /* A chain longer than SD_MAX_GROUPS ends with an error, not a hang. */
    for (int i = 0; i <= SD_MAX_GROUPS; i++) {
        char name[32], parent[32];
        g_snprintf(name, sizeof name, "g%d", i);
        g_snprintf(parent, sizeof parent, "g%d", i + 1);
        add_group(name, 0, parent, NULL);
    }
    sd_principal *p = member_of("alice", "g0", NULL);
    GError *error = NULL;
    ck_assert_int_eq(sd_principal_resolve(p, NULL, fake_lookup, NULL,
                                          &error), SD_ERROR);
    ck_assert_ptr_nonnull(strstr(error->message, "more than"));
    g_error_free(error);
    sd_principal_free(p);
}
END_TEST

START_TEST(test_type_names)
{
    static const struct { const char *text; sd_principal_type type; } cases[] = {
        { "individual", SD_PRINCIPAL_INDIVIDUAL },
        { "person", SD_PRINCIPAL_INDIVIDUAL },
        { "User", SD_PRINCIPAL_INDIVIDUAL },
        { "group", SD_PRINCIPAL_GROUP },
        { "admin", SD_PRINCIPAL_ADMIN },
        { "superuser", SD_PRINCIPAL_ADMIN },
        { "Administrator", SD_PRINCIPAL_ADMIN },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        sd_principal_type type = 99;
        ck_assert(sd_principal_type_parse(cases[i].text, &type));
        ck_assert_int_eq(type, cases[i].type);
    }
    sd_principal_type type;
    ck_assert(!sd_principal_type_parse("resource", &type));
    ck_assert_str_eq(sd_principal_type_name(SD_PRINCIPAL_ADMIN), "admin");
}
END_TEST

START_TEST(test_json)
{
    sd_principal *p = sd_principal_new("q\"uote", SD_PRINCIPAL_INDIVIDUAL);
    g_ptr_array_add(p->secrets, g_strdup("{PLAIN}hunter2"));
    g_ptr_array_add(p->emails, g_strdup("q@example.org"));
    p->quota = 5;
    GString *out = g_string_new("");
    sd_principal_to_json(p, false, out);
    ck_assert_str_eq(out->str,
        "{\"name\":\"q\\\"uote\",\"type\":\"individual\",\"description\":"
        "null,\"emails\":[\"q@example.org\"],\"lists\":[],\"member_of\":[],"
        "\"quota\":5,\"secrets\":1,\"auth_passwords\":0}");
    g_string_truncate(out, 0);
    sd_principal_to_json(p, true, out);
    ck_assert_ptr_nonnull(strstr(out->str, "\"secrets\":[\"{PLAIN}hunter2\"]"));
    ck_assert_ptr_nonnull(strstr(out->str, "\"auth_passwords\":[]"));
    g_string_free(out, TRUE);
    sd_principal_free(p);
}
END_TEST

START_TEST(test_copy_is_deep)
{
    sd_principal *p = member_of("alice", "g", NULL);
    p->description = g_strdup("d");
    g_ptr_array_add(p->secrets, g_strdup("s"));
    sd_principal *copy = sd_principal_copy(p);
    sd_principal_free(p);
    ck_assert_str_eq(copy->name, "alice");
    ck_assert_str_eq(copy->description, "d");
    ck_assert_str_eq(g_ptr_array_index(copy->secrets, 0), "s");
    ck_assert_str_eq(g_ptr_array_index(copy->member_of, 0), "g");
    sd_principal_free(copy);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("principal");
    TCase *tc = tcase_create("principal");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_nested_groups_breadth_first);
    tcase_add_test(tc, test_cycles_end);
    tcase_add_test(tc, test_group_names_case_insensitive);
    tcase_add_test(tc, test_superuser_through_groups);
    tcase_add_test(tc, test_superuser_by_class);
    tcase_add_test(tc, test_quota_own_wins);
    tcase_add_test(tc, test_quota_largest_group);
    tcase_add_test(tc, test_quota_none);
    tcase_add_test(tc, test_tempfail_propagates);
    tcase_add_test(tc, test_group_limit);
    tcase_add_test(tc, test_type_names);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_copy_is_deep);
    suite_add_tcase(suite, tc);
    return sd_check_run(suite);
}
