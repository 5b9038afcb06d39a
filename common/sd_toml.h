/*
 * sd_toml.h - a strict reader for TOML 1.0 documents.
 *
 * Offers: sd_toml_parse() turns a byte buffer into a tree of
 * sd_toml_value nodes; sd_toml_parse_file() does the same for a file.
 *
 * Inputs: UTF-8 text.  Every construct of TOML 1.0 is read (tables,
 * dotted and quoted keys, arrays of tables, inline tables, basic, literal
 * and multi-line strings with every escape, integers in every base,
 * floats including inf and nan, booleans, arrays, comments), except
 * offset date-times, local date-times, local dates and local times: no
 * sasldir setting uses them, so they are refused with an error that says
 * so.
 *
 * Results: a tree whose root is a table.  Tables keep their keys in
 * document order.  Every node and every key records the line (1-based)
 * and column (1-based, counted in bytes) where it starts, so that later
 * stages can name the place of a problem.
 *
 * Failure modes: anything that is not valid TOML 1.0 (or is a date-time)
 * is refused with a GError in SD_TOML_ERROR whose message has the form
 * "FILE:LINE:COLUMN: what is wrong".  The reader never crashes, never
 * loops forever and bounds its own recursion (SD_TOML_MAX_DEPTH) and the
 * size of what it reads (SD_TOML_MAX_FILE_SIZE for files).  The depth
 * bound covers arrays, inline tables and the sub-tables that dotted keys
 * make inside inline tables; a dotted key of more than SD_TOML_MAX_DEPTH
 * parts is refused too (SD_TOML_ERROR_LIMIT).  tomli has no such limits;
 * no real configuration comes near them.
 *
 * Secrets: the file's bytes and every string buffer are sized once and
 * wiped before they are freed, and sd_toml_free() wipes the strings of
 * the tree, so a configuration's secrets leave no stray copies.
 */
#ifndef SD_TOML_H
#define SD_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

G_BEGIN_DECLS

/* Arrays and inline tables nested deeper than this are refused. */
#define SD_TOML_MAX_DEPTH 64
/* Files larger than this are refused by sd_toml_parse_file(). */
#define SD_TOML_MAX_FILE_SIZE (16u * 1024u * 1024u)

#define SD_TOML_ERROR (sd_toml_error_quark())
GQuark sd_toml_error_quark(void);

typedef enum sd_toml_error_code {
    SD_TOML_ERROR_SYNTAX = 1, /* not valid TOML 1.0 */
    SD_TOML_ERROR_UNSUPPORTED, /* valid TOML that sasldir refuses (dates) */
    SD_TOML_ERROR_LIMIT,      /* nesting depth or size limit */
    SD_TOML_ERROR_IO,         /* the file could not be read */
} sd_toml_error_code;

typedef enum sd_toml_type {
    SD_TOML_TABLE,
    SD_TOML_ARRAY,
    SD_TOML_STRING,
    SD_TOML_INTEGER,
    SD_TOML_FLOAT,
    SD_TOML_BOOLEAN,
} sd_toml_type;

typedef struct sd_toml_value sd_toml_value;

/* One key = value pair of a table. */
typedef struct sd_toml_entry {
    char *key;          /* the key's bytes (UTF-8), NUL-terminated */
    size_t key_len;     /* may be less than strlen: "\u0000" is legal */
    sd_toml_value *value;
    unsigned line;      /* where the key (or the [header]) was written */
    unsigned column;
    bool used;          /* set by consumers that took the setting; the
                           reader itself always leaves it false */
} sd_toml_entry;

struct sd_toml_value {
    sd_toml_type type;
    unsigned line;      /* where the value starts; for a table made by a */
    unsigned column;    /* [header], where the header is written          */
    union {
        struct {
            sd_toml_entry *entries; /* in document order */
            size_t count;
        } table;
        struct {
            sd_toml_value **items;
            size_t count;
        } array;
        struct {
            char *bytes;  /* UTF-8, NUL-terminated */
            size_t len;   /* may be less than strlen: "\u0000" is legal */
        } string;
        int64_t integer;
        double floating;
        bool boolean;
    } u;
    /* Private to the reader (table flags, lookup index).  Do not use. */
    void *priv;
    unsigned flags;
};

/*
 * Parses LEN bytes at DATA.  FILENAME is used only in error messages
 * (NULL gives "<input>").  Returns the root table, or NULL with *ERROR
 * set.  DATA need not be NUL-terminated.
 */
sd_toml_value *sd_toml_parse(const char *data, size_t len,
                             const char *filename, GError **error);

/* Reads and parses the file at PATH. */
sd_toml_value *sd_toml_parse_file(const char *path, GError **error);

/* Frees a tree returned by a parse function.  NULL is allowed. */
void sd_toml_free(sd_toml_value *value);

/*
 * Finds KEY (a NUL-terminated string, compared byte for byte) among the
 * entries of TABLE.  Returns NULL when TABLE is not a table or has no
 * such key.  Average O(1).
 */
sd_toml_entry *sd_toml_table_find(const sd_toml_value *table, const char *key);

/*
 * Appends one key (LEN bytes at BYTES) to OUT as TOML writes it: bare
 * when it can be, quoted with escapes otherwise, cut short with "..."
 * past 64 bytes.  For naming keys in messages.
 */
void sd_toml_append_key(GString *out, const char *bytes, size_t len);

/* "table", "array", "string", "integer", "float" or "boolean". */
const char *sd_toml_type_name(sd_toml_type type);

G_END_DECLS

#endif
