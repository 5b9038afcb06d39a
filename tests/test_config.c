/*
 * test_config.c - the strict configuration reader: every class of error
 * with its file, line and key; renamed keys; durations and sizes; the
 * default directory.
 */
#include "config.h"

#include <string.h>

#include "sd_check.h"
#include "sd_config.h"
#include "sd_directory.h"

#define MEMORY "[directory.d]\ntype = \"memory\"\n"

static sd_registry *
load(const char *text, GError **error)
{
    return sd_registry_load_data(text, strlen(text), "t.toml", error);
}

/* Asserts TEXT is refused with a message containing every NEEDLE. */
static void
expect_error(const char *text, const char *needle, const char *needle2)
{
    GError *error = NULL;
    sd_registry *registry = load(text, &error);
    ck_assert_msg(registry == NULL, "accepted:\n%s", text);
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(strstr(error->message, needle) != NULL,
                  "'%s' does not contain '%s'", error->message, needle);
    ck_assert_msg(needle2 == NULL || strstr(error->message, needle2),
                  "'%s' does not contain '%s'", error->message, needle2);
    g_error_free(error);
}

static sd_registry *
expect_ok(const char *text)
{
    GError *error = NULL;
    sd_registry *registry = load(text, &error);
    ck_assert_msg(registry != NULL, "%s", error ? error->message : "");
    return registry;
}

START_TEST(test_minimal)
{
    sd_registry *registry = expect_ok(MEMORY);
    sd_directory *directory = sd_registry_default(registry);
    ck_assert_ptr_nonnull(directory);
    ck_assert_str_eq(sd_directory_name(directory), "d");
    ck_assert_str_eq(sd_directory_type(directory), "memory");
    /* Stalwart v0.4's default superuser group. */
    ck_assert_str_eq(sd_directory_superuser_group(directory), "superusers");
    ck_assert(!sd_directory_cache_settings(directory)->configured);
    ck_assert_str_eq(sd_registry_config_path(registry), "t.toml");
    sd_registry_unref(registry);
}
END_TEST

START_TEST(test_unknown_keys)
{
    expect_error(MEMORY "colour = \"blue\"\n",
                 "t.toml:3: directory.d.colour: unknown key", NULL);
    expect_error("[servers]\nport = 1\n" MEMORY,
                 "t.toml:1: servers: unknown key", NULL);
    /* [server] is sasldird's section: its keys are checked too. */
    expect_error("[server]\nport = 1\n" MEMORY,
                 "t.toml:2: server.port: unknown key", NULL);
    expect_error(MEMORY "[directory.d.options]\nsubaddresing = true\n",
                 "t.toml:4: directory.d.options.subaddresing: unknown key",
                 NULL);
    expect_error(MEMORY "[[directory.d.principals]]\nname = \"a\"\n"
                 "mail = \"a@b.c\"\n",
                 "t.toml:5: directory.d.principals[0].mail: unknown key",
                 NULL);
    expect_error(MEMORY "[directory.d.\"odd key\"]\n",
                 "directory.d.\"odd key\": unknown key", NULL);
}
END_TEST

START_TEST(test_all_errors_reported)
{
    GError *error = NULL;
    sd_registry *registry = load(MEMORY "a = 1\nb = 2\n", &error);
    ck_assert_ptr_null(registry);
    ck_assert_str_eq(error->message,
                     "t.toml:3: directory.d.a: unknown key\n"
                     "t.toml:4: directory.d.b: unknown key");
    g_error_free(error);
}
END_TEST

START_TEST(test_wrong_types)
{
    expect_error("[directory.d]\ntype = 3\n",
                 "t.toml:2: directory.d.type: expected a string, found an "
                 "integer", NULL);
    expect_error(MEMORY "disable = \"no\"\n",
                 "directory.d.disable: expected true or false", NULL);
    expect_error(MEMORY "[directory.d.cache]\nentries = 1.5\n",
                 "t.toml:4: directory.d.cache.entries: expected an integer, "
                 "found a float", NULL);
    expect_error(MEMORY "[directory.d.cache]\nentries = 0\n",
                 "0 is out of range (1 to", NULL);
    expect_error(MEMORY "principals = 3\n",
                 "directory.d.principals: expected an array of tables", NULL);
    expect_error(MEMORY "principals = [1]\n",
                 "expected an array of tables, but item 0 is an integer",
                 NULL);
    expect_error(MEMORY "[[directory.d.principals]]\nname = \"a\"\n"
                 "secret = [\"x\", 2]\n",
                 "t.toml:5: directory.d.principals[0].secret: expected a "
                 "string or an array of strings", NULL);
    expect_error(MEMORY "[[directory.d.principals]]\nname = \"a\\u0000b\"\n",
                 "NUL character", NULL);
    expect_error("directory = 5\n", "directory: expected a table", NULL);
}
END_TEST

