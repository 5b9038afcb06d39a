/*
 * test_socketmap.c - every socketmap map of sasldird (daemon/socketmap.c)
 * against a memory directory: found, not found, subaddressing,
 * catch-all, aliases and lists, quota, login-owner; malformed requests,
 * unknown maps, long keys and values; temporary failure and directory
 * errors from an sql directory whose database is missing or whose query
 * is not configured.
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "sd_check.h"
#include "sd_directory.h"
#include "socketmap.h"

/* Lists, aliases, catch-all, quotas, groups; "big@example.org" is a list
 * with many long member addresses (filled in by setup). */
static const char config_head[] =
    "[storage]\n"
    "directory = \"mem\"\n"
    "[directory.\"mem\"]\n"
    "type = \"memory\"\n"
    "[directory.\"mem\".options]\n"
    "subaddressing = true\n"
    "catch-all = true\n"
    "[directory.\"mem\".lookup]\n"
    "domains = [\"example.org\", \"example.net\", \"empty.example\"]\n"
    "[[directory.\"mem\".principals]]\n"
    "name = \"alice\"\n"
    "email = [\"alice@example.org\", \"a.liddell@example.org\"]\n"
    "email-list = [\"staff@example.org\"]\n"
    "member-of = [\"staff\"]\n"
    "[[directory.\"mem\".principals]]\n"
    "name = \"bob\"\n"
    "email = [\"bob@example.org\"]\n"
    "email-list = [\"staff@example.org\"]\n"
    "member-of = [\"staff\"]\n"
    "quota = \"5G\"\n"
    "[[directory.\"mem\".principals]]\n"
    "name = \"postmaster\"\n"
    "class = \"admin\"\n"
    "email = [\"postmaster@example.org\", \"@example.net\"]\n"
    "[[directory.\"mem\".principals]]\n"
    "name = \"noaddr\"\n"
    "quota = \"10M\"\n"
    "[[directory.\"mem\".principals]]\n"
    "name = \"staff\"\n"
    "class = \"group\"\n"
    "quota = \"1G\"\n";

/* Members of "big@example.org": enough that the expansion is longer
 * than the 100000 bytes a socketmap client reads. */
#define BIG_MEMBERS 1100
#define BIG_LOCAL_LEN 90

static sd_registry *registry;
static sd_directory *directory;

static void
setup(void)
{
    GString *text = g_string_new(config_head);
    for (int i = 0; i < BIG_MEMBERS; i++) {
        g_string_append_printf(text, "[[directory.\"mem\".principals]]\n"
                               "name = \"m%04d\"\n"
                               "email = [\"m%04d", i, i);
        for (int j = 5; j < BIG_LOCAL_LEN; j++)
            g_string_append_c(text, 'x');
        g_string_append(text, "@example.org\"]\n"
                        "email-list = [\"big@example.org\"]\n");
    }
    GError *error = NULL;
    registry = sd_registry_load_data(text->str, text->len, "mem.toml",
                                     &error);
    ck_assert_msg(registry != NULL, "%s", error ? error->message : "");
    directory = sd_registry_default(registry);
    g_string_free(text, TRUE);
}

static void
teardown(void)
{
    sd_registry_unref(registry);
    registry = NULL;
    directory = NULL;
}

/* REQUEST must be answered with REPLY and RESULT. */
static void
expect_in(sd_directory *dir, const char *request, const char *reply,
          sd_result result)
{
    sd_result got = (sd_result)-1;
    char *answer = socketmap_answer(dir, request, strlen(request), &got);
    ck_assert_msg(strcmp(answer, reply) == 0, "%s: got '%s', want '%s'",
                  request, answer, reply);
    ck_assert_msg(got == result, "%s: result %s, want %s", request,
                  sd_result_name(got), sd_result_name(result));
    g_free(answer);
}

static void
expect(const char *request, const char *reply, sd_result result)
{
    expect_in(directory, request, reply, result);
}

