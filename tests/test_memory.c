/*
 * test_memory.c - the memory directory through the generic layer:
 * lookups, authentication, addresses, lists, domains, and both of
 * Stalwart's ways of writing principals.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sd_check.h"
#include "sd_directory.h"

static sd_registry *registry;
static sd_directory *directory;

static sd_registry *
load_text(const char *text)
{
    GError *error = NULL;
    sd_registry *loaded = sd_registry_load_data(text, strlen(text),
                                                "m.toml", &error);
    ck_assert_msg(loaded != NULL, "%s", error ? error->message : "");
    return loaded;
}

static void
load_sample(const char *file)
{
    const char *top = g_getenv("top_srcdir");
    char *path = g_build_filename(top != NULL ? top : "..", "conf", file,
                                  NULL);
    GError *error = NULL;
    registry = sd_registry_load(path, &error);
    ck_assert_msg(registry != NULL, "%s", error ? error->message : "");
    directory = sd_registry_default(registry);
    g_free(path);
}

static void
setup_sample(void)
{
    load_sample("memory.toml");
}

static void
setup_legacy(void)
{
    load_sample("stalwart-v04.toml");
}

static void
teardown(void)
{
    sd_registry_unref(registry);
    registry = NULL;
}

static sd_result
auth(const char *name, const char *password)
{
    return sd_directory_authenticate(directory, name, password, NULL, NULL);
}

/* rcpt(ADDRESS) must give SD_OK with OWNER (NULL: a list) and MATCHED. */
static void
assert_rcpt(const char *address, const char *owner, const char *matched)
{
    char *got_owner = NULL, *got_matched = NULL;
    GError *error = NULL;
    ck_assert_msg(sd_directory_rcpt(directory, address, &got_owner,
                                    &got_matched, &error) == SD_OK,
                  "%s: %s", address, error ? error->message : "");
    if (owner == NULL)
        ck_assert_ptr_null(got_owner);
    else
        ck_assert_str_eq(got_owner, owner);
    ck_assert_str_eq(got_matched, matched);
    g_free(got_owner);
    g_free(got_matched);
}

START_TEST(test_lookup_resolves)
{
    sd_principal *p = NULL;
    ck_assert_int_eq(sd_directory_lookup(directory, "alice", &p, NULL),
                     SD_OK);
    ck_assert_str_eq(p->name, "alice");
    ck_assert_str_eq(p->description, "Alice Liddell");
    ck_assert_uint_eq(p->emails->len, 2);
    ck_assert_str_eq(g_ptr_array_index(p->emails, 0), "alice@example.org");
    ck_assert_str_eq(g_ptr_array_index(p->lists, 0), "staff@example.org");
    ck_assert_uint_eq(p->quota, 0);
    ck_assert_uint_eq(p->effective_quota, 1ull << 30);
    ck_assert(!p->superuser);
    sd_principal_free(p);

    ck_assert_int_eq(sd_directory_lookup(directory, "BOB", &p, NULL), SD_OK);
    ck_assert_str_eq(p->name, "bob");
    ck_assert_uint_eq(p->effective_quota, 5ull << 30);
    sd_principal_free(p);

    ck_assert_int_eq(sd_directory_lookup(directory, "carol", &p, NULL),
                     SD_OK);
    ck_assert(p->superuser);
    sd_principal_free(p);

    ck_assert_int_eq(sd_directory_lookup(directory, "postmaster", &p, NULL),
                     SD_OK);
    ck_assert(p->superuser);
    ck_assert_int_eq(p->type, SD_PRINCIPAL_ADMIN);
    sd_principal_free(p);

    /* Only whether the name exists. */
    ck_assert_int_eq(sd_directory_lookup(directory, "alice", NULL, NULL),
                     SD_OK);
    ck_assert_int_eq(sd_directory_lookup_uncached(directory, "alice", NULL,
                                                  NULL), SD_OK);
}
END_TEST

