/*
 * sd_toml.c - a strict reader for TOML 1.0 (see sd_toml.h).
 *
 * Offers: sd_toml_parse(), sd_toml_parse_file(), sd_toml_free(),
 * sd_toml_table_find(), sd_toml_type_name().
 *
 * Inputs: a byte buffer that need not be NUL-terminated, or a path.
 *
 * Results: a tree of sd_toml_value nodes that the caller frees with
 * sd_toml_free().
 *
 * Failure modes: the first problem ends the parse; the partial tree is
 * freed and a GError in SD_TOML_ERROR reads "FILE:LINE:COLUMN: what".
 * What counts as valid is what tomli 2.0.1 accepts (the test suite
 * compares the two), except that integers outside 64 bits are refused
 * as the specification demands and date-times are refused as
 * unsupported.
 *
 * How the table rules are kept: tomli records its flags by key path,
 * this reader on the table nodes themselves.  The two agree because a
 * path names one live node at a time; the only exception, [[array]]
 * moving a path on to a fresh element, is exactly where tomli clears
 * the flags under that path.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sd_toml.h"

G_DEFINE_QUARK(sd-toml-error-quark, sd_toml_error)

/* Bits of sd_toml_value.flags. */
enum {
    /* A [header] names this table no more: declared by a header, or
     * made or extended by dotted keys in a section that has ended. */
    TF_EXPLICIT = 1u << 0,
    TF_HEADER = 1u << 1,   /* the declaration was a [header] */
    TF_FROZEN = 1u << 2,   /* inline table or array value: immutable */
    TF_PENDING = 1u << 3,  /* dotted keys of this section touched it */
    TF_AOT = 1u << 4,      /* array made by [[header]] */
};

typedef struct key_ref {
    const char *bytes;
    size_t len;
} key_ref;

/* Most tables are small or empty: they get storage with their first
 * key and an index only past INDEX_MIN keys, below which a scan is as
 * fast and the memory (a few hundred bytes a table) is saved. */
#define INDEX_MIN 8

typedef struct table_priv {
    GArray *entries;      /* of sd_toml_entry; u.table mirrors it */
    GHashTable *index;    /* key_ref * -> entry position + 1, or NULL */
} table_priv;

typedef struct mark {
    size_t pos;
    unsigned line;
    unsigned column;
} mark;

typedef struct key_part {
    char *bytes;
    size_t len;
    mark at;
} key_part;

typedef struct parser {
    const char *src;
    size_t len;
    size_t pos;
    unsigned line;
    size_t line_start;
    const char *filename;
    GError *error;
    sd_toml_value *root;
    sd_toml_value *section;   /* table that key = value lines go to */
    char *section_name;       /* its dotted name, for messages */
    GPtrArray *pending;       /* tables with TF_PENDING */
    GString *scratch;
} parser;

/* ------------------------------------------------------------------ */
/* Nodes                                                               */
/* ------------------------------------------------------------------ */

static guint
key_hash(gconstpointer data)
{
    const key_ref *key = data;
    guint h = 5381;

    for (size_t i = 0; i < key->len; i++)
        h = h * 33 + (unsigned char)key->bytes[i];
    return h;
}

static gboolean
key_equal(gconstpointer a, gconstpointer b)
{
    const key_ref *x = a;
    const key_ref *y = b;

    return x->len == y->len && memcmp(x->bytes, y->bytes, x->len) == 0;
}

static sd_toml_value *
node_new(sd_toml_type type, const mark *at)
{
    sd_toml_value *v = g_new0(sd_toml_value, 1);

    v->type = type;
    v->line = at->line;
    v->column = at->column;
    return v;
}

static sd_toml_value *
table_new(const mark *at)
{
    return node_new(SD_TOML_TABLE, at);
}

static sd_toml_value *
array_new(const mark *at)
{
    sd_toml_value *v = node_new(SD_TOML_ARRAY, at);

    v->priv = g_ptr_array_new();
    return v;
}

static sd_toml_entry *
table_lookup(const sd_toml_value *table, const char *bytes, size_t len)
{
    const table_priv *priv = table->priv;
    key_ref key = { bytes, len };
    gpointer slot;

    if (priv == NULL)
        return NULL;
    if (priv->index == NULL) {
        for (guint i = 0; i < priv->entries->len; i++) {
            sd_toml_entry *e = &g_array_index(priv->entries, sd_toml_entry, i);
            if (e->key_len == len && memcmp(e->key, bytes, len) == 0)
                return e;
        }
        return NULL;
    }
    slot = g_hash_table_lookup(priv->index, &key);
    if (slot == NULL)
        return NULL;
    return &g_array_index(priv->entries, sd_toml_entry,
                          GPOINTER_TO_SIZE(slot) - 1);
}

/* Keys may hold NUL ("\u0000"), so they are copied by length. */
static char *
dup_bytes(const char *bytes, size_t len)
{
    char *copy = g_malloc(len + 1);

    memcpy(copy, bytes, len);
    copy[len] = '\0';
    return copy;
}

static void
index_entry(table_priv *priv, guint position)
{
    const sd_toml_entry *e = &g_array_index(priv->entries, sd_toml_entry,
                                            position);
    key_ref *key = g_new(key_ref, 1);

    key->bytes = e->key;
    key->len = e->key_len;
    g_hash_table_insert(priv->index, key, GSIZE_TO_POINTER(position + 1));
}

/* The caller has checked that the key is not there yet. */
static void
table_add(sd_toml_value *table, const key_part *part, sd_toml_value *value)
{
    table_priv *priv = table->priv;
    sd_toml_entry entry = {
        .key = dup_bytes(part->bytes, part->len),
        .key_len = part->len,
        .value = value,
        .line = part->at.line,
        .column = part->at.column,
    };

    if (priv == NULL) {
        priv = table->priv = g_new0(table_priv, 1);
        priv->entries = g_array_new(FALSE, FALSE, sizeof(sd_toml_entry));
    }
    g_array_append_val(priv->entries, entry);
    if (priv->index != NULL) {
        index_entry(priv, priv->entries->len - 1);
    } else if (priv->entries->len > INDEX_MIN) {
        priv->index = g_hash_table_new_full(key_hash, key_equal, g_free,
                                            NULL);
        for (guint i = 0; i < priv->entries->len; i++)
            index_entry(priv, i);
    }
    /* The array may have moved: keep the public view in step. */
    table->u.table.entries = (sd_toml_entry *)(void *)priv->entries->data;
    table->u.table.count = priv->entries->len;
}

static void
array_push(sd_toml_value *array, sd_toml_value *item)
{
    GPtrArray *items = array->priv;

    g_ptr_array_add(items, item);
    array->u.array.items = (sd_toml_value **)items->pdata;
    array->u.array.count = items->len;
}

static sd_toml_value *
array_last(const sd_toml_value *array)
{
    return array->u.array.items[array->u.array.count - 1];
}