/* REQUEST's reply must start with PREFIX and hold WORDS (NULL-ended). */
static void
expect_prefix(sd_directory *dir, const char *request, size_t len,
              const char *prefix, sd_result result, const char *word)
{
    sd_result got = (sd_result)-1;
    char *answer = socketmap_answer(dir, request, len, &got);
    ck_assert_msg(g_str_has_prefix(answer, prefix), "%s: got '%s'",
                  request, answer);
    if (word != NULL)
        ck_assert_msg(strstr(answer, word) != NULL, "%s: '%s' lacks '%s'",
                      request, answer, word);
    ck_assert_int_eq(got, result);
    /* One printable line, at most what the maps promise. */
    for (const char *c = answer; *c != '\0'; c++)
        ck_assert_int_ge((unsigned char)*c, 0x20);
    g_free(answer);
}

START_TEST(test_domains)
{
    expect("domains example.org", "OK example.org", SD_OK);
    expect("domains EXAMPLE.NET", "OK example.net", SD_OK);
    expect("domains empty.example", "OK empty.example", SD_OK);
    expect("domains example.com", "NOTFOUND ", SD_NOTFOUND);
    expect("domains sub.example.org", "NOTFOUND ", SD_NOTFOUND);
    expect("domains not a domain", "NOTFOUND ", SD_NOTFOUND);
}
END_TEST

START_TEST(test_mailboxes)
{
    expect("mailboxes alice@example.org", "OK alice@example.org", SD_OK);
    expect("mailboxes Alice@Example.ORG", "OK alice@example.org", SD_OK);
    /* An alias reaches its owner's mailbox. */
    expect("mailboxes a.liddell@example.org", "OK alice@example.org", SD_OK);
    expect("mailboxes nobody@example.org", "NOTFOUND ", SD_NOTFOUND);
    expect("mailboxes alice@example.com", "NOTFOUND ", SD_NOTFOUND);
    expect("mailboxes alice", "NOTFOUND ", SD_NOTFOUND);
    /* A list is deliverable; its value is the list itself. */
    expect("mailboxes staff@example.org", "OK staff@example.org", SD_OK);
}
END_TEST

START_TEST(test_subaddress_catch_all)
{
    expect("mailboxes alice+lists@example.org", "OK alice@example.org",
           SD_OK);
    expect("mailboxes a.liddell+x@example.org", "OK alice@example.org",
           SD_OK);
    /* Catch-all: anything at example.net reaches postmaster. */
    expect("mailboxes whoever@example.net", "OK postmaster@example.org",
           SD_OK);
    expect("aliases whoever@example.net", "OK postmaster@example.org",
           SD_OK);
    expect("login-owner whoever@example.net", "OK postmaster", SD_OK);
    /* But not at example.org, which has no catch-all. */
    expect("mailboxes whoever+x@example.org", "NOTFOUND ", SD_NOTFOUND);
    expect("lists staff+tag@example.org",
           "OK alice@example.org,bob@example.org", SD_OK);
}
END_TEST

START_TEST(test_aliases_lists)
{
    expect("aliases a.liddell@example.org", "OK alice@example.org", SD_OK);
    expect("aliases alice@example.org", "OK alice@example.org", SD_OK);
    expect("aliases staff@example.org",
           "OK alice@example.org,bob@example.org", SD_OK);
    expect("aliases nobody@example.org", "NOTFOUND ", SD_NOTFOUND);
    expect("lists staff@example.org",
           "OK alice@example.org,bob@example.org", SD_OK);
    expect("lists STAFF@example.org",
           "OK alice@example.org,bob@example.org", SD_OK);
    /* Only lists are lists. */
    expect("lists alice@example.org", "NOTFOUND ", SD_NOTFOUND);
    expect("lists nolist@example.org", "NOTFOUND ", SD_NOTFOUND);
}
END_TEST

START_TEST(test_quota)
{
    expect("quota bob", "OK 5368709120", SD_OK);
    expect("quota BOB", "OK 5368709120", SD_OK);
    /* alice has none of her own: the group's. */
    expect("quota alice", "OK 1073741824", SD_OK);
    expect("quota alice@example.org", "OK 1073741824", SD_OK);
    expect("quota a.liddell+x@example.org", "OK 1073741824", SD_OK);
    expect("quota bob@example.org", "OK 5368709120", SD_OK);
    expect("quota noaddr", "OK 10485760", SD_OK);
    /* No quota at all: 0, no limit. */
    expect("quota postmaster", "OK 0", SD_OK);
    expect("quota whoever@example.net", "OK 0", SD_OK);
    expect("quota nobody", "NOTFOUND ", SD_NOTFOUND);
    expect("quota nobody@example.org", "NOTFOUND ", SD_NOTFOUND);
    /* A list has no quota. */
    expect("quota staff@example.org", "NOTFOUND ", SD_NOTFOUND);
}
END_TEST