START_TEST(test_lookup_not_found)
{
    sd_principal *p = NULL;
    GError *error = NULL;
    ck_assert_int_eq(sd_directory_lookup(directory, "nobody", &p, &error),
                     SD_NOTFOUND);
    ck_assert_str_eq(error->message,
                     "directory 'default': no principal named 'nobody'");
    g_clear_error(&error);
    ck_assert_int_eq(sd_directory_lookup(directory, "", &p, NULL),
                     SD_NOTFOUND);
    ck_assert_int_eq(sd_directory_lookup(directory, "a\nb", &p, NULL),
                     SD_NOTFOUND);
    ck_assert_int_eq(sd_directory_lookup(directory, "\xc3\x28", &p, NULL),
                     SD_NOTFOUND);
    char *long_name = g_strnfill(SD_NAME_MAX + 1, 'a');
    ck_assert_int_eq(sd_directory_lookup(directory, long_name, &p, &error),
                     SD_NOTFOUND);
    ck_assert_ptr_nonnull(strstr(error->message, "not a valid principal"));
    g_clear_error(&error);
    g_free(long_name);
}
END_TEST

START_TEST(test_authenticate)
{
    ck_assert_int_eq(auth("alice", "wonderland"), SD_OK);
    ck_assert_int_eq(auth("Alice", "wonderland"), SD_OK);
    ck_assert_int_eq(auth("alice", "Wonderland"), SD_MISMATCH);
    ck_assert_int_eq(auth("alice", ""), SD_MISMATCH);
    ck_assert_int_eq(auth("bob", "builder"), SD_OK);
    ck_assert_int_eq(auth("carol", "carol pass 42"), SD_OK);
    ck_assert_int_eq(auth("postmaster", "postmaster!"), SD_OK);
    ck_assert_int_eq(auth("nobody", "wonderland"), SD_NOTFOUND);
    ck_assert_int_eq(auth("staff", "anything"), SD_MISMATCH);

    sd_principal *p = NULL;
    ck_assert_int_eq(sd_directory_authenticate(directory, "carol",
                                               "carol pass 42", &p, NULL),
                     SD_OK);
    ck_assert(p->resolved && p->superuser);
    sd_principal_free(p);
}
END_TEST

START_TEST(test_authenticate_messages_hold_no_password)
{
    GError *error = NULL;
    ck_assert_int_eq(sd_directory_authenticate(directory, "alice",
                                               "hunter2-guess", NULL, &error),
                     SD_MISMATCH);
    ck_assert_ptr_null(strstr(error->message, "hunter2"));
    ck_assert_str_eq(error->message,
                     "directory 'default': wrong password for 'alice'");
    g_error_free(error);

    char *huge = g_strnfill(SD_PASSWORD_MAX + 1, 'p');
    error = NULL;
    ck_assert_int_eq(sd_directory_authenticate(directory, "alice", huge,
                                               NULL, &error), SD_MISMATCH);
    ck_assert_ptr_null(strstr(error->message, "ppp"));
    g_error_free(error);
    g_free(huge);
}
END_TEST

START_TEST(test_rcpt)
{
    assert_rcpt("alice@example.org", "alice", "alice@example.org");
    assert_rcpt("A.Liddell@EXAMPLE.org", "alice", "a.liddell@example.org");
    assert_rcpt("alice+news@example.org", "alice", "alice@example.org");
    assert_rcpt("staff@example.org", NULL, "staff@example.org");
    /* catch-all is on: example.net has a catch-all address ... */
    assert_rcpt("whoever@example.net", "postmaster", "@example.net");
    /* ... example.org has none. */
    GError *error = NULL;
    ck_assert_int_eq(sd_directory_rcpt(directory, "who@example.org", NULL,
                                       NULL, &error), SD_NOTFOUND);
    ck_assert_str_eq(error->message, "directory 'default': no mailbox, "
                     "alias or list 'who@example.org'");
    g_clear_error(&error);
    ck_assert_int_eq(sd_directory_rcpt(directory, "garbage", NULL, NULL,
                                       NULL), SD_NOTFOUND);
}
END_TEST

START_TEST(test_domains)
{
    ck_assert_int_eq(sd_directory_is_local_domain(directory, "example.org",
                                                  NULL), SD_OK);
    ck_assert_int_eq(sd_directory_is_local_domain(directory, "Example.NET.",
                                                  NULL), SD_OK);
    ck_assert_int_eq(sd_directory_is_local_domain(directory, "example.com",
                                                  NULL), SD_NOTFOUND);
    ck_assert_int_eq(sd_directory_is_local_domain(directory, "", NULL),
                     SD_NOTFOUND);
}
END_TEST

