/*
 * test_shared.c - the shared registry (sd_shared.c) and the realm rule
 * (sd_realm.c) the SASL plugins rely on.
 */
#include "config.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "sd_check.h"
#include "sd_realm.h"
#include "sd_shared.h"

static char *config_path;

static const char config_text[] =
    "[storage]\ndirectory = \"mem\"\n"
    "[directory.\"mem\"]\ntype = \"memory\"\n"
    "[[directory.\"mem\".principals]]\nname = \"alice\"\n"
    "secret = [\"{PLAIN}wonderland\"]\n"
    "[[directory.\"mem\".principals]]\nname = \"carol@example.org\"\n"
    "secret = [\"{PLAIN}c\"]\n";

static void
setup(void)
{
    int fd = g_file_open_tmp("test_shared-XXXXXX.toml", &config_path, NULL);

    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert(g_file_set_contents(config_path, config_text, -1, NULL));
}

static void
teardown(void)
{
    g_unlink(config_path);
    g_clear_pointer(&config_path, g_free);
}

START_TEST(test_one_registry_per_path)
{
    GError *error = NULL;
    sd_registry *a = sd_registry_shared(config_path, &error);
    sd_registry *b = sd_registry_shared(config_path, &error);

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_eq(a, b);
    ck_assert_uint_eq(sd_registry_shared_users(config_path), 2);
    sd_registry_shared_release(b);
    ck_assert_uint_eq(sd_registry_shared_users(config_path), 1);
    sd_registry_shared_release(a);
    ck_assert_uint_eq(sd_registry_shared_users(config_path), 0);
    /* Released by all: the next caller loads it afresh. */
    a = sd_registry_shared(config_path, &error);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(sd_registry_shared_users(config_path), 1);
    sd_registry_shared_release(a);
}
END_TEST

START_TEST(test_failed_load_not_remembered)
{
    GError *error = NULL;
    g_autofree char *missing = g_strconcat(config_path, ".missing", NULL);

    ck_assert_ptr_null(sd_registry_shared(missing, &error));
    ck_assert_ptr_nonnull(error);
    ck_assert_ptr_nonnull(strstr(error->message, ".missing"));
    g_clear_error(&error);
    ck_assert_uint_eq(sd_registry_shared_users(missing), 0);
    ck_assert(g_file_set_contents(missing, config_text, -1, NULL));
    sd_registry *registry = sd_registry_shared(missing, &error);
    ck_assert_ptr_nonnull(registry);
    sd_registry_shared_release(registry);
    g_unlink(missing);
}
END_TEST

/* Another thread holds the table's lock while this one forks: the child
 * must still be able to use the table. */
static gpointer
hammer(gpointer data)
{
    for (int i = 0; i < 2000; i++)
        sd_registry_shared_release(sd_registry_shared(data, NULL));
    return NULL;
}

START_TEST(test_fork_while_busy)
{
    GError *error = NULL;
    sd_registry *held = sd_registry_shared(config_path, &error);
    GThread *thread = g_thread_new("hammer", hammer, config_path);

    ck_assert_ptr_nonnull(held);
    for (int i = 0; i < 20; i++) {
        pid_t pid = fork();
        int status = 0;

        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            sd_registry *child = sd_registry_shared(config_path, NULL);
            sd_directory *d = child ? sd_registry_default(child) : NULL;
            _exit(d != NULL && sd_directory_authenticate(d, "alice",
                                                         "wonderland", NULL,
                                                         NULL) == SD_OK
                  ? 0 : 1);
        }
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 0);
    }
    g_thread_join(thread);
    sd_registry_shared_release(held);
}
END_TEST

START_TEST(test_realm_strip)
{
    g_autofree char *a = sd_realm_strip("alice@Example.ORG", "example.org",
                                        NULL);
    g_autofree char *b = sd_realm_strip("alice@host.example", NULL,
                                        "host.example");
    g_autofree char *c = sd_realm_strip("a@b@example.org", "example.org",
                                        NULL);

    ck_assert_str_eq(a, "alice");
    ck_assert_str_eq(b, "alice");
    ck_assert_str_eq(c, "a@b");
    ck_assert_ptr_null(sd_realm_strip("alice@other.org", "example.org",
                                      "host"));
    ck_assert_ptr_null(sd_realm_strip("alice", "example.org", "host"));
    ck_assert_ptr_null(sd_realm_strip("@example.org", "example.org", NULL));
}
END_TEST

START_TEST(test_realm_store_name)
{
    g_autofree char *a = sd_realm_store_name("bob", "example.org");
    g_autofree char *b = sd_realm_store_name("bob", NULL);
    g_autofree char *c = sd_realm_store_name("bob@x.org", "example.org");

    ck_assert_str_eq(a, "bob@example.org");
    ck_assert_str_eq(b, "bob");
    ck_assert_str_eq(c, "bob@x.org");
}
END_TEST

START_TEST(test_realm_lookup_and_authenticate)
{
    GError *error = NULL;
    sd_registry *registry = sd_registry_shared(config_path, &error);
    sd_directory *d = sd_registry_default(registry);
    sd_principal *p = NULL;

    /* As given first, then without the connection's realm. */
    ck_assert_int_eq(sd_realm_lookup(d, "carol@example.org", "example.org",
                                     NULL, false, &p, NULL), SD_OK);
    ck_assert_str_eq(p->name, "carol@example.org");
    g_clear_pointer(&p, sd_principal_free);
    ck_assert_int_eq(sd_realm_lookup(d, "alice@example.org", "example.org",
                                     NULL, true, &p, NULL), SD_OK);
    ck_assert_str_eq(p->name, "alice");
    ck_assert_uint_eq(p->secrets->len, 1);
    g_clear_pointer(&p, sd_principal_free);
    /* With a user realm set, the host name is not a realm. */
    ck_assert_int_eq(sd_realm_lookup(d, "alice@host", "example.org", "host",
                                     false, &p, NULL), SD_NOTFOUND);
    ck_assert_int_eq(sd_realm_authenticate(d, "alice@host", NULL, "host",
                                           "wonderland", NULL, NULL), SD_OK);
    ck_assert_int_eq(sd_realm_authenticate(d, "alice@host", NULL, "host",
                                           "wrong", NULL, NULL), SD_MISMATCH);
    ck_assert_int_eq(sd_realm_authenticate(d, "alice@else", NULL, "host",
                                           "wonderland", NULL, &error),
                     SD_NOTFOUND);
    ck_assert_ptr_nonnull(error);
    g_clear_error(&error);
    sd_registry_shared_release(registry);
}
END_TEST

START_TEST(test_once)
{
    ck_assert(sd_shared_once("test_once:a"));
    ck_assert(!sd_shared_once("test_once:a"));
    ck_assert(sd_shared_once("test_once:b"));
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("shared");
    TCase *tc = tcase_create("shared");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_one_registry_per_path);
    tcase_add_test(tc, test_failed_load_not_remembered);
    tcase_add_test(tc, test_fork_while_busy);
    tcase_add_test(tc, test_once);
    tcase_add_test(tc, test_realm_strip);
    tcase_add_test(tc, test_realm_store_name);
    tcase_add_test(tc, test_realm_lookup_and_authenticate);
    suite_add_tcase(suite, tc);
    return sd_check_run(suite);
}