START_TEST(test_login_owner)
{
    expect("login-owner alice@example.org", "OK alice", SD_OK);
    expect("login-owner a.liddell@example.org", "OK alice", SD_OK);
    expect("login-owner alice+tag@example.org", "OK alice", SD_OK);
    expect("login-owner Bob@Example.org", "OK bob", SD_OK);
    expect("login-owner postmaster@example.org", "OK postmaster", SD_OK);
    /* Nobody may send as a list or an unknown address. */
    expect("login-owner staff@example.org", "NOTFOUND ", SD_NOTFOUND);
    expect("login-owner nobody@example.org", "NOTFOUND ", SD_NOTFOUND);
    expect("login-owner alice", "NOTFOUND ", SD_NOTFOUND);
}
END_TEST

START_TEST(test_map_names)
{
    expect("DOMAINS example.org", "OK example.org", SD_OK);
    expect("Login-Owner alice@example.org", "OK alice", SD_OK);
    expect_prefix(directory, "users alice", 11, "PERM unknown map 'users'",
                  SD_ERROR, "login-owner");
    expect_prefix(directory, "domain example.org", 18,
                  "PERM unknown map 'domain'", SD_ERROR, NULL);
    /* A name that is not short printable ASCII is not echoed. */
    expect("\x01\x02 x", "PERM unknown map", SD_ERROR);
    expect(" alice", "PERM unknown map", SD_ERROR);
    char longname[100];
    memset(longname, 'n', 60);
    strcpy(longname + 60, " key");
    expect(longname, "PERM unknown map", SD_ERROR);
}
END_TEST

START_TEST(test_malformed)
{
    expect("", "PERM malformed request: no space between the map name and "
           "the key", SD_ERROR);
    expect("domains", "PERM malformed request: no space between the map "
           "name and the key", SD_ERROR);
    expect_prefix(directory, "mailboxes a\0b@example.org", 25,
                  "PERM malformed request: a NUL byte", SD_ERROR, NULL);
    /* An empty key is simply not found. */
    expect("domains ", "NOTFOUND ", SD_NOTFOUND);
    /* The key is everything after the first space. */
    expect("mailboxes  alice@example.org", "NOTFOUND ", SD_NOTFOUND);
    /* Not UTF-8: not found, never an error. */
    expect("mailboxes \xff\xfe@example.org", "NOTFOUND ", SD_NOTFOUND);
    expect("domains \xff.example", "NOTFOUND ", SD_NOTFOUND);
    expect("quota \xff", "NOTFOUND ", SD_NOTFOUND);

    /* A key of 512 bytes is looked up; 513 is refused. */
    GString *req = g_string_new("mailboxes ");
    for (int i = 0; i < 512 - 12; i++)
        g_string_append_c(req, 'k');
    g_string_append(req, "@example.org");
    expect(req->str, "NOTFOUND ", SD_NOTFOUND);
    g_string_insert_c(req, 10, 'k');
    expect(req->str, "PERM key of 513 bytes, more than 512", SD_ERROR);
    g_string_free(req, TRUE);
}
END_TEST

START_TEST(test_value_too_long)
{
    /* The list's expansion is longer than Postfix reads: refused with a
     * reason, never cut (a cut list would lose mail silently). */
    size_t expansion = (size_t)BIG_MEMBERS * (BIG_LOCAL_LEN + 12) + BIG_MEMBERS - 1;
    char *want = g_strdup_printf("PERM the value is %zu bytes, more than the "
                                 "99997 a socketmap client reads", expansion);
    expect("lists big@example.org", want, SD_ERROR);
    expect("aliases big@example.org", want, SD_ERROR);
    g_free(want);
    expect("mailboxes big@example.org", "OK big@example.org", SD_OK);
    GString *member = g_string_new("m0007");
    for (int j = 5; j < BIG_LOCAL_LEN; j++)
        g_string_append_c(member, 'x');
    g_string_append(member, "@example.org");
    char *req = g_strconcat("mailboxes ", member->str, NULL);
    char *ok = g_strconcat("OK ", member->str, NULL);
    expect(req, ok, SD_OK);
    g_free(req);
    g_free(ok);
    g_string_free(member, TRUE);
}
END_TEST