START_TEST(test_durations)
{
    uint64_t ms = 0;
    ck_assert(sd_parse_duration("500ms", &ms) && ms == 500);
    ck_assert(sd_parse_duration("30s", &ms) && ms == 30000);
    ck_assert(sd_parse_duration("10m", &ms) && ms == 600000);
    ck_assert(sd_parse_duration("1h", &ms) && ms == 3600000);
    ck_assert(sd_parse_duration("1d", &ms) && ms == 86400000);
    ck_assert(sd_parse_duration("0s", &ms) && ms == 0);
    ck_assert(!sd_parse_duration("1", &ms));
    ck_assert(!sd_parse_duration("1 h", &ms));
    ck_assert(!sd_parse_duration("h", &ms));
    ck_assert(!sd_parse_duration("-1s", &ms));
    ck_assert(!sd_parse_duration("1.5h", &ms));
    ck_assert(!sd_parse_duration("99999999999999999999d", &ms));
    ck_assert(!sd_parse_duration("999999999999999999d", &ms));

    sd_registry *registry = expect_ok(
        MEMORY "[directory.d.cache]\nentries = 10\n"
        "ttl = {positive = '1h', negative = '10m'}\n");
    const sd_cache_settings *cache =
        sd_directory_cache_settings(sd_registry_default(registry));
    ck_assert(cache->configured);
    ck_assert_uint_eq(cache->entries, 10);
    ck_assert_uint_eq(cache->ttl_positive_ms, 3600000);
    ck_assert_uint_eq(cache->ttl_negative_ms, 600000);
    sd_registry_unref(registry);

    /* The dotted spelling gives the same table. */
    registry = expect_ok(MEMORY "[directory.d.cache]\nttl.positive = '2d'\n");
    cache = sd_directory_cache_settings(sd_registry_default(registry));
    ck_assert_uint_eq(cache->ttl_positive_ms, 2 * 86400000ull);
    ck_assert_uint_eq(cache->ttl_negative_ms, 3600000);  /* Stalwart's */
    sd_registry_unref(registry);

    expect_error(MEMORY "[directory.d.cache]\nttl.positive = 30\n",
                 "t.toml:4: directory.d.cache.ttl.positive: a duration needs "
                 "a unit: write e.g. \"30s\"", NULL);
    expect_error(MEMORY "[directory.d.cache]\nttl.negative = '1 week'\n",
                 "'1 week' is not a duration", NULL);
}
END_TEST

START_TEST(test_sizes)
{
    uint64_t bytes = 0;
    ck_assert(sd_parse_size("0", &bytes) && bytes == 0);
    ck_assert(sd_parse_size("512", &bytes) && bytes == 512);
    ck_assert(sd_parse_size("512M", &bytes) && bytes == 512ull << 20);
    ck_assert(sd_parse_size("2G", &bytes) && bytes == 2ull << 30);
    ck_assert(sd_parse_size("2gb", &bytes) && bytes == 2ull << 30);
    ck_assert(sd_parse_size("10KiB", &bytes) && bytes == 10240);
    ck_assert(sd_parse_size("1T", &bytes) && bytes == 1ull << 40);
    ck_assert(!sd_parse_size("", &bytes));
    ck_assert(!sd_parse_size("G", &bytes));
    ck_assert(!sd_parse_size("1.5G", &bytes));
    ck_assert(!sd_parse_size("2X", &bytes));
    ck_assert(!sd_parse_size("99999999999T", &bytes));

    expect_error(MEMORY "[[directory.d.principals]]\nname = \"a\"\n"
                 "quota = -1\n", "a size cannot be negative", NULL);
    expect_error(MEMORY "[[directory.d.principals]]\nname = \"a\"\n"
                 "quota = \"lots\"\n",
                 "t.toml:5: directory.d.principals[0].quota: 'lots' is not "
                 "a size", NULL);
}
END_TEST

