/*
 * sd_config.c - strict typed access to the TOML tree (see sd_config.h).
 *
 * The "taken" mark lives in each sd_toml_entry's `used` flag, so the
 * unknown-key check is a walk over the tree after every consumer has had
 * its turn; no list of valid keys is kept apart from the code that reads
 * them, and the two cannot drift apart.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "sd_config.h"
#include "sd_log.h"
#include "sd_result.h"

struct sd_cfg {
    char *filename;
    sd_toml_value *root;
    GPtrArray *errors;          /* char*, one per problem */
};

static sd_cfg *
cfg_new(sd_toml_value *root, const char *filename)
{
    sd_cfg *cfg = g_new0(sd_cfg, 1);
    cfg->filename = g_strdup(filename != NULL ? filename : "<input>");
    cfg->root = root;
    cfg->errors = g_ptr_array_new_with_free_func(g_free);
    return cfg;
}

sd_cfg *
sd_cfg_load(const char *path, GError **error)
{
    sd_toml_value *root = sd_toml_parse_file(path, error);
    return root != NULL ? cfg_new(root, path) : NULL;
}

sd_cfg *
sd_cfg_parse(const char *text, size_t len, const char *filename,
             GError **error)
{
    sd_toml_value *root = sd_toml_parse(text, len, filename, error);
    return root != NULL ? cfg_new(root, filename) : NULL;
}

void
sd_cfg_free(sd_cfg *cfg)
{
    if (cfg == NULL)
        return;
    sd_toml_free(cfg->root);
    g_ptr_array_unref(cfg->errors);
    g_free(cfg->filename);
    g_free(cfg);
}

const char *
sd_cfg_filename(const sd_cfg *cfg)
{
    return cfg->filename;
}

void
sd_cfg_root(sd_cfg *cfg, sd_cfg_table *out)
{
    out->cfg = cfg;
    out->table = cfg->root;
    out->path = g_strdup("");
}

void
sd_cfg_table_clear(sd_cfg_table *table)
{
    g_clear_pointer(&table->path, g_free);
    table->table = NULL;
}

unsigned
sd_cfg_error_count(const sd_cfg *cfg)
{
    return cfg->errors->len;
}

/* ------------------------------------------------------------------ */
/* Key paths and error messages                                        */
/* ------------------------------------------------------------------ */

static void
append_key(GString *out, const char *key, size_t len)
{
    if (out->len > 0)
        g_string_append_c(out, '.');
    sd_toml_append_key(out, key, len);
}

char *
sd_cfg_key_path(const sd_cfg_table *table, const char *key)
{
    GString *out = g_string_new(table->path);
    if (key != NULL)
        append_key(out, key, strlen(key));
    return g_string_free(out, FALSE);
}

static sd_toml_entry *
find_entry(const sd_cfg_table *table, const char *key)
{
    return sd_toml_table_find(table->table, key);
}

unsigned
sd_cfg_line(const sd_cfg_table *table, const char *key)
{
    if (key != NULL) {
        sd_toml_entry *entry = find_entry(table, key);
        if (entry != NULL)
            return entry->line;
    }
    return table->table != NULL ? table->table->line : 0;
}

static char *
format_problem(const sd_cfg_table *table, const char *key, unsigned line,
               const char *format, va_list ap) G_GNUC_PRINTF(4, 0);

static char *
format_problem(const sd_cfg_table *table, const char *key, unsigned line,
               const char *format, va_list ap)
{
    char *what = g_strdup_vprintf(format, ap);
    char *path = sd_cfg_key_path(table, key);
    if (line == 0)
        line = sd_cfg_line(table, key);
    char *message;
    if (*path != '\0')
        message = g_strdup_printf("%s:%u: %s: %s", table->cfg->filename, line,
                                  path, what);
    else
        message = g_strdup_printf("%s:%u: %s", table->cfg->filename, line,
                                  what);
    g_free(path);
    g_free(what);
    return message;
}

void
sd_cfg_error(const sd_cfg_table *table, const char *key, unsigned line,
             const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    char *message = format_problem(table, key, line, format, ap);
    va_end(ap);
    g_ptr_array_add(table->cfg->errors, message);
}