START_TEST(test_expand_and_verify)
{
    GPtrArray *members = NULL;
    ck_assert_int_eq(sd_directory_expand(directory, "Staff@example.org",
                                         &members, NULL), SD_OK);
    ck_assert_uint_eq(members->len, 2);
    ck_assert_str_eq(g_ptr_array_index(members, 0), "alice@example.org");
    ck_assert_str_eq(g_ptr_array_index(members, 1), "bob@example.org");
    g_ptr_array_unref(members);
    ck_assert_int_eq(sd_directory_expand(directory, "alice@example.org",
                                         &members, NULL), SD_NOTFOUND);

    GPtrArray *matches = NULL;
    ck_assert_int_eq(sd_directory_verify(directory, "EXAMPLE.org", &matches,
                                         NULL), SD_OK);
    /* Primary addresses only, sorted. */
    ck_assert_uint_eq(matches->len, 3);
    ck_assert_str_eq(g_ptr_array_index(matches, 0), "alice@example.org");
    ck_assert_str_eq(g_ptr_array_index(matches, 1), "bob@example.org");
    ck_assert_str_eq(g_ptr_array_index(matches, 2), "postmaster@example.org");
    g_ptr_array_unref(matches);
    ck_assert_int_eq(sd_directory_verify(directory, "zzz", &matches, NULL),
                     SD_NOTFOUND);
    ck_assert_int_eq(sd_directory_verify(directory, "", &matches, NULL),
                     SD_NOTFOUND);
}
END_TEST

START_TEST(test_describe)
{
    char *line = sd_directory_describe(directory);
    ck_assert_str_eq(line, "default (memory): 6 principals (3 individual, "
                     "2 group, 1 admin), 8 addresses, 2 local domains; "
                     "subaddressing on, catch-all on, superuser group "
                     "superusers");
    g_free(line);
}
END_TEST

START_TEST(test_legacy_form)
{
    sd_principal *p = NULL;
    ck_assert_int_eq(sd_directory_lookup(directory, "jane", &p, NULL), SD_OK);
    ck_assert_int_eq(p->type, SD_PRINCIPAL_INDIVIDUAL);
    ck_assert(p->superuser);                       /* member of superusers */
    ck_assert_uint_eq(p->effective_quota, 536870912);
    sd_principal_free(p);
    ck_assert_int_eq(sd_directory_lookup(directory, "sales", &p, NULL), SD_OK);
    ck_assert_int_eq(p->type, SD_PRINCIPAL_GROUP);
    sd_principal_free(p);
    ck_assert_int_eq(auth("jane", "jane's password"), SD_OK);
    /* A principal with an empty list of secrets cannot log in. */
    ck_assert_int_eq(auth("catchall", ""), SD_MISMATCH);

    /* Custom subaddressing: "jane.anything" and "jane+x" map to jane. */
    assert_rcpt("jane.anything@example.com", "jane", "jane@example.com");
    assert_rcpt("jane+x@example.com", "jane", "jane@example.com");
    /* The exact address is tried before any mapping. */
    assert_rcpt("j.doe@example.com", "jane", "j.doe@example.com");
    /* catch-all = true: an unknown address falls to @example.com. */
    assert_rcpt("someone@example.com", "catchall", "@example.com");
    ck_assert_int_eq(sd_directory_rcpt(directory, "someone@example.org",
                                       NULL, NULL, NULL), SD_NOTFOUND);
}
END_TEST

START_TEST(test_several_secrets)
{
    sd_registry *own = load_text(
        "[directory.m]\ntype = \"memory\"\n"
        "[[directory.m.principals]]\nname = \"app\"\n"
        "secret = [\"{SSHA}bad\", \"first\", \"{PLAIN}second\"]\n"
        "[[directory.m.principals]]\nname = \"broken\"\n"
        "secret = [\"{SSHA}bad\", \"{NOSUCH}x\"]\n");
    sd_directory *m = sd_registry_default(own);
    /* A malformed secret is skipped; any good one may match. */
    ck_assert_int_eq(sd_directory_authenticate(m, "app", "first", NULL, NULL),
                     SD_OK);
    ck_assert_int_eq(sd_directory_authenticate(m, "app", "second", NULL,
                                               NULL), SD_OK);
    ck_assert_int_eq(sd_directory_authenticate(m, "app", "third", NULL,
                                               NULL), SD_MISMATCH);
    /* With nothing but malformed secrets the store is wrong, not the
     * user: SD_ERROR, with the reason. */
    GError *error = NULL;
    ck_assert_int_eq(sd_directory_authenticate(m, "broken", "x", NULL,
                                               &error), SD_ERROR);
    ck_assert_ptr_nonnull(strstr(error->message, "principal 'broken'"));
    g_error_free(error);
    sd_registry_unref(own);
}
END_TEST

