/*
 * test_toml.c - unit tests of the TOML reader (common/sd_toml.c).
 *
 * Offers: a Check suite run through sd_check_run(), one TAP line per
 * test.
 *
 * Inputs: documents written inline, and files made in a temporary
 * directory for sd_toml_parse_file().
 *
 * Results: exit status 0 when every test passes.  Each test asserts
 * concrete values (types, numbers, bytes, positions) or the exact error
 * message and code, so that a reader that reads wrongly, or reports a
 * problem at the wrong place, fails.
 *
 * Failure modes: none of its own; a crash in the reader fails the test
 * that caused it (Check runs each test in a child process).
 */
#include "config.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sd_check.h"
#include "sd_toml.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static sd_toml_value *
parse_ok(const char *text)
{
    GError *error = NULL;
    sd_toml_value *root = sd_toml_parse(text, strlen(text), "t.toml", &error);

    ck_assert_msg(root != NULL, "refused: %s", error ? error->message : "?");
    ck_assert_int_eq(root->type, SD_TOML_TABLE);
    return root;
}

/* Parses TEXT, which must be refused with CODE and exactly MESSAGE. */
static void
expect_error(const char *text, int code, const char *message)
{
    GError *error = NULL;
    sd_toml_value *root = sd_toml_parse(text, strlen(text), "t.toml", &error);

    ck_assert_msg(root == NULL, "accepted: %s", text);
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(error->domain == SD_TOML_ERROR, "wrong error domain");
    ck_assert_str_eq(error->message, message);
    ck_assert_int_eq(error->code, code);
    g_error_free(error);
}

static void
expect_syntax(const char *text, const char *message)
{
    expect_error(text, SD_TOML_ERROR_SYNTAX, message);
}

/* Looks a dotted path of plain keys up from ROOT. */
static sd_toml_value *
get(const sd_toml_value *root, const char *path)
{
    char **parts = g_strsplit(path, ".", -1);
    const sd_toml_value *v = root;

    for (char **p = parts; *p != NULL; p++) {
        sd_toml_entry *e = sd_toml_table_find(v, *p);
        ck_assert_msg(e != NULL, "no key %s in path %s", *p, path);
        v = e->value;
    }
    g_strfreev(parts);
    return (sd_toml_value *)v;
}

static int64_t
get_int(const sd_toml_value *root, const char *path)
{
    sd_toml_value *v = get(root, path);

    ck_assert_int_eq(v->type, SD_TOML_INTEGER);
    return v->u.integer;
}

static double
get_float(const sd_toml_value *root, const char *path)
{
    sd_toml_value *v = get(root, path);

    ck_assert_int_eq(v->type, SD_TOML_FLOAT);
    return v->u.floating;
}

static const char *
get_str(const sd_toml_value *root, const char *path)
{
    sd_toml_value *v = get(root, path);

    ck_assert_int_eq(v->type, SD_TOML_STRING);
    ck_assert_uint_eq(strlen(v->u.string.bytes), v->u.string.len);
    return v->u.string.bytes;
}

/* A string containing COUNT levels of OPEN, a 1, then the CLOSE. */
static char *
nested(const char *prefix, const char *open, const char *close, int count)
{
    GString *s = g_string_new(prefix);

    for (int i = 0; i < count; i++)
        g_string_append(s, open);
    g_string_append(s, "1");
    for (int i = 0; i < count; i++)
        g_string_append(s, close);
    g_string_append_c(s, '\n');
    return g_string_free(s, FALSE);
}

/* ------------------------------------------------------------------ */
/* The API                                                             */
/* ------------------------------------------------------------------ */

START_TEST(test_empty_document)
{
    GError *error = NULL;
    sd_toml_value *root = sd_toml_parse("", 0, NULL, &error);

    ck_assert_ptr_nonnull(root);
    ck_assert_int_eq(root->type, SD_TOML_TABLE);
    ck_assert_uint_eq(root->u.table.count, 0);
    ck_assert_uint_eq(root->line, 1);
    ck_assert_uint_eq(root->column, 1);
    sd_toml_free(root);
    root = sd_toml_parse(NULL, 0, NULL, &error);
    ck_assert_ptr_nonnull(root);
    sd_toml_free(root);
    sd_toml_free(NULL);
}
END_TEST

START_TEST(test_type_names)
{
    ck_assert_str_eq(sd_toml_type_name(SD_TOML_TABLE), "table");
    ck_assert_str_eq(sd_toml_type_name(SD_TOML_ARRAY), "array");
    ck_assert_str_eq(sd_toml_type_name(SD_TOML_STRING), "string");
    ck_assert_str_eq(sd_toml_type_name(SD_TOML_INTEGER), "integer");
    ck_assert_str_eq(sd_toml_type_name(SD_TOML_FLOAT), "float");
    ck_assert_str_eq(sd_toml_type_name(SD_TOML_BOOLEAN), "boolean");
}
END_TEST

