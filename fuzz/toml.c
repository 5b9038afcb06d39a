/*
 * toml.c - libFuzzer target for the TOML reader (common/sd_toml.c).
 *
 * Offers: LLVMFuzzerTestOneInput(), which parses the input with
 * sd_toml_parse(), walks the whole tree it gets back, looks some keys
 * up and frees everything.
 *
 * Inputs: arbitrary bytes, not NUL-terminated (the reader must not need
 * the terminator).  Seeds: tests/toml/; dictionary: fuzz/toml.dict.
 *
 * Results: nothing; the sanitizers report what goes wrong.  The walk
 * reads every field of every node, so a node left half-built, a count
 * that disagrees with its array or a string without its terminator
 * shows up as a sanitizer report rather than going unnoticed.
 *
 * Failure modes: abort() when the tree breaks one of the reader's
 * promises (root is a table, error set exactly when NULL comes back,
 * lengths agree with the bytes, find() finds every key).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sd_toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const sd_toml_value *value, unsigned depth);

static void
check(bool ok)
{
    if (!ok)
        abort();
}

/* Strings and keys are UTF-8; "\u0000" may put NULs in them, which
 * GLib's check does not allow, so it is run between them. */
static bool
utf8_with_nuls(const char *s, size_t len)
{
    const char *end;

    while (!g_utf8_validate_len(s, len, &end)) {
        if (*end != '\0')
            return false;
        len -= (size_t)(end - s) + 1;
        s = end + 1;
    }
    return true;
}

static void
walk_table(const sd_toml_value *table, unsigned depth)
{
    for (size_t i = 0; i < table->u.table.count; i++) {
        const sd_toml_entry *e = &table->u.table.entries[i];
        check(e->key[e->key_len] == '\0' && !e->used && e->line > 0
              && e->column > 0 && utf8_with_nuls(e->key, e->key_len));
        /* Keys without NUL must be found again, and be that entry. */
        if (strlen(e->key) == e->key_len)
            check(sd_toml_table_find(table, e->key) == e);
        walk(e->value, depth + 1);
    }
    check(sd_toml_table_find(table, "\x01no such key") == NULL);
}

static void
walk(const sd_toml_value *value, unsigned depth)
{
    /* The reader bounds nesting; a deeper tree would be a bug. */
    check(depth < 4 * SD_TOML_MAX_DEPTH && value->line > 0
          && value->column > 0);
    check(strcmp(sd_toml_type_name(value->type), "unknown") != 0);
    switch (value->type) {
    case SD_TOML_TABLE:
        walk_table(value, depth);
        break;
    case SD_TOML_ARRAY:
        for (size_t i = 0; i < value->u.array.count; i++)
            walk(value->u.array.items[i], depth + 1);
        break;
    case SD_TOML_STRING:
        check(value->u.string.bytes[value->u.string.len] == '\0');
        check(utf8_with_nuls(value->u.string.bytes, value->u.string.len));
        break;
    case SD_TOML_INTEGER:
    case SD_TOML_FLOAT:
    case SD_TOML_BOOLEAN:
        break;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly SIZE bytes, so that AddressSanitizer catches a
     * read of the byte after the input. */
    char *copy = malloc(size > 0 ? size : 1);
    GError *error = NULL;
    sd_toml_value *root;

    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    root = sd_toml_parse(copy, size, "fuzz", &error);
    check((root == NULL) == (error != NULL));
    if (root != NULL) {
        check(root->type == SD_TOML_TABLE);
        walk(root, 0);
        sd_toml_entry *e = sd_toml_table_find(root, "a");
        check(e == NULL || strcmp(e->key, "a") == 0);
        sd_toml_free(root);
    } else {
        check(error->domain == SD_TOML_ERROR
              && strncmp(error->message, "fuzz:", 5) == 0);
        g_error_free(error);
    }
    free(copy);
    return 0;
}