void
sd_toml_free(sd_toml_value *value)
{
    if (value == NULL)
        return;
    if (value->type == SD_TOML_TABLE && value->priv != NULL) {
        table_priv *priv = value->priv;
        for (size_t i = 0; i < value->u.table.count; i++) {
            g_free(value->u.table.entries[i].key);
            sd_toml_free(value->u.table.entries[i].value);
        }
        if (priv->index != NULL)
            g_hash_table_destroy(priv->index);
        g_array_free(priv->entries, TRUE);
        g_free(priv);
    } else if (value->type == SD_TOML_ARRAY) {
        for (size_t i = 0; i < value->u.array.count; i++)
            sd_toml_free(value->u.array.items[i]);
        g_ptr_array_free(value->priv, TRUE);
    } else if (value->type == SD_TOML_STRING) {
        /* Configuration strings include secrets. */
        if (value->u.string.bytes != NULL)
            explicit_bzero(value->u.string.bytes, value->u.string.len);
        g_free(value->u.string.bytes);
    }
    g_free(value);
}

sd_toml_entry *
sd_toml_table_find(const sd_toml_value *table, const char *key)
{
    if (table == NULL || key == NULL || table->type != SD_TOML_TABLE)
        return NULL;
    return table_lookup(table, key, strlen(key));
}

const char *
sd_toml_type_name(sd_toml_type type)
{
    switch (type) {
    case SD_TOML_TABLE:   return "table";
    case SD_TOML_ARRAY:   return "array";
    case SD_TOML_STRING:  return "string";
    case SD_TOML_INTEGER: return "integer";
    case SD_TOML_FLOAT:   return "float";
    case SD_TOML_BOOLEAN: return "boolean";
    }
    return "unknown";
}

/* ------------------------------------------------------------------ */
/* Reading bytes                                                       */
/* ------------------------------------------------------------------ */

static int
peek(const parser *p, size_t offset)
{
    if (offset >= p->len - p->pos)
        return -1;
    return (unsigned char)p->src[p->pos + offset];
}

static bool
at_end(const parser *p)
{
    return p->pos >= p->len;
}

static bool
looking_at(const parser *p, const char *text)
{
    size_t n = strlen(text);

    return p->len - p->pos >= n && memcmp(p->src + p->pos, text, n) == 0;
}

static mark
here(const parser *p)
{
    size_t column = p->pos - p->line_start + 1;
    mark m = { p->pos, p->line, (unsigned)MIN(column, G_MAXUINT) };

    return m;
}

/* Length of the line break at POS: 1 for LF, 2 for CR LF, else 0. */
static size_t
newline_at(const parser *p, size_t pos)
{
    if (pos >= p->len)
        return 0;
    if (p->src[pos] == '\n')
        return 1;
    if (p->src[pos] == '\r' && pos + 1 < p->len && p->src[pos + 1] == '\n')
        return 2;
    return 0;
}

static void
take_newline(parser *p, size_t length)
{
    p->pos += length;
    p->line++;
    p->line_start = p->pos;
}

static bool
is_ws(int c)
{
    return c == ' ' || c == '\t';
}

static void
skip_ws(parser *p)
{
    while (is_ws(peek(p, 0)))
        p->pos++;
}

/* The characters TOML forbids in strings and comments.  A CR that
 * starts a CR LF never reaches this test. */
