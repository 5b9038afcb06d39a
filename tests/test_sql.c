/*
 * test_sql.c - the sql directory's configuration (both of Stalwart's
 * forms, named stores, strictness, messages without passwords) and its
 * placeholder rewriting.  Queries against real databases are in
 * tests/integration/sql-*.test.
 */
#include "config.h"

#include <string.h>

#include "sd_check.h"
#include "sd_directory.h"
#include "sd_pool.h"
#include "sd_sql.h"

#define QUERY "[directory.d.query]\nname = \"SELECT * FROM a WHERE n = ?\"\n"

static sd_registry *
expect_ok(const char *text)
{
    GError *error = NULL;
    sd_registry *registry = sd_registry_load_data(text, strlen(text),
                                                  "s.toml", &error);
    ck_assert_msg(registry != NULL, "%s", error ? error->message : "");
    return registry;
}

static void
expect_error(const char *text, const char *wanted, const char *absent)
{
    GError *error = NULL;
    sd_registry *registry = sd_registry_load_data(text, strlen(text),
                                                  "s.toml", &error);
    ck_assert_ptr_null(registry);
    ck_assert_msg(strstr(error->message, wanted) != NULL,
                  "wanted '%s' in: %s", wanted, error->message);
    if (absent != NULL)
        ck_assert_msg(strstr(error->message, absent) == NULL,
                      "'%s' must not appear in: %s", absent, error->message);
    g_error_free(error);
}

START_TEST(placeholders_outside_quotes_only)
{
    const char *sql = "SELECT '?', \"a?\" FROM t -- ?\n"
                      "WHERE a = ? /* ? */ AND b LIKE 'it''s ?' || ?";
    char *pg = sd_sql_translate_dollar(sql);
    ck_assert_str_eq(pg, "SELECT '?', \"a?\" FROM t -- ?\n"
                         "WHERE a = $1 /* ? */ AND b LIKE 'it''s ?' || $1");
    ck_assert_uint_eq(sd_sql_count_placeholders(sql), 2);
    ck_assert_uint_eq(sd_sql_count_placeholders("SELECT 1"), 0);
    g_free(pg);
}
END_TEST

START_TEST(address_form)
{
    sd_registry *registry = expect_ok(
        "[directory.d]\ntype = \"sql\"\n"
        "address = \"postgresql://u:hunter2@db.example:6432/mail\"\n"
        "timeout = \"5s\"\ntls = { enable = true }\n"
        "[directory.d.pool]\nmax-connections = 3\n" QUERY);
    sd_directory *d = sd_registry_default(registry);
    char *text = sd_directory_describe(d);
    ck_assert_msg(strstr(text, "postgresql u@db.example:6432/mail (TLS), "
                               "pool of 3, queries: name") != NULL,
                  "%s", text);
    ck_assert_ptr_null(strstr(text, "hunter2"));
    g_free(text);
    sd_pool *pool = sd_directory_pool(d);
    ck_assert_ptr_nonnull(pool);
    ck_assert_uint_eq(sd_pool_get_settings(pool)->max_connections, 3);
    sd_registry_unref(registry);
}
END_TEST

START_TEST(store_form_and_unused_stores)
{
    sd_registry *registry = expect_ok(
        "[directory.d]\ntype = \"sql\"\nstore = \"users\"\n"
        "[directory.d.columns]\ntype = \"kind\"\n"
        "[store.users]\ntype = \"mysql\"\nhost = \"h\"\nport = 3307\n"
        "database = \"m\"\nuser = \"u\"\npassword = \"pw\"\n"
        "[store.users.pool]\nmax-connections = 2\n"
        "[store.users.query]\nname = \"SELECT 1\"\n"
        /* Stalwart's other stores: not sasldir's business. */
        "[store.blobs]\ntype = \"fs\"\npath = \"/var/blobs\"\n"
        "depth = 2\n[store.blobs.compression]\nalgo = \"lz4\"\n");
    sd_directory *d = sd_registry_default(registry);
    char *text = sd_directory_describe(d);
    ck_assert_msg(strstr(text, "mysql u@h:3307/m, pool of 2") != NULL,
                  "%s", text);
    g_free(text);
    sd_registry_unref(registry);

    registry = expect_ok("[directory.d]\ntype = \"sql\"\nstore = \"s\"\n"
                         "[store.s]\ntype = \"sqlite\"\npath = \"/x.db\"\n"
                         QUERY);
    sd_registry_unref(registry);
}
END_TEST