START_TEST(test_scalar_types)
{
    sd_toml_value *root = parse_ok("s = \"x\"\ni = 42\nf = 2.5\nt = true\n"
                                   "n = false\n");

    ck_assert_str_eq(get_str(root, "s"), "x");
    ck_assert_int_eq(get_int(root, "i"), 42);
    ck_assert_double_eq(get_float(root, "f"), 2.5);
    ck_assert_int_eq(get(root, "t")->type, SD_TOML_BOOLEAN);
    ck_assert(get(root, "t")->u.boolean);
    ck_assert(!get(root, "n")->u.boolean);
    sd_toml_free(root);
}
END_TEST

START_TEST(test_find)
{
    sd_toml_value *root = parse_ok("a = 1\n[t]\nb = 2\n");
    sd_toml_entry *e = sd_toml_table_find(root, "a");

    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->key, "a");
    ck_assert_uint_eq(e->key_len, 1);
    ck_assert(!e->used);
    ck_assert_ptr_null(sd_toml_table_find(root, "b"));
    ck_assert_ptr_null(sd_toml_table_find(root, ""));
    ck_assert_ptr_null(sd_toml_table_find(e->value, "a"));
    ck_assert_ptr_null(sd_toml_table_find(NULL, "a"));
    ck_assert_int_eq(get_int(root, "t.b"), 2);
    sd_toml_free(root);
}
END_TEST

START_TEST(test_entry_order)
{
    sd_toml_value *root = parse_ok("z = 1\na = 2\nm.x = 3\n\"\" = 4\n"
                                   "[b]\n[c]\n");
    const char *want[] = { "z", "a", "m", "", "b", "c" };

    ck_assert_uint_eq(root->u.table.count, G_N_ELEMENTS(want));
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
        ck_assert_str_eq(root->u.table.entries[i].key, want[i]);
    sd_toml_free(root);
}
END_TEST

START_TEST(test_key_positions)
{
    sd_toml_value *root = parse_ok("# c\n\nfirst = 1\n   second = 2\n"
                                   "a . b = 3\n\"q\" = 4\n");
    sd_toml_entry *e = sd_toml_table_find(root, "first");

    ck_assert_uint_eq(e->line, 3);
    ck_assert_uint_eq(e->column, 1);
    ck_assert_uint_eq(e->value->line, 3);
    ck_assert_uint_eq(e->value->column, 9);
    e = sd_toml_table_find(root, "second");
    ck_assert_uint_eq(e->line, 4);
    ck_assert_uint_eq(e->column, 4);
    e = sd_toml_table_find(root, "a");
    ck_assert_uint_eq(e->line, 5);
    ck_assert_uint_eq(e->column, 1);
    e = sd_toml_table_find(e->value, "b");
    ck_assert_uint_eq(e->line, 5);
    ck_assert_uint_eq(e->column, 5);
    e = sd_toml_table_find(root, "q");
    ck_assert_uint_eq(e->line, 6);
    ck_assert_uint_eq(e->column, 1);
    sd_toml_free(root);
}
END_TEST

START_TEST(test_header_positions)
{
    sd_toml_value *root = parse_ok("x = 1\n\n  [a.b]\nk = 1\n[a]\n");
    sd_toml_entry *a = sd_toml_table_find(root, "a");
    sd_toml_entry *b = sd_toml_table_find(a->value, "b");

    /* The key is where it is written in the header... */
    ck_assert_uint_eq(b->line, 3);
    ck_assert_uint_eq(b->column, 6);
    ck_assert_uint_eq(a->line, 3);
    ck_assert_uint_eq(a->column, 4);
    /* ...the table where its header is; [a] declares a later. */
    ck_assert_uint_eq(b->value->line, 3);
    ck_assert_uint_eq(b->value->column, 3);
    ck_assert_uint_eq(a->value->line, 5);
    ck_assert_uint_eq(a->value->column, 1);
    sd_toml_free(root);
}
END_TEST

START_TEST(test_array_of_tables)
{
    sd_toml_value *root = parse_ok("[[p]]\nn = 1\n[p.sub]\nx = 1\n"
                                   "\n[[p]]\nn = 2\n[p.sub]\nx = 2\n");
    sd_toml_value *p = get(root, "p");

    ck_assert_int_eq(p->type, SD_TOML_ARRAY);
    ck_assert_uint_eq(p->u.array.count, 2);
    ck_assert_uint_eq(p->u.array.items[0]->line, 1);
    ck_assert_uint_eq(p->u.array.items[1]->line, 6);
    ck_assert_int_eq(get_int(p->u.array.items[0], "sub.x"), 1);
    ck_assert_int_eq(get_int(p->u.array.items[1], "sub.x"), 2);
    ck_assert_int_eq(get_int(p->u.array.items[1], "n"), 2);
    sd_toml_free(root);
}
END_TEST

