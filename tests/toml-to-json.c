/*
 * toml-to-json.c - prints a TOML document as type-tagged JSON, so that
 * tests/toml-oracle.py can compare sd_toml's reading with tomli's.
 *
 * Usage: toml-to-json FILE
 *
 * Inputs: one file, read with sd_toml_parse_file().
 *
 * Results: on standard output, tables as JSON objects (keys in document
 * order), arrays as JSON arrays, and every scalar as
 * {"type": "string"|"integer"|"float"|"bool", "value": "<text>"}, where
 * an integer is written in decimal, a float with %.17g (or inf, -inf,
 * nan) and a boolean as true or false.  Writing scalars as text keeps
 * 64-bit integers and float bits exact whatever the JSON reader does
 * with numbers.
 *
 * Failure modes: exit 1 with the parser's message ("FILE:LINE:COLUMN:
 * what") on standard error when the document is refused; exit 2 on a
 * usage error; exit 3 when the output cannot be written.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sd_json.h"
#include "sd_toml.h"

static void dump_value(GString *out, const sd_toml_value *value);

static void
dump_scalar(GString *out, const char *type, const char *text)
{
    g_string_append(out, "{\"type\": ");
    sd_json_append_string(out, type, strlen(type));
    g_string_append(out, ", \"value\": ");
    sd_json_append_string(out, text, strlen(text));
    g_string_append_c(out, '}');
}

static void
dump_float(GString *out, double d)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    if (isnan(d))
        dump_scalar(out, "float", "nan");
    else if (isinf(d))
        dump_scalar(out, "float", d < 0 ? "-inf" : "inf");
    else
        dump_scalar(out, "float", g_ascii_formatd(buf, sizeof buf, "%.17g", d));
}

static void
dump_table(GString *out, const sd_toml_value *table)
{
    g_string_append_c(out, '{');
    for (size_t i = 0; i < table->u.table.count; i++) {
        const sd_toml_entry *e = &table->u.table.entries[i];
        if (i > 0)
            g_string_append(out, ", ");
        sd_json_append_string(out, e->key, e->key_len);
        g_string_append(out, ": ");
        dump_value(out, e->value);
    }
    g_string_append_c(out, '}');
}

static void
dump_array(GString *out, const sd_toml_value *array)
{
    g_string_append_c(out, '[');
    for (size_t i = 0; i < array->u.array.count; i++) {
        if (i > 0)
            g_string_append(out, ", ");
        dump_value(out, array->u.array.items[i]);
    }
    g_string_append_c(out, ']');
}

static void
dump_value(GString *out, const sd_toml_value *value)
{
    char buf[32];

    switch (value->type) {
    case SD_TOML_TABLE:
        dump_table(out, value);
        break;
    case SD_TOML_ARRAY:
        dump_array(out, value);
        break;
    case SD_TOML_STRING:
        g_string_append(out, "{\"type\": \"string\", \"value\": ");
        sd_json_append_string(out, value->u.string.bytes,
                              value->u.string.len);
        g_string_append_c(out, '}');
        break;
    case SD_TOML_INTEGER:
        g_snprintf(buf, sizeof buf, "%" PRId64, value->u.integer);
        dump_scalar(out, "integer", buf);
        break;
    case SD_TOML_FLOAT:
        dump_float(out, value->u.floating);
        break;
    case SD_TOML_BOOLEAN:
        dump_scalar(out, "bool", value->u.boolean ? "true" : "false");
        break;
    }
}

int
main(int argc, char **argv)
{
    GError *error = NULL;
    sd_toml_value *root;
    GString *out;
    int status = EXIT_SUCCESS;

    if (argc != 2) {
        fprintf(stderr, "usage: toml-to-json FILE\n");
        return 2;
    }
    root = sd_toml_parse_file(argv[1], &error);
    if (root == NULL) {
        fprintf(stderr, "%s\n", error->message);
        g_error_free(error);
        return 1;
    }
    out = g_string_new(NULL);
    dump_value(out, root);
    g_string_append_c(out, '\n');
    if (fwrite(out->str, 1, out->len, stdout) != out->len
        || fflush(stdout) != 0) {
        perror("toml-to-json: standard output");
        status = 3;
    }
    g_string_free(out, TRUE);
    sd_toml_free(root);
    return status;
}