START_TEST(test_renamed_keys)
{
    sd_registry *registry = expect_ok(
        MEMORY "[[directory.d.principals]]\nname = \"a\"\ntype = \"admin\"\n"
        "[[directory.d.principals]]\nname = \"b\"\nclass = \"group\"\n");
    sd_principal *p = NULL;
    ck_assert_int_eq(sd_directory_lookup(sd_registry_default(registry), "a",
                                         &p, NULL), SD_OK);
    ck_assert_int_eq(p->type, SD_PRINCIPAL_ADMIN);
    sd_principal_free(p);
    ck_assert_int_eq(sd_directory_lookup(sd_registry_default(registry), "b",
                                         &p, NULL), SD_OK);
    ck_assert_int_eq(p->type, SD_PRINCIPAL_GROUP);
    sd_principal_free(p);
    sd_registry_unref(registry);

    expect_error(MEMORY "[[directory.d.principals]]\nname = \"a\"\n"
                 "class = \"admin\"\ntype = \"admin\"\n",
                 "t.toml:6: directory.d.principals[0].type: 'class' and "
                 "'type' are two spellings of one setting", "line 5");
    expect_error(MEMORY "[[directory.d.principals]]\nname = \"a\"\n"
                 "class = \"robot\"\n", "unknown class 'robot'", NULL);
}
END_TEST

START_TEST(test_directory_types)
{
    expect_error("[directory.d]\nname = \"x\"\n",
                 "t.toml:1: directory.d: missing required key 'type'", NULL);
    expect_error("[directory.d]\ntype = \"ldap\"\naddress = \"x\"\n",
                 "directory.d.type: directories of type 'ldap' are not "
                 "available", NULL);
    expect_error("[directory.d]\ntype = \"nosql\"\n",
                 "unknown directory type 'nosql'", NULL);
    expect_error("a = 1\n", "no directory is configured", NULL);
    expect_error("[directory]\n", "no directory is configured", NULL);
}
END_TEST

START_TEST(test_default_directory)
{
    expect_error(MEMORY "[directory.e]\ntype = \"memory\"\n",
                 "several directories are configured ('d', 'e')", NULL);
    expect_error("[storage]\ndirectory = \"x\"\n" MEMORY,
                 "t.toml:2: storage.directory: there is no "
                 "[directory.\"x\"] section", NULL);
    expect_error("[storage]\ndirectory = \"d\"\n" MEMORY "disable = true\n",
                 "directory 'd' is disabled", NULL);
    expect_error(MEMORY "disable = true\n", "no enabled directory", NULL);

    sd_registry *registry = expect_ok(
        "[storage]\ndirectory = \"e\"\n" MEMORY
        "[directory.e]\ntype = \"memory\"\n"
        "[directory.off]\ndisable = true\ntype = \"sql\"\nwhatever = 1\n");
    ck_assert_str_eq(sd_directory_name(sd_registry_default(registry)), "e");
    ck_assert_ptr_nonnull(sd_registry_get(registry, "d"));
    ck_assert_ptr_null(sd_registry_get(registry, "off"));
    ck_assert_uint_eq(sd_registry_directories(registry)->len, 2);
    /* A second reference keeps the registry alive. */
    sd_registry *again = sd_registry_ref(registry);
    sd_registry_unref(registry);
    ck_assert_str_eq(sd_directory_name(sd_registry_default(again)), "e");
    sd_registry_unref(again);
}
END_TEST

START_TEST(test_options)
{
    expect_error(MEMORY "[directory.d.options]\nsubaddressing = 1\n",
                 "t.toml:4: directory.d.options.subaddressing: expected true, "
                 "false or { map", NULL);
    expect_error(MEMORY "[directory.d.options]\n"
                 "catch-all = { map = \"(.*)\" }\n",
                 "needs both 'map'", NULL);
    expect_error(MEMORY "[directory.d.options]\n"
                 "catch-all = { map = \"(.*\", to = \"${1}\" }\n",
                 "directory.d.options.catch-all: regular expression", NULL);
    expect_error(MEMORY "[directory.d.options]\n"
                 "catch-all = { map = \"(.*)\", to = \"${2}\", x = 1 }\n",
                 "only 1 capture group", "catch-all.x: unknown key");

    sd_registry *registry = expect_ok(
        MEMORY "[directory.d.options]\nsuperuser-group = \"wheel\"\n"
        "subaddressing = { map = \"^(.+)-.*@(.+)$\", to = \"${1}@${2}\" }\n"
        "catch-all = true\n");
    sd_directory *directory = sd_registry_default(registry);
    ck_assert_str_eq(sd_directory_superuser_group(directory), "wheel");
    char *line = sd_directory_describe(directory);
    ck_assert_ptr_nonnull(strstr(line, "subaddressing map, catch-all on, "
                                       "superuser group wheel"));
    g_free(line);
    sd_registry_unref(registry);
}
END_TEST