void
sd_cfg_warning(const sd_cfg_table *table, const char *key,
               const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    char *message = format_problem(table, key, 0, format, ap);
    va_end(ap);
    sd_log(SD_LOG_WARNING, "%s", message);
    g_free(message);
}

/* ------------------------------------------------------------------ */
/* The unknown-key walk                                                */
/* ------------------------------------------------------------------ */

static void report_unused(sd_cfg *cfg, sd_toml_value *value, GString *path);

static void
report_unused_entries(sd_cfg *cfg, sd_toml_value *table, GString *path)
{
    for (size_t i = 0; i < table->u.table.count; i++) {
        sd_toml_entry *entry = &table->u.table.entries[i];
        gsize saved = path->len;
        append_key(path, entry->key, entry->key_len);
        if (!entry->used)
            g_ptr_array_add(cfg->errors,
                            g_strdup_printf("%s:%u: %s: unknown key",
                                            cfg->filename, entry->line,
                                            path->str));
        else
            report_unused(cfg, entry->value, path);
        g_string_truncate(path, saved);
    }
}

static void
report_unused(sd_cfg *cfg, sd_toml_value *value, GString *path)
{
    if (value->type == SD_TOML_TABLE) {
        report_unused_entries(cfg, value, path);
    } else if (value->type == SD_TOML_ARRAY) {
        for (size_t i = 0; i < value->u.array.count; i++) {
            sd_toml_value *item = value->u.array.items[i];
            if (item->type != SD_TOML_TABLE)
                continue;
            gsize saved = path->len;
            g_string_append_printf(path, "[%zu]", i);
            report_unused_entries(cfg, item, path);
            g_string_truncate(path, saved);
        }
    }
}