START_TEST(test_idn_addresses)
{
    sd_registry *own = load_text(
        "[directory.m]\ntype = \"memory\"\n"
        "[[directory.m.principals]]\nname = \"hans\"\n"
        "email = \"Hans@Bücher.example\"\n");
    sd_directory *m = sd_registry_default(own);
    char *owner = NULL, *matched = NULL;
    ck_assert_int_eq(sd_directory_rcpt(m, "hans@xn--bcher-kva.example",
                                       &owner, &matched, NULL), SD_OK);
    ck_assert_str_eq(owner, "hans");
    ck_assert_str_eq(matched, "hans@xn--bcher-kva.example");
    g_free(owner);
    g_free(matched);
    ck_assert_int_eq(sd_directory_is_local_domain(m, "bücher.example", NULL),
                     SD_OK);
    sd_registry_unref(own);
}
END_TEST

typedef struct reader_job {
    sd_directory *directory;
    int wrong;      /* answers that differ from the expected ones */
} reader_job;

static gpointer
reader(gpointer data)
{
    reader_job *job = data;
    for (int i = 0; i < 500; i++) {
        if (sd_directory_authenticate(job->directory, "u", "pw", NULL, NULL)
            != SD_OK)
            job->wrong++;
        if (sd_directory_authenticate(job->directory, "u", "no", NULL, NULL)
            != SD_MISMATCH)
            job->wrong++;
        if (sd_directory_rcpt(job->directory, "u+t@example.org", NULL, NULL,
                              NULL) != SD_OK)
            job->wrong++;
    }
    return NULL;
}

START_TEST(test_concurrent_readers)
{
    /* Nothing changes after open, so threads share a directory without a
     * lock; run under helgrind or TSan to see that this holds. */
    sd_registry *own = load_text(
        "[directory.m]\ntype = \"memory\"\n"
        "[directory.m.options]\nsubaddressing = true\n"
        "[[directory.m.principals]]\nname = \"u\"\nsecret = \"{PLAIN}pw\"\n"
        "email = \"u@example.org\"\n");
    reader_job jobs[4];
    GThread *threads[4];
    for (int i = 0; i < 4; i++) {
        jobs[i].directory = sd_registry_default(own);
        jobs[i].wrong = 0;
        threads[i] = g_thread_new("reader", reader, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) {
        g_thread_join(threads[i]);
        ck_assert_int_eq(jobs[i].wrong, 0);
    }
    sd_registry_unref(own);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("memory");
    TCase *sample = tcase_create("sample");
    tcase_add_checked_fixture(sample, setup_sample, teardown);
    tcase_add_test(sample, test_lookup_resolves);
    tcase_add_test(sample, test_lookup_not_found);
    tcase_add_test(sample, test_authenticate);
    tcase_add_test(sample, test_authenticate_messages_hold_no_password);
    tcase_add_test(sample, test_rcpt);
    tcase_add_test(sample, test_domains);
    tcase_add_test(sample, test_expand_and_verify);
    tcase_add_test(sample, test_describe);
    suite_add_tcase(suite, sample);

    TCase *legacy = tcase_create("legacy");
    tcase_add_checked_fixture(legacy, setup_legacy, teardown);
    tcase_add_test(legacy, test_legacy_form);
    suite_add_tcase(suite, legacy);

    TCase *inline_configs = tcase_create("inline");
    tcase_add_test(inline_configs, test_several_secrets);
    tcase_add_test(inline_configs, test_idn_addresses);
    tcase_add_test(inline_configs, test_concurrent_readers);
    suite_add_tcase(suite, inline_configs);
    return sd_check_run(suite);
}