START_TEST(test_result_optional)
{
    char *answer = socketmap_answer(directory, "domains example.org", 19,
                                    NULL);
    ck_assert_str_eq(answer, "OK example.org");
    g_free(answer);
    /* The length counts, not a NUL: "domains example.orgXXX" cut. */
    answer = socketmap_answer(directory, "domains example.orgXXX", 19, NULL);
    ck_assert_str_eq(answer, "OK example.org");
    g_free(answer);
}
END_TEST

/* An sql directory whose SQLite database does not exist: every map that
 * asks it answers TEMP, never NOTFOUND; one without an expand query
 * answers PERM for lists. */
START_TEST(test_tempfail_and_error)
{
    char *dir = g_dir_make_tmp("socketmap-XXXXXX", NULL);
    ck_assert_ptr_nonnull(dir);
    char *text = g_strdup_printf(
        "[storage]\n"
        "directory = \"down\"\n"
        "[directory.\"down\"]\n"
        "type = \"sql\"\n"
        "address = \"sqlite://%s/missing/directory.db\"\n"
        "timeout = \"1s\"\n"
        "[directory.\"down\".query]\n"
        "name = \"SELECT name, type, secret, description, quota FROM "
        "accounts WHERE name = ?\"\n"
        "recipients = \"SELECT name FROM emails WHERE address = ?\"\n"
        "domains = \"SELECT 1 FROM emails WHERE address LIKE '%%@' || ? "
        "LIMIT 1\"\n", dir);
    GError *error = NULL;
    sd_registry *down_registry = sd_registry_load_data(text, strlen(text),
                                                       "down.toml", &error);
    ck_assert_msg(down_registry != NULL, "%s", error ? error->message : "");
    sd_directory *down = sd_registry_default(down_registry);
    static const char *const requests[] = {
        "domains example.org", "mailboxes alice@example.org",
        "aliases alice@example.org", "quota alice",
        "quota alice@example.org", "login-owner alice@example.org",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(requests); i++)
        expect_prefix(down, requests[i], strlen(requests[i]), "TEMP ",
                      SD_TEMPFAIL, "down");
    /* The expand query is not configured: a directory error, PERM. */
    expect_prefix(down, "lists staff@example.org", 23, "PERM ", SD_ERROR,
                  "expand");
    sd_registry_unref(down_registry);
    g_free(text);
    g_rmdir(dir);
    g_free(dir);
}
END_TEST

/* Several threads answer at once from one directory. */
static gpointer
hammer(gpointer data)
{
    (void)data;
    int failures = 0;
    for (int i = 0; i < 300; i++) {
        char *a = socketmap_answer(directory, "aliases staff@example.org",
                                   25, NULL);
        char *b = socketmap_answer(directory, "login-owner alice+x@"
                                   "example.org", 31, NULL);
        failures += strcmp(a, "OK alice@example.org,bob@example.org") != 0;
        failures += strcmp(b, "OK alice") != 0;
        g_free(a);
        g_free(b);
    }
    return GINT_TO_POINTER(failures);
}

START_TEST(test_threads)
{
    GThread *threads[4];
    for (int i = 0; i < 4; i++)
        threads[i] = g_thread_new("socketmap", hammer, NULL);
    int failures = 0;
    for (int i = 0; i < 4; i++)
        failures += GPOINTER_TO_INT(g_thread_join(threads[i]));
    ck_assert_int_eq(failures, 0);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("socketmap");
    TCase *tc = tcase_create("memory");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_domains);
    tcase_add_test(tc, test_mailboxes);
    tcase_add_test(tc, test_subaddress_catch_all);
    tcase_add_test(tc, test_aliases_lists);
    tcase_add_test(tc, test_quota);
    tcase_add_test(tc, test_login_owner);
    tcase_add_test(tc, test_map_names);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_value_too_long);
    tcase_add_test(tc, test_result_optional);
    tcase_add_test(tc, test_threads);
    suite_add_tcase(suite, tc);
    tc = tcase_create("down");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_tempfail_and_error);
    suite_add_tcase(suite, tc);
    return sd_check_run(suite);
}