bool
sd_cfg_finish(sd_cfg *cfg, GError **error)
{
    GString *path = g_string_new("");
    report_unused(cfg, cfg->root, path);
    g_string_free(path, TRUE);

    if (cfg->errors->len == 0)
        return true;

    GString *all = g_string_new("");
    for (guint i = 0; i < cfg->errors->len; i++) {
        if (i > 0)
            g_string_append_c(all, '\n');
        g_string_append(all, g_ptr_array_index(cfg->errors, i));
    }
    g_set_error_literal(error, SD_ERROR_DOMAIN, SD_ERROR, all->str);
    g_string_free(all, TRUE);
    return false;
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */
/* ------------------------------------------------------------------ */

static void
take_value(sd_toml_value *value)
{
    if (value->type == SD_TOML_TABLE) {
        for (size_t i = 0; i < value->u.table.count; i++) {
            value->u.table.entries[i].used = true;
            take_value(value->u.table.entries[i].value);
        }
    } else if (value->type == SD_TOML_ARRAY) {
        for (size_t i = 0; i < value->u.array.count; i++)
            take_value(value->u.array.items[i]);
    }
}

void
sd_cfg_take(sd_cfg_table *table, const char *key)
{
    sd_toml_entry *entry = find_entry(table, key);
    if (entry != NULL)
        entry->used = true;
}

void
sd_cfg_take_all(sd_cfg_table *table)
{
    take_value(table->table);
}

sd_toml_value *
sd_cfg_get_value(sd_cfg_table *table, const char *key)
{
    sd_toml_entry *entry = find_entry(table, key);
    if (entry == NULL)
        return NULL;
    entry->used = true;
    return entry->value;
}

static sd_cfg_status
wrong_type(sd_cfg_table *table, const char *key, const char *expected,
           const sd_toml_value *found)
{
    sd_cfg_error(table, key, 0, "expected %s, found %s %s", expected,
                 found->type == SD_TOML_INTEGER ? "an" : "a",
                 sd_toml_type_name(found->type));
    return SD_CFG_INVALID;
}

static bool
string_has_nul(const sd_toml_value *value)
{
    return strlen(value->u.string.bytes) != value->u.string.len;
}

sd_cfg_status
sd_cfg_get_string(sd_cfg_table *table, const char *key, const char **out)
{
    sd_toml_value *value = sd_cfg_get_value(table, key);
    if (value == NULL)
        return SD_CFG_ABSENT;
    if (value->type != SD_TOML_STRING)
        return wrong_type(table, key, "a string", value);
    if (string_has_nul(value)) {
        sd_cfg_error(table, key, 0, "the string contains a NUL character");
        return SD_CFG_INVALID;
    }
    *out = value->u.string.bytes;
    return SD_CFG_FOUND;
}

sd_cfg_status
sd_cfg_get_string_alias(sd_cfg_table *table, const char *key,
                        const char *alias, const char **out,
                        const char **used_key)
{
    sd_toml_entry *first = find_entry(table, key);
    sd_toml_entry *second = find_entry(table, alias);
    if (first != NULL && second != NULL) {
        first->used = second->used = true;
        sd_cfg_error(table, alias, 0,
                     "'%s' and '%s' are two spellings of one setting "
                     "(Stalwart renamed it between versions); '%s' is "
                     "already set at line %u: keep only one",
                     key, alias, key, first->line);
        return SD_CFG_INVALID;
    }
    const char *which = second != NULL ? alias : key;
    if (used_key != NULL)
        *used_key = which;
    return sd_cfg_get_string(table, which, out);
}

sd_cfg_status
sd_cfg_get_bool(sd_cfg_table *table, const char *key, bool *out)
{
    sd_toml_value *value = sd_cfg_get_value(table, key);
    if (value == NULL)
        return SD_CFG_ABSENT;
    if (value->type != SD_TOML_BOOLEAN)
        return wrong_type(table, key, "true or false", value);
    *out = value->u.boolean;
    return SD_CFG_FOUND;
}

sd_cfg_status
sd_cfg_get_int(sd_cfg_table *table, const char *key, int64_t min,
               int64_t max, int64_t *out)
{
    sd_toml_value *value = sd_cfg_get_value(table, key);
    if (value == NULL)
        return SD_CFG_ABSENT;
    if (value->type != SD_TOML_INTEGER)
        return wrong_type(table, key, "an integer", value);
    if (value->u.integer < min || value->u.integer > max) {
        sd_cfg_error(table, key, 0,
                     "%" G_GINT64_FORMAT " is out of range (%" G_GINT64_FORMAT
                     " to %" G_GINT64_FORMAT ")",
                     value->u.integer, min, max);
        return SD_CFG_INVALID;
    }
    *out = value->u.integer;
    return SD_CFG_FOUND;
}

/* Splits "<digits><unit>"; false when TEXT is not of that form. */
static bool
split_number_unit(const char *text, uint64_t *number, const char **unit)
{
    const char *p = text;
    if (!g_ascii_isdigit(*p))
        return false;
    uint64_t n = 0;
    for (; g_ascii_isdigit(*p); p++) {
        unsigned digit = (unsigned)(*p - '0');
        if (n > (UINT64_MAX - digit) / 10)
            return false;
        n = n * 10 + digit;
    }
    *number = n;
    *unit = p;
    return true;
}

static bool
scale(uint64_t number, uint64_t factor, uint64_t *out)
{
    if (factor != 0 && number > UINT64_MAX / factor)
        return false;
    *out = number * factor;
    return true;
}

bool
sd_parse_duration(const char *text, uint64_t *out_ms)
{
    static const struct { const char *unit; uint64_t ms; } units[] = {
        { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
        { "d", 86400000 },
    };
    uint64_t number;
    const char *unit;
    if (!split_number_unit(text, &number, &unit))
        return false;
    for (size_t i = 0; i < G_N_ELEMENTS(units); i++)
        if (strcmp(unit, units[i].unit) == 0)
            return scale(number, units[i].ms, out_ms);
    return false;
}

bool
sd_parse_size(const char *text, uint64_t *out_bytes)
{
    static const struct { const char *unit; uint64_t bytes; } units[] = {
        { "", 1 }, { "b", 1 },
        { "k", 1ull << 10 }, { "kb", 1ull << 10 }, { "kib", 1ull << 10 },
        { "m", 1ull << 20 }, { "mb", 1ull << 20 }, { "mib", 1ull << 20 },
        { "g", 1ull << 30 }, { "gb", 1ull << 30 }, { "gib", 1ull << 30 },
        { "t", 1ull << 40 }, { "tb", 1ull << 40 }, { "tib", 1ull << 40 },
    };
    uint64_t number;
    const char *unit;
    if (!split_number_unit(text, &number, &unit))
        return false;
    for (size_t i = 0; i < G_N_ELEMENTS(units); i++)
        if (g_ascii_strcasecmp(unit, units[i].unit) == 0)
            return scale(number, units[i].bytes, out_bytes);
    return false;
}

sd_cfg_status
sd_cfg_get_duration(sd_cfg_table *table, const char *key, uint64_t *out_ms)
{
    sd_toml_value *value = sd_cfg_get_value(table, key);
    if (value == NULL)
        return SD_CFG_ABSENT;
    if (value->type == SD_TOML_INTEGER) {
        sd_cfg_error(table, key, 0,
                     "a duration needs a unit: write e.g. \"%" G_GINT64_FORMAT
                     "s\" (units: ms, s, m, h, d)", value->u.integer);
        return SD_CFG_INVALID;
    }
    if (value->type != SD_TOML_STRING)
        return wrong_type(table, key, "a duration such as \"30s\"", value);
    if (string_has_nul(value) || !sd_parse_duration(value->u.string.bytes,
                                                    out_ms)) {
        sd_cfg_error(table, key, 0,
                     "'%s' is not a duration: write a whole number and a "
                     "unit, e.g. \"500ms\", \"30s\", \"10m\", \"1h\", \"1d\"",
                     value->u.string.bytes);
        return SD_CFG_INVALID;
    }
    return SD_CFG_FOUND;
}

sd_cfg_status
sd_cfg_get_size(sd_cfg_table *table, const char *key, uint64_t *out_bytes)
{
    sd_toml_value *value = sd_cfg_get_value(table, key);
    if (value == NULL)
        return SD_CFG_ABSENT;
    if (value->type == SD_TOML_INTEGER) {
        if (value->u.integer < 0) {
            sd_cfg_error(table, key, 0, "a size cannot be negative");
            return SD_CFG_INVALID;
        }
        *out_bytes = (uint64_t)value->u.integer;
        return SD_CFG_FOUND;
    }
    if (value->type != SD_TOML_STRING)
        return wrong_type(table, key, "a size (bytes, or e.g. \"2G\")",
                          value);
    if (string_has_nul(value) || !sd_parse_size(value->u.string.bytes,
                                                out_bytes)) {
        sd_cfg_error(table, key, 0,
                     "'%s' is not a size: write bytes, or a whole number "
                     "with K, M, G or T (1024-based), e.g. \"512M\"",
                     value->u.string.bytes);
        return SD_CFG_INVALID;
    }
    return SD_CFG_FOUND;
}

sd_cfg_status
sd_cfg_get_string_list(sd_cfg_table *table, const char *key, GPtrArray **out,
                       GArray **lines)
{
    sd_toml_value *value = sd_cfg_get_value(table, key);
    if (value == NULL)
        return SD_CFG_ABSENT;
    sd_toml_value *const *items = &value;
    size_t count = 1;
    if (value->type == SD_TOML_ARRAY) {
        items = value->u.array.items;
        count = value->u.array.count;
    }
    GPtrArray *list = g_ptr_array_sized_new((guint)count);
    GArray *where = g_array_sized_new(FALSE, FALSE, sizeof(unsigned),
                                      (guint)count);
    for (size_t i = 0; i < count; i++) {
        const sd_toml_value *item = items[i];
        if (item->type != SD_TOML_STRING || string_has_nul(item)) {
            if (item->type != SD_TOML_STRING)
                sd_cfg_error(table, key, item->line,
                             "expected a string or an array of strings, "
                             "found %s %s",
                             item->type == SD_TOML_INTEGER ? "an" : "a",
                             sd_toml_type_name(item->type));
            else
                sd_cfg_error(table, key, item->line,
                             "the string contains a NUL character");
            g_ptr_array_unref(list);
            g_array_unref(where);
            return SD_CFG_INVALID;
        }
        g_ptr_array_add(list, item->u.string.bytes);
        g_array_append_val(where, item->line);
    }
    *out = list;
    if (lines != NULL)
        *lines = where;
    else
        g_array_unref(where);
    return SD_CFG_FOUND;
}

static void
make_cursor(const sd_cfg_table *parent, const char *key, const char *suffix,
            sd_toml_value *table, sd_cfg_table *out)
{
    char *path = sd_cfg_key_path(parent, key);
    out->cfg = parent->cfg;
    out->table = table;
    out->path = suffix != NULL ? g_strconcat(path, suffix, NULL)
                               : g_strdup(path);
    g_free(path);
}

sd_cfg_status
sd_cfg_get_table(sd_cfg_table *table, const char *key, sd_cfg_table *out)
{
    sd_toml_value *value = sd_cfg_get_value(table, key);
    if (value == NULL)
        return SD_CFG_ABSENT;
    if (value->type != SD_TOML_TABLE)
        return wrong_type(table, key, "a table", value);
    make_cursor(table, key, NULL, value, out);
    return SD_CFG_FOUND;
}

static void
clear_table_cursor(void *data)
{
    sd_cfg_table_clear(data);
}

sd_cfg_status
sd_cfg_get_table_array(sd_cfg_table *table, const char *key, GArray **out)
{
    sd_toml_value *value = sd_cfg_get_value(table, key);
    if (value == NULL)
        return SD_CFG_ABSENT;
    if (value->type != SD_TOML_ARRAY)
        return wrong_type(table, key, "an array of tables ([[...]])", value);
    GArray *tables = g_array_sized_new(FALSE, TRUE, sizeof(sd_cfg_table),
                                       (guint)value->u.array.count);
    g_array_set_clear_func(tables, clear_table_cursor);
    for (size_t i = 0; i < value->u.array.count; i++) {
        sd_toml_value *item = value->u.array.items[i];
        if (item->type != SD_TOML_TABLE) {
            sd_cfg_error(table, key, item->line,
                         "expected an array of tables, but item %zu is %s %s",
                         i, item->type == SD_TOML_INTEGER ? "an" : "a",
                         sd_toml_type_name(item->type));
            g_array_unref(tables);
            return SD_CFG_INVALID;
        }
        char suffix[32];
        g_snprintf(suffix, sizeof suffix, "[%zu]", i);
        sd_cfg_table cursor;
        make_cursor(table, key, suffix, item, &cursor);
        g_array_append_val(tables, cursor);
    }
    *out = tables;
    return SD_CFG_FOUND;
}

void
sd_cfg_table_array_free(GArray *tables)
{
    if (tables != NULL)
        g_array_unref(tables);
}

/* ------------------------------------------------------------------ */
/* Named stores                                                        */
/* ------------------------------------------------------------------ */

sd_cfg_status
sd_cfg_get_store(sd_cfg_table *table, const char *name, sd_cfg_table *out)
{
    sd_cfg_table root, stores;
    sd_cfg_root(table->cfg, &root);
    sd_cfg_status status = sd_cfg_get_table(&root, "store", &stores);
    if (status == SD_CFG_FOUND) {
        status = sd_cfg_get_table(&stores, name, out);
        sd_cfg_table_clear(&stores);
    }
    sd_cfg_table_clear(&root);
    return status == SD_CFG_FOUND ? SD_CFG_FOUND : SD_CFG_ABSENT;
}

unsigned
sd_cfg_skip_unused_stores(sd_cfg *cfg)
{
    sd_toml_entry *stores = sd_toml_table_find(cfg->root, "store");
    if (stores == NULL || stores->value->type != SD_TOML_TABLE)
        return 0;
    unsigned skipped = 0;
    stores->used = true;
    sd_toml_value *table = stores->value;
    for (size_t i = 0; i < table->u.table.count; i++) {
        sd_toml_entry *entry = &table->u.table.entries[i];
        if (entry->used)
            continue;
        entry->used = true;
        take_value(entry->value);
        skipped++;
        sd_log(SD_LOG_DEBUG, "%s:%u: store.%s: no directory uses this "
               "store; ignored", cfg->filename, entry->line, entry->key);
    }
    return skipped;
}