static bool
is_control(int c)
{
    return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

static bool
is_bare(int c)
{
    return (c >= 0 && c < 0x80 && g_ascii_isalnum((char)c))
           || c == '-' || c == '_';
}

static bool
is_hex(int c)
{
    return c >= 0 && c < 0x80 && g_ascii_isxdigit((char)c);
}

/* Characters that may not directly follow a number, boolean or special
 * float: after a value only separators may come, so any of these means
 * the value itself was written wrong. */
static bool
is_token(int c)
{
    return is_bare(c) || c == '.' || c == '+' || c == ':';
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

static bool G_GNUC_PRINTF(4, 5)
fail(parser *p, const mark *at, sd_toml_error_code code,
     const char *format, ...)
{
    va_list ap;
    char *what;

    if (p->error != NULL)
        return false;
    va_start(ap, format);
    what = g_strdup_vprintf(format, ap);
    va_end(ap);
    p->error = g_error_new(SD_TOML_ERROR, code, "%s:%u:%u: %s", p->filename,
                           at->line, at->column, what);
    g_free(what);
    return false;
}

static bool G_GNUC_PRINTF(2, 3)
fail_here(parser *p, const char *format, ...)
{
    va_list ap;
    char *what;
    mark at = here(p);
    bool result;

    va_start(ap, format);
    what = g_strdup_vprintf(format, ap);
    va_end(ap);
    result = fail(p, &at, SD_TOML_ERROR_SYNTAX, "%s", what);
    g_free(what);
    return result;
}

/* Names the character at the current position, for "found ..." */
static const char *
describe(const parser *p, char *buf, size_t size)
{
    int c = peek(p, 0);

    if (c < 0)
        return "end of input";
    if (newline_at(p, p->pos) > 0)
        return "end of line";
    if (c == '\r')
        return "a carriage return without a line feed";
    if (c == '\t')
        return "a tab";
    if (c == ' ')
        return "a space";
    if (c == '\'')
        return "an apostrophe";
    if (c < 0x80) {
        if (is_control(c))
            g_snprintf(buf, size, "control character U+%04X", (unsigned)c);
        else
            g_snprintf(buf, size, "'%c'", c);
        return buf;
    }
    gunichar u = g_utf8_get_char_validated(p->src + p->pos,
                                           (gssize)MIN(p->len - p->pos, 8));
    if (u == 0xFEFF)
        g_snprintf(buf, size, "U+FEFF (a byte order mark)");
    else
        g_snprintf(buf, size, "U+%04X", (unsigned)u);
    return buf;
}

void
sd_toml_append_key(GString *out, const char *bytes, size_t len)
{
    bool bare = len > 0;

    for (size_t i = 0; i < len && bare; i++)
        bare = is_bare((unsigned char)bytes[i]);
    if (bare && len <= 64) {
        g_string_append_len(out, bytes, (gssize)len);
        return;
    }
    g_string_append_c(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)bytes[i];
        if (i >= 64 && (c & 0xC0) != 0x80) {
            g_string_append(out, "...");
            break;
        }
        if (c == '"' || c == '\\')
            g_string_append_printf(out, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            g_string_append_printf(out, "\\u%04X", c);
        else
            g_string_append_c(out, (char)c);
    }
    g_string_append_c(out, '"');
}

/* PREFIX (a name already in TOML form, or NULL) then the first COUNT
 * parts of KEY, dotted. */
static char *
key_name(const char *prefix, const GArray *key, guint count)
{
    GString *out = g_string_new(prefix);

    for (guint i = 0; i < count; i++) {
        const key_part *part = &g_array_index(key, key_part, i);
        if (out->len > 0)
            g_string_append_c(out, '.');
        sd_toml_append_key(out, part->bytes, part->len);
    }
    return g_string_free(out, FALSE);
}

/* "an inline table", "an array of tables", "an integer", ... */
static const char *
kind_of(const sd_toml_value *v)
{
    switch (v->type) {
    case SD_TOML_TABLE:
        return (v->flags & TF_FROZEN) ? "an inline table" : "a table";
    case SD_TOML_ARRAY:
        return (v->flags & TF_AOT) ? "an array of tables" : "an array";
    case SD_TOML_STRING:  return "a string";
    case SD_TOML_INTEGER: return "an integer";
    case SD_TOML_FLOAT:   return "a float";
    case SD_TOML_BOOLEAN: return "a boolean";
    }
    return "a value";
}

/* ------------------------------------------------------------------ */
/* Encoding, comments, line ends                                       */
/* ------------------------------------------------------------------ */

static bool
fail_at_offset(parser *p, size_t pos, const char *what, unsigned byte)
{
    mark at = { pos, 1, 1 };
    size_t line_start = 0;

    /* Counted only now: this runs once, before any other reading. */
    for (size_t i = 0; i < pos; i++) {
        if (p->src[i] == '\n') {
            at.line++;
            line_start = i + 1;
        }
    }
    at.column = (unsigned)MIN(pos - line_start + 1, G_MAXUINT);
    return fail(p, &at, SD_TOML_ERROR_SYNTAX, "%s (byte 0x%02X)", what, byte);
}

/* The whole input must be UTF-8.  GLib's check also stops at NUL,
 * which is valid UTF-8: step over it and let the grammar refuse it
 * where it stands, with a better message. */
static bool
check_utf8(parser *p)
{
    size_t pos = 0;

    while (pos < p->len) {
        const char *end;
        if (g_utf8_validate_len(p->src + pos, p->len - pos, &end))
            return true;
        pos = (size_t)(end - p->src);
        if (*end != '\0')
            return fail_at_offset(p, pos, "invalid UTF-8",
                                  (unsigned char)*end);
        pos++;
    }
    return true;
}

static bool
skip_comment(parser *p)
{
    if (peek(p, 0) != '#')
        return true;
    p->pos++;
    while (!at_end(p) && newline_at(p, p->pos) == 0) {
        int c = peek(p, 0);
        if (c == '\r')
            return fail_here(p, "carriage return without a line feed "
                             "in a comment");
        if (is_control(c))
            return fail_here(p, "control character U+%04X in a comment",
                             (unsigned)c);
        p->pos++;
    }
    return true;
}

/* After a statement only a comment and the end of the line may come. */
static bool
end_of_statement(parser *p, const char *after)
{
    char buf[48];
    size_t nl;

    skip_ws(p);
    if (!skip_comment(p))
        return false;
    if (at_end(p))
        return true;
    nl = newline_at(p, p->pos);
    if (nl == 0)
        return fail_here(p, "expected the end of the line after %s, "
                         "found %s", after, describe(p, buf, sizeof buf));
    take_newline(p, nl);
    return true;
}

/* Between the items of an array, newlines and comments are allowed. */
static bool
skip_array_space(parser *p)
{
    for (;;) {
        size_t nl;
        skip_ws(p);
        nl = newline_at(p, p->pos);
        if (nl > 0) {
            take_newline(p, nl);
        } else if (peek(p, 0) == '#') {
            if (!skip_comment(p))
                return false;
        } else {
            return true;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Strings                                                             */
/* ------------------------------------------------------------------ */

static bool
hex_escape(parser *p, GString *out, const mark *at)
{
    int letter = peek(p, 1);
    int digits = letter == 'u' ? 4 : 8;
    guint32 code = 0;

    for (int i = 0; i < digits; i++) {
        int c = peek(p, 2 + (size_t)i);
        if (!is_hex(c))
            return fail(p, at, SD_TOML_ERROR_SYNTAX, "invalid escape: "
                        "'\\%c' needs %d hexadecimal digits", letter,
                        digits);
        code = code * 16 + (guint32)g_ascii_xdigit_value((char)c);
    }
    if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
        return fail(p, at, SD_TOML_ERROR_SYNTAX, "invalid escape '\\%c%.*s':"
                    " not a Unicode scalar value", letter, digits,
                    p->src + p->pos + 2);
    char utf8[8];
    gint n = g_unichar_to_utf8(code, utf8);
    g_string_append_len(out, utf8, n);
    p->pos += 2 + (size_t)digits;
    return true;
}

/* A backslash that ends a line of a multi-line basic string swallows
 * the line break and all whitespace up to the next visible character.
 * Only spaces and tabs may stand between it and the line break. */
static bool
line_continuation(parser *p, const mark *at)
{
    size_t nl;

    p->pos++;
    skip_ws(p);
    if (at_end(p))
        return true;    /* the caller reports the unterminated string */
    nl = newline_at(p, p->pos);
    if (nl == 0)
        return fail(p, at, SD_TOML_ERROR_SYNTAX, "invalid escape: a "
                    "backslash followed by whitespace must end the line");
    do {
        take_newline(p, nl);
        skip_ws(p);
        nl = newline_at(p, p->pos);
    } while (nl > 0);
    return true;
}

static bool
bad_escape(parser *p, const mark *at)
{
    char buf[48];
    const char *what;
    int c = peek(p, 1);

    if (c < 0)
        return fail(p, at, SD_TOML_ERROR_SYNTAX, "unterminated string");
    if (c > 0x20 && c < 0x7f)
        return fail(p, at, SD_TOML_ERROR_SYNTAX,
                    "invalid escape '\\%c' in string", c);
    p->pos++;
    what = describe(p, buf, sizeof buf);
    p->pos--;
    return fail(p, at, SD_TOML_ERROR_SYNTAX,
                "invalid escape in string: a backslash followed by %s", what);
}

static bool
escape(parser *p, GString *out, bool multiline)
{
    static const char from[] = "btnfr\"\\";
    static const char to[] = "\b\t\n\f\r\"\\";
    mark at = here(p);
    int c = peek(p, 1);
    const char *hit;

    if (multiline && (is_ws(c) || newline_at(p, p->pos + 1) > 0))
        return line_continuation(p, &at);
    if (c == 'u' || c == 'U')
        return hex_escape(p, out, &at);
    hit = c > 0 ? strchr(from, c) : NULL;
    if (hit == NULL)
        return bad_escape(p, &at);
    g_string_append_c(out, to[hit - from]);
    p->pos += 2;
    return true;
}

/* A multi-line string may end in up to two extra quote characters,
 * which belong to its content. */
static void
closing_quotes(parser *p, GString *out, char quote)
{
    for (int i = 0; i < 2 && peek(p, 0) == quote; i++) {
        g_string_append_c(out, quote);
        p->pos++;
    }
}

/* Refuses the character at the position: a line break in a one-line
 * string, a bare CR or a control character. */
static bool
bad_string_char(parser *p, const mark *open, bool multiline)
{
    int c = peek(p, 0);

    if (!multiline && newline_at(p, p->pos) > 0)
        return fail(p, open, SD_TOML_ERROR_SYNTAX, "unterminated string "
                    "(a line break before the closing quote)");
    if (c == '\r')
        return fail_here(p, "carriage return without a line feed in a "
                         "string");
    return fail_here(p, "control character U+%04X in a string "
                     "(write it as an escape)", (unsigned)c);
}

/* Copies ordinary characters up to the next one that needs thought. */
static void
copy_plain(parser *p, GString *out, char quote, bool escapes)
{
    size_t start = p->pos;

    while (!at_end(p)) {
        int c = peek(p, 0);
        if (c == quote || (escapes && c == '\\') || is_control(c))
            break;
        p->pos++;
    }
    g_string_append_len(out, p->src + start, (gssize)(p->pos - start));
}

/* Opening quote(s) already checked by the caller.  QUOTE is '"' for a
 * basic string, '\'' for a literal one. */
static bool
scan_string(parser *p, GString *out, char quote, bool multiline)
{
    mark open = here(p);
    size_t nl;

    p->pos += multiline ? 3 : 1;
    if (multiline && (nl = newline_at(p, p->pos)) > 0)
        take_newline(p, nl);   /* a break right after the quotes is dropped */
    for (;;) {
        copy_plain(p, out, quote, quote == '"');
        if (at_end(p))
            return fail(p, &open, SD_TOML_ERROR_SYNTAX, "unterminated string");
        int c = peek(p, 0);
        if (c == quote) {
            if (!multiline) {
                p->pos++;
                return true;
            }
            if (peek(p, 1) == quote && peek(p, 2) == quote) {
                p->pos += 3;
                closing_quotes(p, out, quote);
                return true;
            }
            g_string_append_c(out, quote);
            p->pos++;
        } else if (c == '\\') {
            if (!escape(p, out, multiline))
                return false;
        } else if (multiline && (nl = newline_at(p, p->pos)) > 0) {
            g_string_append_c(out, '\n');   /* CR LF is read as LF */
            take_newline(p, nl);
        } else {
            return bad_string_char(p, &open, multiline);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Keys                                                                */
/* ------------------------------------------------------------------ */

static void
key_part_clear(gpointer data)
{
    key_part *part = data;

    g_free(part->bytes);
}

static GArray *
key_new(void)
{
    GArray *key = g_array_new(FALSE, TRUE, sizeof(key_part));

    g_array_set_clear_func(key, key_part_clear);
    return key;
}

static bool
parse_key_part(parser *p, key_part *part)
{
    char buf[48];
    int c = peek(p, 0);

    part->at = here(p);
    if (is_bare(c)) {
        size_t start = p->pos;
        while (is_bare(peek(p, 0)))
            p->pos++;
        part->len = p->pos - start;
        part->bytes = dup_bytes(p->src + start, part->len);
        return true;
    }
    if (c != '"' && c != '\'')
        return fail_here(p, "expected a key, found %s",
                         describe(p, buf, sizeof buf));
    if (peek(p, 1) == c && peek(p, 2) == c)
        return fail_here(p, "a multi-line string cannot be a key");
    GString *s = g_string_new(NULL);
    bool ok = scan_string(p, s, (char)c, false);
    part->len = s->len;
    part->bytes = g_string_free(s, !ok);
    return ok;
}

/* Reads a dotted key and the whitespace after it. */
static bool
parse_key(parser *p, GArray *key)
{
    for (;;) {
        key_part part = { NULL, 0, { 0, 0, 0 } };
        bool ok = parse_key_part(p, &part);

        g_array_append_val(key, part);   /* from now on KEY frees it */
        if (!ok)
            return false;
        if (key->len > SD_TOML_MAX_DEPTH)
            return fail(p, &part.at, SD_TOML_ERROR_LIMIT,
                        "a key may have at most %d dotted parts",
                        SD_TOML_MAX_DEPTH);
        skip_ws(p);
        if (peek(p, 0) != '.')
            return true;
        p->pos++;
        skip_ws(p);
    }
}

/* ------------------------------------------------------------------ */
/* Numbers, booleans, dates                                            */
/* ------------------------------------------------------------------ */

static bool
is_dec(int c)
{
    return c >= '0' && c <= '9';
}

static bool
is_oct(int c)
{
    return c >= '0' && c <= '7';
}

static bool
is_bin(int c)
{
    return c == '0' || c == '1';
}

/* Digits with single underscores between them, starting at offset I.
 * Returns the offset after them, or I when there is no digit there. */
static size_t
match_digits(const parser *p, size_t i, bool (*digit)(int))
{
    if (!digit(peek(p, i)))
        return i;
    i++;
    for (;;) {
        if (digit(peek(p, i)))
            i++;
        else if (peek(p, i) == '_' && digit(peek(p, i + 1)))
            i += 2;
        else
            return i;
    }
}

typedef enum number_kind {
    NUMBER_NONE,
    NUMBER_DECIMAL,
    NUMBER_PREFIXED,
    NUMBER_FLOAT,
} number_kind;

static size_t
match_prefixed(const parser *p, int *base)
{
    static const struct { char letter; int base; bool (*digit)(int); }
    prefixes[] = { { 'x', 16, is_hex }, { 'o', 8, is_oct },
                   { 'b', 2, is_bin } };

    if (peek(p, 0) != '0')
        return 0;
    for (size_t i = 0; i < G_N_ELEMENTS(prefixes); i++) {
        if (peek(p, 1) != prefixes[i].letter)
            continue;
        size_t end = match_digits(p, 2, prefixes[i].digit);
        *base = prefixes[i].base;
        return end > 2 ? end : 0;
    }
    return 0;
}

/* The longest number at the position; what follows is checked by the
 * caller.  Returns its length (0: none). */
static size_t
match_number(const parser *p, number_kind *kind, int *base)
{
    size_t i = 0;
    size_t int_end;

    if ((i = match_prefixed(p, base)) > 0) {
        *kind = NUMBER_PREFIXED;
        return i;
    }
    if (peek(p, 0) == '+' || peek(p, 0) == '-')
        i++;
    if (!is_dec(peek(p, i)))
        return 0;
    /* No leading zeros: a 0 is a whole integer part by itself. */
    int_end = peek(p, i) == '0' ? i + 1 : match_digits(p, i, is_dec);
    i = int_end;
    if (peek(p, i) == '.' && is_dec(peek(p, i + 1)))
        i = match_digits(p, i + 1, is_dec);
    if (peek(p, i) == 'e' || peek(p, i) == 'E') {
        size_t j = i + 1;
        if (peek(p, j) == '+' || peek(p, j) == '-')
            j++;
        size_t end = match_digits(p, j, is_dec);
        if (end > j)
            i = end;
    }
    *kind = i > int_end ? NUMBER_FLOAT : NUMBER_DECIMAL;
    return i;
}

/* Copies LEN bytes at the position without the underscores. */
static const char *
strip_underscores(parser *p, size_t skip, size_t len)
{
    g_string_truncate(p->scratch, 0);
    for (size_t i = skip; i < len; i++)
        if (p->src[p->pos + i] != '_')
            g_string_append_c(p->scratch, p->src[p->pos + i]);
    return p->scratch->str;
}

static bool
make_integer(parser *p, const mark *at, size_t len, number_kind kind,
             int base, sd_toml_value **out)
{
    char *end;
    gint64 value;

    errno = 0;
    if (kind == NUMBER_DECIMAL) {
        value = g_ascii_strtoll(strip_underscores(p, 0, len), &end, 10);
    } else {
        guint64 u = g_ascii_strtoull(strip_underscores(p, 2, len), &end,
                                     (guint)base);
        if (u > G_MAXINT64)
            errno = ERANGE;
        value = (gint64)MIN(u, (guint64)G_MAXINT64);
    }
    if (errno == ERANGE)
        return fail(p, at, SD_TOML_ERROR_SYNTAX, "integer out of range "
                    "(TOML integers are 64-bit signed)");
    *out = node_new(SD_TOML_INTEGER, at);
    (*out)->u.integer = value;
    return true;
}

static bool
make_float(parser *p, const mark *at, size_t len, sd_toml_value **out)
{
    /* Overflow gives an infinity, as in Python's float(); the
     * specification leaves the precision to the reader. */
    double value = g_ascii_strtod(strip_underscores(p, 0, len), NULL);

    *out = node_new(SD_TOML_FLOAT, at);
    (*out)->u.floating = value;
    return true;
}

/* inf and nan with an optional sign.  Returns the length, or 0. */
static size_t
match_special(const parser *p, double *value)
{
    size_t sign = (peek(p, 0) == '+' || peek(p, 0) == '-') ? 1 : 0;
    bool negative = peek(p, 0) == '-';
    const char *word = p->src + p->pos + sign;

    if (p->len - p->pos < sign + 3)
        return 0;
    if (memcmp(word, "inf", 3) == 0)
        *value = negative ? -INFINITY : INFINITY;
    else if (memcmp(word, "nan", 3) == 0)
        *value = negative ? -NAN : NAN;
    else
        return 0;
    return sign + 3;
}

/* The length of the run of token characters at the position, for
 * quoting a misspelt value in a message. */
static int
token_length(const parser *p)
{
    size_t n = 0;

    while (n < 40 && is_token(peek(p, n)))
        n++;
    return (int)n;
}

/* A value that must stand alone (number, boolean, special float) was
 * followed by more of the same kind of characters. */
static bool
glued(parser *p, size_t len, const mark *at, const char *what)
{
    if (!is_token(peek(p, len)))
        return false;
    fail(p, at, SD_TOML_ERROR_SYNTAX, "invalid %s '%.*s'", what,
         token_length(p), p->src + p->pos);
    return true;
}

/* The decimal number in the N digits at offset I (checked already). */
static unsigned
digits_value(const parser *p, size_t i, size_t n)
{
    unsigned value = 0;

    while (n-- > 0)
        value = value * 10 + (unsigned)(peek(p, i++) - '0');
    return value;
}

static bool
two_digits(const parser *p, size_t i, unsigned max)
{
    return is_dec(peek(p, i)) && is_dec(peek(p, i + 1))
           && digits_value(p, i, 2) <= max;
}

/* HH:MM:SS with optional fraction at offset I; returns the end or I. */
static size_t
match_time(const parser *p, size_t i)
{
    if (!two_digits(p, i, 23) || peek(p, i + 2) != ':'
        || !two_digits(p, i + 3, 59) || peek(p, i + 5) != ':'
        || !two_digits(p, i + 6, 59))
        return i;
    i += 8;
    if (peek(p, i) == '.' && is_dec(peek(p, i + 1)))
        while (is_dec(peek(p, ++i)))
            ;
    return i;
}

/* YYYY-MM-DD, optionally followed by a time and an offset.  Sets
 * *VALID when the day exists.  Returns the length, or 0. */
static size_t
match_datetime(const parser *p, bool *valid)
{
    size_t i;

    for (i = 0; i < 4; i++)
        if (!is_dec(peek(p, i)))
            return 0;
    if (peek(p, 4) != '-' || !two_digits(p, 5, 12) || peek(p, 7) != '-'
        || !two_digits(p, 8, 31))
        return 0;
    /* Month and day ranges as in the grammar; whether the day exists in
     * that month and year is the calendar's business. */
    *valid = g_date_valid_dmy((GDateDay)digits_value(p, 8, 2),
                              (GDateMonth)digits_value(p, 5, 2),
                              (GDateYear)digits_value(p, 0, 4));
    int sep = peek(p, 10);
    if (sep != 'T' && sep != 't' && sep != ' ')
        return 10;
    i = match_time(p, 11);
    if (i == 11)
        return 10;
    if (peek(p, i) == 'Z' || peek(p, i) == 'z')
        return i + 1;
    if ((peek(p, i) == '+' || peek(p, i) == '-') && two_digits(p, i + 1, 23)
        && peek(p, i + 3) == ':' && two_digits(p, i + 4, 59))
        return i + 6;
    return i;
}

/* Something that starts like a date (1979-) or a time (7:) but is not
 * one: no number may be followed by '-' or ':' either. */
static bool
looks_like_datetime(const parser *p)
{
    size_t n = 0;

    while (n < 5 && is_dec(peek(p, n)))
        n++;
    return (n == 4 && peek(p, n) == '-') || ((n == 1 || n == 2)
                                             && peek(p, n) == ':');
}

/* Date-times are valid TOML that sasldir refuses; a malformed one is
 * a syntax error like any other. */
static bool
refuse_datetime(parser *p, const mark *at)
{
    bool valid = true;
    size_t len = match_datetime(p, &valid);

    if (len == 0)
        len = match_time(p, 0);
    if (len == 0 && !looks_like_datetime(p))
        return false;
    if (len == 0 || !valid || is_token(peek(p, len)))
        fail(p, at, SD_TOML_ERROR_SYNTAX, "invalid date or time '%.*s'",
             token_length(p), p->src + p->pos);
    else
        fail(p, at, SD_TOML_ERROR_UNSUPPORTED, "date and time values are "
             "not supported (no sasldir setting uses them)");
    return true;
}

static bool
parse_number(parser *p, const mark *at, sd_toml_value **out)
{
    number_kind kind = NUMBER_NONE;
    int base = 10;
    double special;
    size_t len = match_number(p, &kind, &base);
    bool ok;

    if (len > 0) {
        if (glued(p, len, at, "number"))
            return false;
        ok = kind == NUMBER_FLOAT ? make_float(p, at, len, out)
                                  : make_integer(p, at, len, kind, base, out);
    } else if ((len = match_special(p, &special)) > 0) {
        if (glued(p, len, at, "float"))
            return false;
        *out = node_new(SD_TOML_FLOAT, at);
        (*out)->u.floating = special;
        ok = true;
    } else {
        return false;
    }
    p->pos += len;
    return ok;
}

static bool
parse_boolean(parser *p, const mark *at, sd_toml_value **out)
{
    bool value = peek(p, 0) == 't';
    const char *word = value ? "true" : "false";
    size_t len = strlen(word);

    if (!looking_at(p, word))
        return false;
    if (glued(p, len, at, "value"))
        return false;
    *out = node_new(SD_TOML_BOOLEAN, at);
    (*out)->u.boolean = value;
    p->pos += len;
    return true;
}

/* ------------------------------------------------------------------ */
/* Values                                                              */
/* ------------------------------------------------------------------ */

static bool parse_value(parser *p, unsigned depth, sd_toml_value **out);

/*
 * A buffer that the string starting here cannot outgrow: escapes only
 * shrink text, so the raw bytes up to the end of the line (or up to the
 * closing delimiter of a multi-line string, plus the two quotes it may
 * absorb) are enough.  Never reallocated, it leaves no stray copies of
 * a secret in freed memory; the one copy is wiped by the caller's
 * sd_cfg_free().
 */
static GString *
string_buffer(const parser *p, char quote, bool multiline)
{
    const char *start = p->src + p->pos;
    size_t rest = p->len - p->pos;
    const char *end = NULL;

    if (!multiline) {
        end = memchr(start, '\n', rest);
    } else if (rest > 3) {
        const char delimiter[3] = { quote, quote, quote };
        end = memmem(start + 3, rest - 3, delimiter, 3);
        if (end != NULL)
            end = end + 5 <= start + rest ? end + 5 : start + rest;
    }
    return g_string_sized_new((end != NULL ? (size_t)(end - start) : rest)
                              + 1);
}

static void
wipe_string_free(GString *s)
{
    explicit_bzero(s->str, s->allocated_len);
    g_string_free(s, TRUE);
}

static bool
parse_string_value(parser *p, const mark *at, sd_toml_value **out)
{
    char quote = (char)peek(p, 0);
    bool multiline = peek(p, 1) == quote && peek(p, 2) == quote;
    GString *s = string_buffer(p, quote, multiline);

    if (!scan_string(p, s, quote, multiline)) {
        wipe_string_free(s);
        return false;
    }
    *out = node_new(SD_TOML_STRING, at);
    (*out)->u.string.len = s->len;
    (*out)->u.string.bytes = g_string_free(s, FALSE);
    return true;
}

/* LEVEL is how deep the container about to be made would sit. */
static bool
too_deep(parser *p, unsigned level)
{
    mark at = here(p);

    if (level <= SD_TOML_MAX_DEPTH)
        return false;
    fail(p, &at, SD_TOML_ERROR_LIMIT, "arrays and inline tables nested "
         "more than %d deep", SD_TOML_MAX_DEPTH);
    return true;
}

/* Reads the items of an array up to and including the ']'. */
static bool
array_items(parser *p, unsigned depth, sd_toml_value *array)
{
    char buf[48];

    if (!skip_array_space(p))
        return false;
    while (peek(p, 0) != ']') {
        sd_toml_value *item;
        if (!parse_value(p, depth + 1, &item))
            return false;
        array_push(array, item);
        if (!skip_array_space(p))
            return false;
        if (peek(p, 0) == ']')
            break;
        if (peek(p, 0) != ',')
            return fail_here(p, "expected ',' or ']' in an array, found %s",
                             describe(p, buf, sizeof buf));
        p->pos++;
        if (!skip_array_space(p))
            return false;
    }
    p->pos++;
    return true;
}

static bool
parse_array(parser *p, unsigned depth, sd_toml_value **out)
{
    mark at = here(p);
    sd_toml_value *array;

    if (too_deep(p, depth + 1))
        return false;
    array = array_new(&at);
    array->flags = TF_FROZEN;
    p->pos++;
    if (!array_items(p, depth, array)) {
        sd_toml_free(array);
        return false;
    }
    *out = array;
    return true;
}

/* Adds VALUE to table T under the last part of KEY, unless T has it. */
static bool
insert_last_part(parser *p, sd_toml_value *t, GArray *key,
                 sd_toml_value *value)
{
    key_part *last = &g_array_index(key, key_part, key->len - 1);
    sd_toml_entry *e = table_lookup(t, last->bytes, last->len);
    if (e != NULL) {
        char *name = key_name(NULL, key, key->len);
        fail(p, &last->at, SD_TOML_ERROR_SYNTAX, "duplicate key '%s' (first "
             "defined at line %u)", name, e->line);
        g_free(name);
        return false;
    }
    table_add(t, last, value);
    return true;
}

/* Inside an inline table dotted keys may make sub-tables and extend
 * the ones they made, but nothing that was written as a value. */
static bool
inline_insert(parser *p, sd_toml_value *table, GArray *key,
              sd_toml_value *value)
{
    sd_toml_value *t = table;

    for (guint i = 0; i + 1 < key->len; i++) {
        key_part *part = &g_array_index(key, key_part, i);
        sd_toml_entry *e = table_lookup(t, part->bytes, part->len);
        if (e == NULL) {
            sd_toml_value *sub = table_new(&part->at);
            table_add(t, part, sub);
            t = sub;
            continue;
        }
        if (e->value->type != SD_TOML_TABLE || (e->value->flags & TF_FROZEN)) {
            char *name = key_name(NULL, key, i + 1);
            fail(p, &part->at, SD_TOML_ERROR_SYNTAX, "cannot add to '%s': "
                 "it is %s (line %u)", name, kind_of(e->value), e->line);
            g_free(name);
            return false;
        }
        t = e->value;
    }
    return insert_last_part(p, t, key, value);
}

/* One "key = value" of an inline table, and the ',' or '}' after it.
 * Sets *DONE at the '}'.  The sub-tables of a dotted key count as
 * nesting too, so that no tree is deeper than the limits allow. */
static bool
inline_member(parser *p, unsigned depth, sd_toml_value *table, bool *done)
{
    char buf[48];
    GArray *key = key_new();
    sd_toml_value *value = NULL;
    bool ok = parse_key(p, key);

    if (ok && peek(p, 0) != '=')
        ok = fail_here(p, "expected '=' after a key, found %s",
                       describe(p, buf, sizeof buf));
    if (ok && too_deep(p, depth + key->len - 1))
        ok = false;
    if (ok) {
        p->pos++;
        skip_ws(p);
        ok = parse_value(p, depth + key->len - 1, &value);
    }
    if (ok && !(ok = inline_insert(p, table, key, value)))
        sd_toml_free(value);
    g_array_free(key, TRUE);
    if (!ok)
        return false;
    skip_ws(p);
    if (peek(p, 0) == '}') {
        p->pos++;
        *done = true;
        return true;
    }
    if (newline_at(p, p->pos) > 0)
        return fail_here(p, "an inline table must be on one line "
                         "(TOML 1.0)");
    if (peek(p, 0) != ',')
        return fail_here(p, "expected ',' or '}' in an inline table, "
                         "found %s", describe(p, buf, sizeof buf));
    p->pos++;
    skip_ws(p);
    if (peek(p, 0) == '}')
        return fail_here(p, "trailing comma in an inline table "
                         "(not allowed in TOML 1.0)");
    return true;
}

static bool
parse_inline_table(parser *p, unsigned depth, sd_toml_value **out)
{
    mark at = here(p);
    sd_toml_value *table;
    bool done;

    if (too_deep(p, depth + 1))
        return false;
    table = table_new(&at);
    p->pos++;
    skip_ws(p);
    done = peek(p, 0) == '}';
    if (done)
        p->pos++;
    while (!done) {
        if (!inline_member(p, depth + 1, table, &done)) {
            sd_toml_free(table);
            return false;
        }
    }
    table->flags = TF_FROZEN;
    *out = table;
    return true;
}

static bool
bad_value(parser *p, const mark *at)
{
    char buf[48];
    int n = token_length(p);

    if (n > 0)
        return fail(p, at, SD_TOML_ERROR_SYNTAX, "invalid value '%.*s'", n,
                    p->src + p->pos);
    return fail(p, at, SD_TOML_ERROR_SYNTAX, "expected a value, found %s",
                describe(p, buf, sizeof buf));
}

/* DEPTH counts the arrays and inline tables around this value. */
static bool
parse_value(parser *p, unsigned depth, sd_toml_value **out)
{
    mark at = here(p);
    int c = peek(p, 0);

    *out = NULL;
    switch (c) {
    case '"':
    case '\'':
        return parse_string_value(p, &at, out);
    case '[':
        return parse_array(p, depth, out);
    case '{':
        return parse_inline_table(p, depth, out);
    case 't':
    case 'f':
        return parse_boolean(p, &at, out) || (p->error == NULL
                                              && bad_value(p, &at));
    }
    if (refuse_datetime(p, &at))
        return false;
    if (parse_number(p, &at, out))
        return true;
    return p->error == NULL && bad_value(p, &at);
}

/* ------------------------------------------------------------------ */
/* Tables                                                              */
/* ------------------------------------------------------------------ */

static void
set_section(parser *p, sd_toml_value *table, char *name)
{
    g_free(p->section_name);
    p->section = table;
    p->section_name = name;
}

/* A new section begins: what dotted keys made so far is closed. */
static void
finalize_pending(parser *p)
{
    for (guint i = 0; i < p->pending->len; i++) {
        sd_toml_value *t = g_ptr_array_index(p->pending, i);
        t->flags = (t->flags & ~TF_PENDING) | TF_EXPLICIT;
    }
    g_ptr_array_set_size(p->pending, 0);
}

static void
add_pending(parser *p, sd_toml_value *table)
{
    if (table->flags & TF_PENDING)
        return;
    table->flags |= TF_PENDING;
    g_ptr_array_add(p->pending, table);
}

static bool
refuse_path(parser *p, const key_part *part, const GArray *key, guint count,
            const sd_toml_entry *e, const char *prefix)
{
    char *name = key_name(prefix, key, count);

    fail(p, &part->at, SD_TOML_ERROR_SYNTAX, "cannot use '%s' as a table: "
         "it is %s (line %u)", name, kind_of(e->value), e->value->line);
    g_free(name);
    return false;
}

/* One step along the key of a header: missing tables are made, arrays
 * of tables lead to their last element. */
static sd_toml_value *
header_step(parser *p, sd_toml_value *t, const GArray *key, guint i,
            const mark *header)
{
    const key_part *part = &g_array_index(key, key_part, i);
    sd_toml_entry *e = table_lookup(t, part->bytes, part->len);

    if (e == NULL) {
        sd_toml_value *sub = table_new(header);
        table_add(t, part, sub);
        return sub;
    }
    bool frozen = (e->value->flags & TF_FROZEN) != 0;
    if (!frozen && e->value->type == SD_TOML_TABLE)
        return e->value;
    if (!frozen && (e->value->flags & TF_AOT))
        return array_last(e->value);
    refuse_path(p, part, key, i + 1, e, NULL);
    return NULL;
}

static sd_toml_value *
header_parent(parser *p, const GArray *key, const mark *header)
{
    sd_toml_value *t = p->root;

    for (guint i = 0; t != NULL && i + 1 < key->len; i++)
        t = header_step(p, t, key, i, header);
    return t;
}

static bool
refuse_table(parser *p, const mark *header, const char *name,
             const sd_toml_value *v)
{
    if (v->type == SD_TOML_TABLE && (v->flags & TF_HEADER))
        return fail(p, header, SD_TOML_ERROR_SYNTAX, "table [%s] defined "
                    "twice (first defined at line %u)", name, v->line);
    if (v->type == SD_TOML_TABLE && !(v->flags & TF_FROZEN))
        return fail(p, header, SD_TOML_ERROR_SYNTAX, "table [%s] already "
                    "defined by dotted keys (line %u)", name, v->line);
    return fail(p, header, SD_TOML_ERROR_SYNTAX, "cannot define table "
                "[%s]: it is already %s (line %u)", name, kind_of(v),
                v->line);
}

/* [a.b]: a table that only a longer header or dotted keys in its own
 * section made may be declared once; nothing else may. */
static bool
open_table(parser *p, GArray *key, const mark *header)
{
    sd_toml_value *t = header_parent(p, key, header);
    key_part *last = &g_array_index(key, key_part, key->len - 1);
    char *name = key_name(NULL, key, key->len);
    sd_toml_entry *e;

    if (t == NULL) {
        g_free(name);
        return false;
    }
    e = table_lookup(t, last->bytes, last->len);
    if (e == NULL) {
        sd_toml_value *sub = table_new(header);
        table_add(t, last, sub);
        e = table_lookup(t, last->bytes, last->len);
    } else if (e->value->type != SD_TOML_TABLE
               || (e->value->flags & (TF_EXPLICIT | TF_FROZEN))) {
        refuse_table(p, header, name, e->value);
        g_free(name);
        return false;
    }
    e->value->flags |= TF_EXPLICIT | TF_HEADER;
    e->value->line = header->line;
    e->value->column = header->column;
    set_section(p, e->value, name);
    return true;
}

/* [[a.b]] appends a fresh table to the array of tables a.b. */
static bool
open_array_table(parser *p, GArray *key, const mark *header)
{
    sd_toml_value *t = header_parent(p, key, header);
    key_part *last = &g_array_index(key, key_part, key->len - 1);
    char *name = key_name(NULL, key, key->len);
    sd_toml_value *array;
    sd_toml_entry *e;

    if (t == NULL) {
        g_free(name);
        return false;
    }
    e = table_lookup(t, last->bytes, last->len);
    if (e == NULL) {
        array = array_new(header);
        array->flags = TF_AOT;
        table_add(t, last, array);
    } else if (e->value->flags & TF_AOT) {
        array = e->value;
    } else {
        fail(p, header, SD_TOML_ERROR_SYNTAX, "cannot define array of "
             "tables [[%s]]: it is already %s (line %u)", name,
             kind_of(e->value), e->value->line);
        g_free(name);
        return false;
    }
    sd_toml_value *element = table_new(header);
    element->flags = TF_EXPLICIT | TF_HEADER;
    array_push(array, element);
    set_section(p, element, name);
    return true;
}

static bool
parse_header(parser *p)
{
    char buf[48];
    mark at = here(p);
    bool array_of_tables = peek(p, 1) == '[';
    GArray *key = key_new();
    bool ok;

    finalize_pending(p);
    p->pos += array_of_tables ? 2 : 1;
    skip_ws(p);
    ok = parse_key(p, key);
    if (ok && array_of_tables)
        ok = looking_at(p, "]]") || fail_here(p, "expected ']]' at the end "
                                              "of the header, found %s",
                                              describe(p, buf, sizeof buf));
    else if (ok)
        ok = looking_at(p, "]") || fail_here(p, "expected ']' at the end of "
                                             "the header, found %s",
                                             describe(p, buf, sizeof buf));
    if (ok)
        ok = array_of_tables ? open_array_table(p, key, &at)
                             : open_table(p, key, &at);
    if (ok)
        p->pos += array_of_tables ? 2 : 1;
    g_array_free(key, TRUE);
    return ok;
}

/* One step of a dotted key in a section: it may make tables and extend
 * those made in this section, but not reach into a table some header
 * or an earlier section made, nor into an array or inline table. */
static sd_toml_value *
dotted_step(parser *p, sd_toml_value *t, const GArray *key, guint i)
{
    const key_part *part = &g_array_index(key, key_part, i);
    sd_toml_entry *e = table_lookup(t, part->bytes, part->len);
    char *name;

    if (e == NULL) {
        sd_toml_value *sub = table_new(&part->at);
        table_add(t, part, sub);
        add_pending(p, sub);
        return sub;
    }
    if (e->value->type == SD_TOML_TABLE
        && !(e->value->flags & (TF_EXPLICIT | TF_FROZEN))) {
        add_pending(p, e->value);
        return e->value;
    }
    if (e->value->type != SD_TOML_TABLE || (e->value->flags & TF_FROZEN)) {
        refuse_path(p, part, key, i + 1, e, p->section_name);
        return NULL;
    }
    name = key_name(p->section_name, key, i + 1);
    fail(p, &part->at, SD_TOML_ERROR_SYNTAX, "cannot add to table [%s] with "
         "dotted keys: it was defined at line %u", name, e->value->line);
    g_free(name);
    return NULL;
}

static bool
section_insert(parser *p, GArray *key, sd_toml_value *value)
{
    sd_toml_value *t = p->section;

    for (guint i = 0; t != NULL && i + 1 < key->len; i++)
        t = dotted_step(p, t, key, i);
    if (t == NULL)
        return false;
    return insert_last_part(p, t, key, value);
}

static bool
parse_key_value(parser *p)
{
    char buf[48];
    GArray *key = key_new();
    sd_toml_value *value = NULL;
    bool ok = parse_key(p, key);

    if (ok && peek(p, 0) != '=')
        ok = fail_here(p, "expected '=' after a key, found %s",
                       describe(p, buf, sizeof buf));
    if (ok) {
        p->pos++;
        skip_ws(p);
        ok = parse_value(p, 0, &value);
    }
    if (ok && !(ok = section_insert(p, key, value)))
        sd_toml_free(value);
    g_array_free(key, TRUE);
    return ok;
}

/* ------------------------------------------------------------------ */
/* Documents                                                           */
/* ------------------------------------------------------------------ */

static bool
parse_statement(parser *p)
{
    char buf[48];
    int c = peek(p, 0);

    if (is_bare(c) || c == '"' || c == '\'')
        return parse_key_value(p) && end_of_statement(p, "a value");
    if (c == '[')
        return parse_header(p) && end_of_statement(p, "a table header");
    if (c == '#')
        return end_of_statement(p, "a comment");
    return fail_here(p, "expected a key, a [table] header or a comment, "
                     "found %s", describe(p, buf, sizeof buf));
}

static bool
parse_document(parser *p)
{
    for (;;) {
        size_t nl;
        skip_ws(p);
        if (at_end(p))
            return true;
        nl = newline_at(p, p->pos);
        if (nl > 0)
            take_newline(p, nl);
        else if (!parse_statement(p))
            return false;
    }
}

sd_toml_value *
sd_toml_parse(const char *data, size_t len, const char *filename,
              GError **error)
{
    mark start = { 0, 1, 1 };
    parser p = {
        .src = data != NULL ? data : "",
        .len = data != NULL ? len : 0,
        .line = 1,
        .filename = filename != NULL ? filename : "<input>",
        .pending = g_ptr_array_new(),
        .scratch = g_string_new(NULL),
    };
    bool ok;

    p.root = table_new(&start);
    p.section = p.root;
    ok = check_utf8(&p) && parse_document(&p);
    g_ptr_array_free(p.pending, TRUE);
    g_string_free(p.scratch, TRUE);
    g_free(p.section_name);
    if (!ok) {
        sd_toml_free(p.root);
        g_propagate_error(error, p.error);
        return NULL;
    }
    return p.root;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

static bool
io_error(GError **error, const char *path, int code, const char *reason)
{
    g_set_error(error, SD_TOML_ERROR, code, "%s: %s", path, reason);
    return false;
}

/* Reads at most SD_TOML_MAX_FILE_SIZE bytes; a larger file is refused
 * rather than truncated.  Pipes and the like have no size to ask for,
 * so the limit is kept while reading too. */
static bool
read_bounded(int fd, const char *path, GByteArray *buf, GError **error)
{
    guint8 chunk[65536];
    bool ok = true;

    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ok = io_error(error, path, SD_TOML_ERROR_IO, g_strerror(errno));
            break;
        }
        if (n == 0)
            break;
        if (buf->len + (size_t)n > SD_TOML_MAX_FILE_SIZE) {
            ok = io_error(error, path, SD_TOML_ERROR_LIMIT,
                          "file too large (the limit is 16 MiB)");
            break;
        }
        g_byte_array_append(buf, chunk, (guint)n);
    }
    /* Configuration files hold secrets. */
    explicit_bzero(chunk, sizeof chunk);
    return ok;
}

static bool
read_file(const char *path, GByteArray **buf, GError **error)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    bool ok;

    if (fd < 0)
        return io_error(error, path, SD_TOML_ERROR_IO, g_strerror(errno));
    bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    if (regular && st.st_size > (off_t)SD_TOML_MAX_FILE_SIZE) {
        ok = io_error(error, path, SD_TOML_ERROR_LIMIT,
                      "file too large (the limit is 16 MiB)");
    } else {
        /* Sized to the file, the buffer is not reallocated while it is
         * filled, so the one copy of the text is the one wiped later. */
        *buf = g_byte_array_sized_new(regular ? (guint)st.st_size + 1 : 0);
        ok = read_bounded(fd, path, *buf, error);
    }
    close(fd);
    return ok;
}

sd_toml_value *
sd_toml_parse_file(const char *path, GError **error)
{
    GByteArray *buf = NULL;
    sd_toml_value *root = NULL;

    if (read_file(path, &buf, error))
        root = sd_toml_parse((const char *)buf->data, buf->len, path, error);
    if (buf != NULL) {
        if (buf->len > 0)
            explicit_bzero(buf->data, buf->len);
        g_byte_array_free(buf, TRUE);
    }
    return root;
}