START_TEST(test_memory_errors)
{
    expect_error(MEMORY "[[directory.d.principals]]\ndescription = \"x\"\n",
                 "t.toml:3: directory.d.principals[0]: missing required key "
                 "'name'", NULL);
    expect_error(MEMORY "[[directory.d.principals]]\nname = \"Alice\"\n"
                 "[[directory.d.principals]]\nname = \"alice\"\n",
                 "t.toml:6: directory.d.principals[1].name: principal "
                 "'alice' is already defined at line 4", NULL);
    expect_error(MEMORY "[[directory.d.principals]]\nname = \"a\"\n"
                 "email = \"x@example.org\"\n"
                 "[[directory.d.principals]]\nname = \"b\"\n"
                 "email = [\"y@example.org\", \"X@Example.org\"]\n",
                 "t.toml:8: directory.d.principals[1].email: address "
                 "'x@example.org' already belongs to a (line 5)", NULL);
    expect_error(MEMORY "[[directory.d.principals]]\nname = \"a\"\n"
                 "email = \"not-an-address\"\n",
                 "t.toml:5: directory.d.principals[0].email: "
                 "'not-an-address' has no '@'", NULL);
    expect_error(MEMORY "[[directory.d.principals]]\nname = \"a\"\n"
                 "email = \"list@example.org\"\n"
                 "[[directory.d.principals]]\nname = \"b\"\n"
                 "email-list = \"list@example.org\"\n",
                 "cannot also be a list", NULL);
    expect_error(MEMORY "[[directory.d.principals]]\nname = \"a\"\n"
                 "member-of = \"b\"\n"
                 "[[directory.d.principals]]\nname = \"b\"\n",
                 "t.toml:4: directory.d.principals: 'a' is member-of 'b', "
                 "which is an individual, not a group", NULL);
    expect_error(MEMORY "[directory.d.lookup]\ndomains = [\"exa mple.org\"]\n",
                 "t.toml:4: directory.d.lookup.domains: not a domain name",
                 NULL);
    expect_error(MEMORY "[[directory.d.users]]\nname = \"a\"\nclass = "
                 "\"admin\"\n", "directory.d.users[0].class: unknown key",
                 NULL);
    expect_error(MEMORY "[[directory.d.principals]]\nname = \"\"\n",
                 "a name must have 1 to", NULL);
}
END_TEST

START_TEST(test_syntax_error_passes_through)
{
    GError *error = NULL;
    ck_assert_ptr_null(load("[directory.d\ntype = 1\n", &error));
    ck_assert_ptr_nonnull(error);
    ck_assert(g_str_has_prefix(error->message, "t.toml:1:"));
    g_error_free(error);
}
END_TEST

START_TEST(test_missing_file)
{
    GError *error = NULL;
    ck_assert_ptr_null(sd_registry_load("/nonexistent/dir/sasldir.toml",
                                        &error));
    ck_assert_ptr_nonnull(strstr(error->message,
                                 "/nonexistent/dir/sasldir.toml"));
    g_error_free(error);
}
END_TEST

START_TEST(test_key_paths)
{
    const char *text = "[\"a b\".c]\nx = 1\n";
    sd_cfg *cfg = sd_cfg_parse(text, strlen(text), "p.toml", NULL);
    ck_assert_ptr_nonnull(cfg);
    sd_cfg_table root, ab, c;
    sd_cfg_root(cfg, &root);
    ck_assert_int_eq(sd_cfg_get_table(&root, "a b", &ab), SD_CFG_FOUND);
    ck_assert_int_eq(sd_cfg_get_table(&ab, "c", &c), SD_CFG_FOUND);
    char *path = sd_cfg_key_path(&c, "x");
    ck_assert_str_eq(path, "\"a b\".c.x");
    g_free(path);
    ck_assert_uint_eq(sd_cfg_line(&c, "x"), 2);
    int64_t x = 0;
    ck_assert_int_eq(sd_cfg_get_int(&c, "x", 0, 10, &x), SD_CFG_FOUND);
    ck_assert_int_eq(x, 1);
    ck_assert_int_eq(sd_cfg_get_int(&c, "y", 0, 10, &x), SD_CFG_ABSENT);
    GError *error = NULL;
    ck_assert(sd_cfg_finish(cfg, &error));
    sd_cfg_table_clear(&c);
    sd_cfg_table_clear(&ab);
    sd_cfg_table_clear(&root);
    sd_cfg_free(cfg);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, test_minimal);
    tcase_add_test(tc, test_unknown_keys);
    tcase_add_test(tc, test_all_errors_reported);
    tcase_add_test(tc, test_wrong_types);
    tcase_add_test(tc, test_durations);
    tcase_add_test(tc, test_sizes);
    tcase_add_test(tc, test_renamed_keys);
    tcase_add_test(tc, test_directory_types);
    tcase_add_test(tc, test_default_directory);
    tcase_add_test(tc, test_options);
    tcase_add_test(tc, test_memory_errors);
    tcase_add_test(tc, test_syntax_error_passes_through);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_key_paths);
    suite_add_tcase(suite, tc);
    return sd_check_run(suite);
}