START_TEST(test_string_with_nul)
{
    sd_toml_value *root = parse_ok("\"k\\u0000z\" = \"a\\u0000b\"\n");
    sd_toml_entry *e = &root->u.table.entries[0];

    ck_assert_uint_eq(root->u.table.count, 1);
    ck_assert_uint_eq(e->key_len, 3);
    ck_assert_int_eq(memcmp(e->key, "k\0z", 4), 0);
    ck_assert_uint_eq(e->value->u.string.len, 3);
    ck_assert_int_eq(memcmp(e->value->u.string.bytes, "a\0b", 4), 0);
    /* find() takes a C string: "k" is not "k\0z". */
    ck_assert_ptr_null(sd_toml_table_find(root, "k"));
    sd_toml_free(root);
}
END_TEST

START_TEST(test_escapes)
{
    sd_toml_value *root = parse_ok(
        "a = \"\\b\\t\\n\\f\\r\\\"\\\\\"\n"
        "u = \"\\u00e9\\u20AC\"\n"
        "U = \"\\U0001F600\\U0010FFFF\"\n"
        "k = 'no \\escapes \\n'\n");

    ck_assert_str_eq(get_str(root, "a"), "\b\t\n\f\r\"\\");
    ck_assert_str_eq(get_str(root, "u"), "\xc3\xa9\xe2\x82\xac");
    ck_assert_str_eq(get_str(root, "U"), "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
    ck_assert_str_eq(get_str(root, "k"), "no \\escapes \\n");
    sd_toml_free(root);
}
END_TEST

START_TEST(test_multiline_strings)
{
    sd_toml_value *root = parse_ok(
        "a = \"\"\"\nfirst\nsecond\"\"\"\n"
        "b = \"\"\"x \\\n\n    y\"\"\"\n"
        "c = \"\"\"q\"\"\"\"\"\n"
        "d = '''\nraw \\n'''''\n"
        "e = \"\"\"\r\nwin\r\ndows\"\"\"\n");

    ck_assert_str_eq(get_str(root, "a"), "first\nsecond");
    ck_assert_str_eq(get_str(root, "b"), "x y");
    ck_assert_str_eq(get_str(root, "c"), "q\"\"");
    ck_assert_str_eq(get_str(root, "d"), "raw \\n''");
    ck_assert_str_eq(get_str(root, "e"), "win\ndows");
    sd_toml_free(root);
}
END_TEST

START_TEST(test_integers)
{
    sd_toml_value *root = parse_ok(
        "a = +99\nb = -17\nc = 1_000_000\nd = 0xDEAD_beef\ne = 0o755\n"
        "f = 0b1101\ng = 9223372036854775807\nh = -9223372036854775808\n"
        "i = 0x7fffffffffffffff\nj = -0\n");

    ck_assert_int_eq(get_int(root, "a"), 99);
    ck_assert_int_eq(get_int(root, "b"), -17);
    ck_assert_int_eq(get_int(root, "c"), 1000000);
    ck_assert_int_eq(get_int(root, "d"), 0xDEADBEEF);
    ck_assert_int_eq(get_int(root, "e"), 0755);
    ck_assert_int_eq(get_int(root, "f"), 13);
    ck_assert_int_eq(get_int(root, "g"), INT64_MAX);
    ck_assert_int_eq(get_int(root, "h"), INT64_MIN);
    ck_assert_int_eq(get_int(root, "i"), INT64_MAX);
    ck_assert_int_eq(get_int(root, "j"), 0);
    sd_toml_free(root);
}
END_TEST

START_TEST(test_floats)
{
    sd_toml_value *root = parse_ok(
        "a = 3.25\nb = -2e-2\nc = 1_0.5e0_1\nd = inf\ne = -inf\nf = nan\n"
        "g = -0.0\nh = 1e400\ni = +1.5E+3\nj = -nan\n");

    ck_assert_double_eq(get_float(root, "a"), 3.25);
    ck_assert_double_eq(get_float(root, "b"), -0.02);
    ck_assert_double_eq(get_float(root, "c"), 105.0);
    ck_assert(isinf(get_float(root, "d")) && get_float(root, "d") > 0);
    ck_assert(isinf(get_float(root, "e")) && get_float(root, "e") < 0);
    ck_assert(isnan(get_float(root, "f")));
    ck_assert(isnan(get_float(root, "j")));
    ck_assert(get_float(root, "g") == 0.0 && signbit(get_float(root, "g")));
    ck_assert(isinf(get_float(root, "h")));
    ck_assert_double_eq(get_float(root, "i"), 1500.0);
    sd_toml_free(root);
}
END_TEST

START_TEST(test_arrays)
{
    sd_toml_value *root = parse_ok("a = [ 1, 'two', [3.0, []], {x = 4}, ]\n"
                                   "b = [\n  1, # one\n\n  2\n]\n");
    sd_toml_value *a = get(root, "a");

    ck_assert_int_eq(a->type, SD_TOML_ARRAY);
    ck_assert_uint_eq(a->u.array.count, 4);
    ck_assert_int_eq(a->u.array.items[0]->u.integer, 1);
    ck_assert_str_eq(a->u.array.items[1]->u.string.bytes, "two");
    ck_assert_uint_eq(a->u.array.items[2]->u.array.count, 2);
    ck_assert_uint_eq(a->u.array.items[2]->u.array.items[1]->u.array.count, 0);
    ck_assert_int_eq(get_int(a->u.array.items[3], "x"), 4);
    ck_assert_uint_eq(a->column, 5);
    ck_assert_uint_eq(a->u.array.items[1]->column, 10);
    ck_assert_uint_eq(get(root, "b")->u.array.count, 2);
    ck_assert_uint_eq(get(root, "b")->u.array.items[1]->line, 5);
    sd_toml_free(root);
}
END_TEST

START_TEST(test_inline_tables)
{
    sd_toml_value *root = parse_ok("t = { a = 1, b.c = 2, b.d = 'x', "
                                   "e = {} }\n");

    ck_assert_int_eq(get_int(root, "t.a"), 1);
    ck_assert_int_eq(get_int(root, "t.b.c"), 2);
    ck_assert_str_eq(get_str(root, "t.b.d"), "x");
    ck_assert_uint_eq(get(root, "t.e")->u.table.count, 0);
    ck_assert_uint_eq(get(root, "t")->column, 5);
    sd_toml_free(root);
}
END_TEST

START_TEST(test_table_rules_accepted)
{
    /* Implicit tables may be declared once, later; dotted keys may
     * pass through a table a header only implied. */
    sd_toml_value *root = parse_ok("[a.b.c]\nx = 1\n[a]\nb.d = 2\n"
                                   "[x.y]\n[x]\nz.w = 3\n[x.z.v]\n");

    ck_assert_int_eq(get_int(root, "a.b.c.x"), 1);
    ck_assert_int_eq(get_int(root, "a.b.d"), 2);
    ck_assert_int_eq(get_int(root, "x.z.w"), 3);
    ck_assert_int_eq(get(root, "x.z.v")->type, SD_TOML_TABLE);
    sd_toml_free(root);
}
END_TEST

START_TEST(test_crlf)
{
    sd_toml_value *root = parse_ok("a = 1\r\n# c\r\n[t]\r\nb = [\r\n2]\r\n");

    ck_assert_int_eq(get_int(root, "a"), 1);
    ck_assert_int_eq(get(root, "t.b")->u.array.items[0]->u.integer, 2);
    ck_assert_uint_eq(sd_toml_table_find(get(root, "t"), "b")->line, 4);
    sd_toml_free(root);
}
END_TEST

START_TEST(test_not_nul_terminated)
{
    /* The buffer ends inside a longer number, string and key: only the
     * given length may be read (AddressSanitizer checks it). */
    const char *texts[] = { "a = 12345", "a = \"xyz\"", "abc = 1" };
    const size_t lens[] = { 6, 8, 2 };

    for (size_t i = 0; i < G_N_ELEMENTS(texts); i++) {
        char *copy = g_malloc(lens[i]);
        memcpy(copy, texts[i], lens[i]);
        GError *error = NULL;
        sd_toml_value *root = sd_toml_parse(copy, lens[i], "t", &error);
        if (i == 0) {
            ck_assert_ptr_nonnull(root);
            ck_assert_int_eq(get_int(root, "a"), 12);
        } else {
            ck_assert_ptr_null(root);
            g_clear_error(&error);
        }
        sd_toml_free(root);
        g_free(copy);
    }
}
END_TEST

START_TEST(test_many_keys)
{
    GString *doc = g_string_new(NULL);
    char key[32];

    for (int i = 0; i < 50000; i++)
        g_string_append_printf(doc, "k%d = %d\n", i, i);
    sd_toml_value *root = parse_ok(doc->str);
    ck_assert_uint_eq(root->u.table.count, 50000);
    for (int i = 0; i < 50000; i += 997) {
        g_snprintf(key, sizeof key, "k%d", i);
        ck_assert_int_eq(get_int(root, key), i);
    }
    ck_assert_uint_eq(sd_toml_table_find(root, "k49999")->line, 50000);
    sd_toml_free(root);
    g_string_free(doc, TRUE);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

START_TEST(test_error_syntax)
{
    expect_syntax("a = 1\nb = 1 2\n",
                  "t.toml:2:7: expected the end of the line after a value, "
                  "found '2'");
    expect_syntax("a = 1\n= 2\n",
                  "t.toml:2:1: expected a key, a [table] header or a "
                  "comment, found '='");
    expect_syntax("x = \n", "t.toml:1:5: expected a value, found end of line");
    expect_syntax("a = hello\n", "t.toml:1:5: invalid value 'hello'");
}
END_TEST

START_TEST(test_error_default_filename)
{
    GError *error = NULL;

    ck_assert_ptr_null(sd_toml_parse("[", 1, NULL, &error));
    ck_assert_str_eq(error->message,
                     "<input>:1:2: expected a key, found end of input");
    g_error_free(error);
    /* A NULL error pointer is allowed. */
    ck_assert_ptr_null(sd_toml_parse("[", 1, NULL, NULL));
}
END_TEST

START_TEST(test_error_duplicate_key)
{
    expect_syntax("x = 1\ny = 2\n  x = 3\n",
                  "t.toml:3:3: duplicate key 'x' (first defined at line 1)");
    expect_syntax("a = 1\n\"a\" = 2\n",
                  "t.toml:2:1: duplicate key 'a' (first defined at line 1)");
    expect_syntax("[t]\na.b = 1\na.b = 2\n",
                  "t.toml:3:3: duplicate key 'a.b' (first defined at line 2)");
    expect_syntax("\"a b\" = 1\n'a b' = 2\n",
                  "t.toml:2:1: duplicate key '\"a b\"' (first defined at "
                  "line 1)");
}
END_TEST

START_TEST(test_error_duplicate_inline_key)
{
    expect_syntax("\n\nt = { a = 1, b = 2, a = 3 }\n",
                  "t.toml:3:21: duplicate key 'a' (first defined at line 3)");
}
END_TEST

START_TEST(test_error_table_twice)
{
    expect_syntax("[a]\nx = 1\n\n[a]\n",
                  "t.toml:4:1: table [a] defined twice (first defined at "
                  "line 1)");
    expect_syntax("[a.b]\n[a]\n[\"a\"]\n",
                  "t.toml:3:1: table [a] defined twice (first defined at "
                  "line 2)");
}
END_TEST

START_TEST(test_error_table_after_dotted)
{
    expect_syntax("a.b.c = 1\n[a.b]\n",
                  "t.toml:2:1: table [a.b] already defined by dotted keys "
                  "(line 1)");
    expect_syntax("[a.b]\nx = 1\n[a]\nb.y = 2\n",
                  "t.toml:4:1: cannot add to table [a.b] with dotted keys: "
                  "it was defined at line 1");
}
END_TEST

START_TEST(test_error_array_of_tables)
{
    expect_syntax("[[a]]\n[a]\n",
                  "t.toml:2:1: cannot define table [a]: it is already an "
                  "array of tables (line 1)");
    expect_syntax("[a]\n[[a]]\n",
                  "t.toml:2:1: cannot define array of tables [[a]]: it is "
                  "already a table (line 1)");
    expect_syntax("[[a.b]]\n[a]\nb.c = 1\n",
                  "t.toml:3:1: cannot use 'a.b' as a table: it is an array "
                  "of tables (line 1)");
}
END_TEST

START_TEST(test_error_immutable)
{
    expect_syntax("a = {b = 1}\na.c = 2\n",
                  "t.toml:2:1: cannot use 'a' as a table: it is an inline "
                  "table (line 1)");
    expect_syntax("a = [1]\n[[a]]\n",
                  "t.toml:2:1: cannot define array of tables [[a]]: it is "
                  "already an array (line 1)");
    expect_syntax("a = {b = {}}\n[a.b]\n",
                  "t.toml:2:2: cannot use 'a' as a table: it is an inline "
                  "table (line 1)");
    expect_syntax("t = {b = {c = 1}, b.d = 2}\n",
                  "t.toml:1:19: cannot add to 'b': it is an inline table "
                  "(line 1)");
}
END_TEST

START_TEST(test_error_invalid_escape)
{
    expect_syntax("a = 1\nb = \"ok\\q\"\n",
                  "t.toml:2:8: invalid escape '\\q' in string");
    expect_syntax("a = \"\"\"\nline\n  \\x\"\"\"\n",
                  "t.toml:3:3: invalid escape '\\x' in string");
    expect_syntax("a = \"\\u12\"\n",
                  "t.toml:1:6: invalid escape: '\\u' needs 4 hexadecimal "
                  "digits");
    expect_syntax("a = \"\"\"x \\ y\"\"\"\n",
                  "t.toml:1:10: invalid escape: a backslash followed by "
                  "whitespace must end the line");
}
END_TEST

START_TEST(test_error_not_scalar_value)
{
    expect_syntax("a = \"\\uD800\"\n",
                  "t.toml:1:6: invalid escape '\\uD800': not a Unicode "
                  "scalar value");
    expect_syntax("a = \"\\U00110000\"\n",
                  "t.toml:1:6: invalid escape '\\U00110000': not a Unicode "
                  "scalar value");
}
END_TEST

START_TEST(test_error_bad_integer)
{
    expect_syntax("a = 0x\n", "t.toml:1:5: invalid number '0x'");
    expect_syntax("a = 1\nb = 012\n", "t.toml:2:5: invalid number '012'");
    expect_syntax("a = 1__0\n", "t.toml:1:5: invalid number '1__0'");
    expect_syntax("a = -0x1\n", "t.toml:1:5: invalid number '-0x1'");
    expect_syntax("a = 0b102\n", "t.toml:1:5: invalid number '0b102'");
    expect_syntax("a = [1, _1]\n", "t.toml:1:9: invalid value '_1'");
}
END_TEST

START_TEST(test_error_integer_range)
{
    expect_syntax("a = 1\nb = 9223372036854775808\n",
                  "t.toml:2:5: integer out of range (TOML integers are "
                  "64-bit signed)");
    expect_syntax("a = -9_223_372_036_854_775_809\n",
                  "t.toml:1:5: integer out of range (TOML integers are "
                  "64-bit signed)");
    expect_syntax("a = [0, 0x8000000000000000]\n",
                  "t.toml:1:9: integer out of range (TOML integers are "
                  "64-bit signed)");
}
END_TEST

START_TEST(test_error_bad_float)
{
    expect_syntax("a = 1.\n", "t.toml:1:5: invalid number '1.'");
    expect_syntax("a = 1e\n", "t.toml:1:5: invalid number '1e'");
    expect_syntax("a = .5\n", "t.toml:1:5: invalid value '.5'");
    expect_syntax("a = 03.14\n", "t.toml:1:5: invalid number '03.14'");
    expect_syntax("a = infinity\n", "t.toml:1:5: invalid float 'infinity'");
    expect_syntax("a = NaN\n", "t.toml:1:5: invalid value 'NaN'");
}
END_TEST

START_TEST(test_error_unterminated_string)
{
    expect_syntax("a = 1\nb = \"abc\nc = 2\n",
                  "t.toml:2:5: unterminated string (a line break before the "
                  "closing quote)");
    /* A multi-line string is reported where it starts. */
    expect_syntax("a = 1\nb = '''abc\n\n\n",
                  "t.toml:2:5: unterminated string");
    expect_syntax("a = \"x", "t.toml:1:5: unterminated string");
}
END_TEST

START_TEST(test_error_control_characters)
{
    expect_syntax("a = \"x\x01y\"\n",
                  "t.toml:1:7: control character U+0001 in a string (write "
                  "it as an escape)");
    expect_syntax("a = 1\n# ok\n#  \x7f\n",
                  "t.toml:3:4: control character U+007F in a comment");
    expect_syntax("a = '''\n\x1b'''\n",
                  "t.toml:2:1: control character U+001B in a string (write "
                  "it as an escape)");
}
END_TEST

START_TEST(test_error_nul_byte)
{
    GError *error = NULL;

    ck_assert_ptr_null(sd_toml_parse("a = \"\0\"\n", 8, "t", &error));
    ck_assert_str_eq(error->message, "t:1:6: control character U+0000 in a "
                     "string (write it as an escape)");
    g_clear_error(&error);
    ck_assert_ptr_null(sd_toml_parse("a = 1\n\0", 7, "t", &error));
    ck_assert_str_eq(error->message, "t:2:1: expected a key, a [table] "
                     "header or a comment, found control character U+0000");
    g_clear_error(&error);
}
END_TEST

START_TEST(test_error_bare_cr)
{
    expect_syntax("a = 1\rb = 2\n",
                  "t.toml:1:6: expected the end of the line after a value, "
                  "found a carriage return without a line feed");
    expect_syntax("a = 1\r\n# x\ry\r\n",
                  "t.toml:2:4: carriage return without a line feed in a "
                  "comment");
    expect_syntax("a = \"x\ry\"\n",
                  "t.toml:1:7: carriage return without a line feed in a "
                  "string");
}
END_TEST

START_TEST(test_error_bad_utf8)
{
    expect_syntax("a = 1\nb = 2\nc = \"caf\xe9\"\n",
                  "t.toml:3:9: invalid UTF-8 (byte 0xE9)");
    /* The encoding is checked before anything else is read. */
    expect_syntax("[[[\n# \xed\xa0\x80\n", "t.toml:2:3: invalid UTF-8 "
                  "(byte 0xED)");
    expect_syntax("\xef\xbb\xbf" "a = 1\n",
                  "t.toml:1:1: expected a key, a [table] header or a "
                  "comment, found U+FEFF (a byte order mark)");
}
END_TEST

START_TEST(test_error_dates_unsupported)
{
    const char *docs[] = {
        "a = 1979-05-27T07:32:00Z\n",
        "a = 1979-05-27 07:32:00.5+01:00\n",
        "a = 1979-05-27T07:32:00\n",
        "a = 1979-05-27\n",
        "a = 07:32:00\n",
        "a = [1979-05-27]\n",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(docs); i++) {
        int column = i == 5 ? 6 : 5;
        char *message = g_strdup_printf("t.toml:1:%d: date and time values "
                                        "are not supported (no sasldir "
                                        "setting uses them)", column);
        expect_error(docs[i], SD_TOML_ERROR_UNSUPPORTED, message);
        g_free(message);
    }
    expect_syntax("a = 1979-02-30\n",
                  "t.toml:1:5: invalid date or time '1979-02-30'");
}
END_TEST

START_TEST(test_error_inline_table_rules)
{
    expect_syntax("a = {b = 1,}\n",
                  "t.toml:1:12: trailing comma in an inline table (not "
                  "allowed in TOML 1.0)");
    expect_syntax("a = {b = 1\n}\n",
                  "t.toml:1:11: an inline table must be on one line "
                  "(TOML 1.0)");
}
END_TEST

START_TEST(test_depth_limit_arrays)
{
    char *ok = nested("a = ", "[", "]", SD_TOML_MAX_DEPTH);
    char *deep = nested("a = ", "[", "]", SD_TOML_MAX_DEPTH + 1);
    char *message = g_strdup_printf("t.toml:1:%d: arrays and inline tables "
                                    "nested more than %d deep",
                                    5 + SD_TOML_MAX_DEPTH, SD_TOML_MAX_DEPTH);
    sd_toml_value *root = parse_ok(ok);

    sd_toml_free(root);
    expect_error(deep, SD_TOML_ERROR_LIMIT, message);
    g_free(ok);
    g_free(deep);
    g_free(message);
}
END_TEST

START_TEST(test_depth_limit_inline_tables)
{
    char *ok = nested("a = ", "{b = ", "}", SD_TOML_MAX_DEPTH);
    char *deep = nested("a = ", "{b = ", "}", SD_TOML_MAX_DEPTH + 1);
    char *dotted = g_strdup("a = {b.c = [[1]]}\n");
    GError *error = NULL;
    sd_toml_value *root = parse_ok(ok);

    sd_toml_free(root);
    ck_assert_ptr_null(sd_toml_parse(deep, strlen(deep), "t", &error));
    ck_assert_int_eq(error->code, SD_TOML_ERROR_LIMIT);
    g_clear_error(&error);
    root = parse_ok(dotted);
    sd_toml_free(root);
    g_free(ok);
    g_free(deep);
    g_free(dotted);
}
END_TEST

START_TEST(test_key_parts_limit)
{
    GString *doc = g_string_new("[a");
    GError *error = NULL;

    for (int i = 1; i < SD_TOML_MAX_DEPTH; i++)
        g_string_append(doc, ".a");
    g_string_append(doc, "]\n");
    sd_toml_value *root = parse_ok(doc->str);
    sd_toml_free(root);
    g_string_truncate(doc, doc->len - 2);
    g_string_append(doc, ".a]\n");
    ck_assert_ptr_null(sd_toml_parse(doc->str, doc->len, "t", &error));
    ck_assert_int_eq(error->code, SD_TOML_ERROR_LIMIT);
    ck_assert_ptr_nonnull(strstr(error->message, "at most 64 dotted parts"));
    g_clear_error(&error);
    g_string_free(doc, TRUE);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

static char *
temp_file(const char *contents, gssize len)
{
    GError *error = NULL;
    char *path = NULL;
    int fd = g_file_open_tmp("test_toml-XXXXXX.toml", &path, &error);

    ck_assert_msg(fd >= 0, "%s", error ? error->message : "?");
    close(fd);
    ck_assert(g_file_set_contents(path, contents, len, NULL));
    return path;
}

START_TEST(test_file_ok)
{
    char *path = temp_file("[server]\nport = 7900\n", -1);
    GError *error = NULL;
    sd_toml_value *root = sd_toml_parse_file(path, &error);

    ck_assert_ptr_nonnull(root);
    ck_assert_int_eq(get_int(root, "server.port"), 7900);
    sd_toml_free(root);
    unlink(path);
    g_free(path);
}
END_TEST

START_TEST(test_file_parse_error_names_path)
{
    char *path = temp_file("a = 1\na = 2\n", -1);
    char *want = g_strdup_printf("%s:2:1: duplicate key 'a' (first defined "
                                 "at line 1)", path);
    GError *error = NULL;

    ck_assert_ptr_null(sd_toml_parse_file(path, &error));
    ck_assert_str_eq(error->message, want);
    ck_assert_int_eq(error->code, SD_TOML_ERROR_SYNTAX);
    g_error_free(error);
    unlink(path);
    g_free(path);
    g_free(want);
}
END_TEST

START_TEST(test_file_missing)
{
    GError *error = NULL;

    ck_assert_ptr_null(sd_toml_parse_file("/nonexistent/sasldir.toml",
                                          &error));
    ck_assert_int_eq(error->code, SD_TOML_ERROR_IO);
    ck_assert_str_eq(error->message, "/nonexistent/sasldir.toml: No such file "
                     "or directory");
    g_error_free(error);
}
END_TEST

START_TEST(test_file_directory)
{
    GError *error = NULL;

    ck_assert_ptr_null(sd_toml_parse_file("/", &error));
    ck_assert_int_eq(error->code, SD_TOML_ERROR_IO);
    ck_assert_str_eq(error->message, "/: Is a directory");
    g_error_free(error);
}
END_TEST

START_TEST(test_file_too_large)
{
    char *path = temp_file("", 0);
    char *want = g_strdup_printf("%s: file too large (the limit is 16 MiB)",
                                 path);
    GError *error = NULL;
    int fd = open(path, O_WRONLY);

    /* A sparse file: large, but costs no disk. */
    ck_assert(fd >= 0);
    ck_assert_int_eq(ftruncate(fd, (off_t)SD_TOML_MAX_FILE_SIZE + 1), 0);
    close(fd);
    ck_assert_ptr_null(sd_toml_parse_file(path, &error));
    ck_assert_int_eq(error->code, SD_TOML_ERROR_LIMIT);
    ck_assert_str_eq(error->message, want);
    g_error_free(error);
    unlink(path);
    g_free(path);
    g_free(want);
}
END_TEST

START_TEST(test_file_at_size_limit)
{
    /* Exactly the limit is allowed: a comment line of that size. */
    char *doc = g_malloc(SD_TOML_MAX_FILE_SIZE);
    GError *error = NULL;

    memset(doc, 'x', SD_TOML_MAX_FILE_SIZE);
    doc[0] = '#';
    doc[SD_TOML_MAX_FILE_SIZE - 1] = '\n';
    char *path = temp_file(doc, SD_TOML_MAX_FILE_SIZE);
    sd_toml_value *root = sd_toml_parse_file(path, &error);
    ck_assert_msg(root != NULL, "%s", error ? error->message : "?");
    ck_assert_uint_eq(root->u.table.count, 0);
    sd_toml_free(root);
    unlink(path);
    g_free(path);
    g_free(doc);
}
END_TEST

static Suite *
toml_suite(void)
{
    Suite *s = suite_create("toml");
    TCase *api = tcase_create("api");
    TCase *errors = tcase_create("errors");
    TCase *files = tcase_create("files");

    tcase_add_test(api, test_empty_document);
    tcase_add_test(api, test_type_names);
    tcase_add_test(api, test_scalar_types);
    tcase_add_test(api, test_find);
    tcase_add_test(api, test_entry_order);
    tcase_add_test(api, test_key_positions);
    tcase_add_test(api, test_header_positions);
    tcase_add_test(api, test_array_of_tables);
    tcase_add_test(api, test_string_with_nul);
    tcase_add_test(api, test_escapes);
    tcase_add_test(api, test_multiline_strings);
    tcase_add_test(api, test_integers);
    tcase_add_test(api, test_floats);
    tcase_add_test(api, test_arrays);
    tcase_add_test(api, test_inline_tables);
    tcase_add_test(api, test_table_rules_accepted);
    tcase_add_test(api, test_crlf);
    tcase_add_test(api, test_not_nul_terminated);
    tcase_add_test(api, test_many_keys);
    /* Valgrind slows the big documents down a lot. */
    tcase_set_timeout(api, 120);
    suite_add_tcase(s, api);

    tcase_add_test(errors, test_error_syntax);
    tcase_add_test(errors, test_error_default_filename);
    tcase_add_test(errors, test_error_duplicate_key);
    tcase_add_test(errors, test_error_duplicate_inline_key);
    tcase_add_test(errors, test_error_table_twice);
    tcase_add_test(errors, test_error_table_after_dotted);
    tcase_add_test(errors, test_error_array_of_tables);
    tcase_add_test(errors, test_error_immutable);
    tcase_add_test(errors, test_error_invalid_escape);
    tcase_add_test(errors, test_error_not_scalar_value);
    tcase_add_test(errors, test_error_bad_integer);
    tcase_add_test(errors, test_error_integer_range);
    tcase_add_test(errors, test_error_bad_float);
    tcase_add_test(errors, test_error_unterminated_string);
    tcase_add_test(errors, test_error_control_characters);
    tcase_add_test(errors, test_error_nul_byte);
    tcase_add_test(errors, test_error_bare_cr);
    tcase_add_test(errors, test_error_bad_utf8);
    tcase_add_test(errors, test_error_dates_unsupported);
    tcase_add_test(errors, test_error_inline_table_rules);
    tcase_add_test(errors, test_depth_limit_arrays);
    tcase_add_test(errors, test_depth_limit_inline_tables);
    tcase_add_test(errors, test_key_parts_limit);
    suite_add_tcase(s, errors);

    tcase_add_test(files, test_file_ok);
    tcase_add_test(files, test_file_parse_error_names_path);
    tcase_add_test(files, test_file_missing);
    tcase_add_test(files, test_file_directory);
    tcase_add_test(files, test_file_too_large);
    tcase_add_test(files, test_file_at_size_limit);
    tcase_set_timeout(files, 120);
    suite_add_tcase(s, files);
    return s;
}

int
main(void)
{
    return sd_check_run(toml_suite());
}