START_TEST(referenced_store_is_strict)
{
    expect_error("[directory.d]\ntype = \"sql\"\nstore = \"s\"\n"
                 "[store.s]\ntype = \"sqlite\"\npath = \"/x.db\"\n"
                 "colour = \"blue\"\n" QUERY,
                 "s.toml:7: store.s.colour: unknown key", NULL);
    expect_error("[directory.d]\ntype = \"sql\"\nstore = \"s\"\n"
                 "[store.t]\ntype = \"sqlite\"\n" QUERY,
                 "s.toml:3: directory.d.store: there is no [store.\"s\"] "
                 "section", NULL);
    expect_error("[directory.d]\ntype = \"sql\"\nstore = \"s\"\n"
                 "[store.s]\npath = \"/x.db\"\n" QUERY,
                 "store.s: missing required key 'type'", NULL);
    expect_error("[directory.d]\ntype = \"sql\"\nstore = \"s\"\n"
                 "[store.s]\ntype = \"sqlite\"\n" QUERY,
                 "an SQLite store needs 'path'", NULL);
    expect_error("[directory.d]\ntype = \"sql\"\nstore = \"s\"\n"
                 "[store.s]\ntype = \"sqlite\"\npath = \"/x\"\n"
                 "[store.s.query]\nname = \"SELECT 1\"\n" QUERY,
                 "directory.d.query: the queries are also set in "
                 "[store.s.query]", NULL);
    expect_error("[directory.d]\ntype = \"sql\"\nstore = \"s\"\n"
                 "pool.max-connections = 2\n"
                 "[store.s]\ntype = \"sqlite\"\npath = \"/x\"\n"
                 "pool.max-connections = 3\n" QUERY,
                 "directory.d.pool: the pool is also set in [store.s.pool]",
                 NULL);
}
END_TEST

START_TEST(address_errors)
{
    expect_error("[directory.d]\ntype = \"sql\"\n" QUERY,
                 "directory.d: an sql directory needs 'address'", NULL);
    expect_error("[directory.d]\ntype = \"sql\"\naddress = \"sqlite:///x\"\n"
                 "store = \"s\"\n[store.s]\ntype = \"sqlite\"\n" QUERY,
                 "'address' and 'store' are two ways", NULL);
    expect_error("[directory.d]\ntype = \"sql\"\n"
                 "address = \"oracle://u:topsecret@h/db\"\n" QUERY,
                 "directory.d.address: 'oracle' is not an SQL engine",
                 "topsecret");
    expect_error("[directory.d]\ntype = \"sql\"\n"
                 "address = \"mysql://u:topsecret@h:99999/db\"\n" QUERY,
                 "directory.d.address: not a valid URL", "topsecret");
    expect_error("[directory.d]\ntype = \"sql\"\n"
                 "address = \"postgresql://h/db?sslmode=disable\"\n" QUERY,
                 "URL parameters are not supported", NULL);
    expect_error("[directory.d]\ntype = \"sql\"\n"
                 "address = \"sqlite://relative/x.db\"\n" QUERY,
                 "sqlite:///absolute/path", NULL);
    expect_error("[directory.d]\ntype = \"sql\"\naddress = \"sqlite:///x\"\n",
                 "no queries: add [directory.d.query]", NULL);
    expect_error("[directory.d]\ntype = \"sql\"\naddress = \"sqlite:///x\"\n"
                 "[directory.d.query]\nname = \"\"\nbogus = \"SELECT 1\"\n",
                 "directory.d.query.name: the query is empty", NULL);
    expect_error("[directory.d]\ntype = \"sql\"\naddress = \"sqlite:///x\"\n"
                 "[directory.d.query]\nname = \"\"\nbogus = \"SELECT 1\"\n",
                 "directory.d.query.bogus: unknown key", NULL);
    expect_error("[directory.d]\ntype = \"sql\"\naddress = \"sqlite:///x\"\n"
                 "[directory.d.columns]\nclass = \"a\"\ntype = \"b\"\n" QUERY,
                 "'class' and 'type' are two spellings", NULL);
}
END_TEST

/* columns.scram: sasldir's own key, read like the others. */
START_TEST(scram_column)
{
    sd_registry_unref(expect_ok(
        "[directory.d]\ntype = \"sql\"\naddress = \"sqlite:///x.db\"\n"
        "[directory.d.columns]\nscram = \"credentials\"\n" QUERY));
    expect_error("[directory.d]\ntype = \"sql\"\naddress = \"sqlite:///x\"\n"
                 "[directory.d.columns]\nscram = 1\n" QUERY,
                 "s.toml:5: directory.d.columns.scram: expected a string", NULL);
    expect_error("[directory.d]\ntype = \"sql\"\naddress = \"sqlite:///x\"\n"
                 "[directory.d.columns]\nscrams = \"a\"\n" QUERY,
                 "directory.d.columns.scrams: unknown key", NULL);
}
END_TEST

static Suite *
sql_suite(void)
{
    Suite *s = suite_create("sql");
    TCase *tc = tcase_create("sql");
    tcase_add_test(tc, placeholders_outside_quotes_only);
    /* These name engines; each runs when its engine is built. */
#ifdef HAVE_PGSQL
    tcase_add_test(tc, address_form);
#endif
#ifdef HAVE_MYSQL
    tcase_add_test(tc, store_form_and_unused_stores);
#endif
#ifdef HAVE_SQLITE
    tcase_add_test(tc, referenced_store_is_strict);
    tcase_add_test(tc, scram_column);
#endif
    tcase_add_test(tc, address_errors);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return sd_check_run(sql_suite());
}
