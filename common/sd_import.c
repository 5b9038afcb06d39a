/*
 * sd_import.c - the import formats and the export writers (see
 * sd_import.h).  Every parser reads a whole record first and builds the
 * principal only when all of it is well-formed, so a malformed record is
 * never half-imported.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "sd_address.h"
#include "sd_config.h"
#include "sd_directory.h"
#include "sd_import.h"
#include "sd_secret.h"

struct sd_import_reader {
    sd_import_format format;
    FILE *in;
    char *filename;
    unsigned lineno;            /* lines read so far */
    bool failed;
    char *buf;                  /* getline's buffer */
    size_t cap;
    /* csv */
    bool header_read;
    GArray *columns;            /* int: csv_column of each field */
    unsigned fields;            /* SD_IMPORT_* the header's columns set */
    /* ldif */
    bool ldif_started;
};

/* ------------------------------------------------------------------ */
/* Formats, records                                                    */
/* ------------------------------------------------------------------ */

static const char *const format_names[] = {
    [SD_IMPORT_PASSWD_FILE] = "passwd-file",
    [SD_IMPORT_SHADOW] = "shadow",
    [SD_IMPORT_HTPASSWD] = "htpasswd",
    [SD_IMPORT_LDIF] = "ldif",
    [SD_IMPORT_CSV] = "csv",
};

bool
sd_import_format_parse(const char *text, sd_import_format *format)
{
    for (size_t i = 0; i < G_N_ELEMENTS(format_names); i++) {
        if (g_ascii_strcasecmp(text, format_names[i]) == 0) {
            *format = (sd_import_format)i;
            return true;
        }
    }
    return false;
}

const char *
sd_import_format_name(sd_import_format format)
{
    return (size_t)format < G_N_ELEMENTS(format_names)
        ? format_names[format] : "unknown";
}

void
sd_import_record_free(sd_import_record *record)
{
    if (record == NULL)
        return;
    sd_principal_free(record->principal);
    g_free(record->domain);
    g_free(record);
}

sd_import_reader *
sd_import_reader_new(sd_import_format format, FILE *in, const char *filename)
{
    sd_import_reader *reader = g_new0(sd_import_reader, 1);
    reader->format = format;
    reader->in = in;
    reader->filename = g_strdup(filename);
    reader->columns = g_array_new(FALSE, FALSE, sizeof(int));
    return reader;
}

void
sd_import_reader_free(sd_import_reader *reader)
{
    if (reader == NULL)
        return;
    g_free(reader->filename);
    if (reader->buf != NULL) {
        /* The buffer held stored secrets. */
        sd_memwipe(reader->buf, reader->cap);
        free(reader->buf);
    }
    g_array_unref(reader->columns);
    g_free(reader);
}

bool
sd_import_reader_failed(const sd_import_reader *reader)
{
    return reader->failed;
}

static sd_result
malformed(sd_import_reader *reader, unsigned line, GError **error,
          const char *format, ...) G_GNUC_PRINTF(4, 5);

static sd_result
malformed(sd_import_reader *reader, unsigned line, GError **error,
          const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    char *what = g_strdup_vprintf(format, ap);
    va_end(ap);
    sd_fail(error, SD_ERROR, "%s:%u: %s", reader->filename, line, what);
    g_free(what);
    return SD_ERROR;
}

/*
 * The next physical line, without its line end: 1, or 0 at the end of
 * the file, or -1 after a read error (the reader has failed).  *BAD
 * says why the line cannot be used (NUL byte, too long), or is NULL.
 */
static int
next_line(sd_import_reader *reader, char **line, size_t *len,
          const char **bad, GError **error)
{
    errno = 0;
    ssize_t got = getline(&reader->buf, &reader->cap, reader->in);
    if (got < 0) {
        if (ferror(reader->in)) {
            reader->failed = true;
            sd_fail(error, SD_ERROR, "%s: cannot read after line %u: %s",
                    reader->filename, reader->lineno,
                    g_strerror(errno != 0 ? errno : EIO));
            return -1;
        }
        return 0;
    }
    reader->lineno++;
    size_t n = (size_t)got;
    if (n > 0 && reader->buf[n - 1] == '\n')
        n--;
    if (n > 0 && reader->buf[n - 1] == '\r')
        n--;
    reader->buf[n] = '\0';
    *bad = NULL;
    if (n > SD_IMPORT_LINE_MAX)
        *bad = "the line is longer than " G_STRINGIFY(SD_IMPORT_LINE_MAX)
               " bytes";
    else if (strlen(reader->buf) != n)
        *bad = "the line contains a NUL byte";
    *line = reader->buf;
    *len = n;
    return 1;
}

static bool
has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static bool
check_name(sd_import_reader *reader, unsigned line, const char *name,
           GError **error)
{
    const char *problem = NULL;
    if (*name == '\0')
        problem = "the name is empty";
    else if (strlen(name) > SD_NAME_MAX)
        problem = "the name is longer than " G_STRINGIFY(SD_NAME_MAX)
                  " bytes";
    else if (!g_utf8_validate(name, -1, NULL))
        problem = "the name is not UTF-8";
    else if (has_control(name))
        problem = "the name contains a control character";
    if (problem != NULL)
        malformed(reader, line, error, "%s", problem);
    return problem == NULL;
}

static bool
check_secret(sd_import_reader *reader, unsigned line, const char *name,
             const char *secret, GError **error)
{
    if (*secret == '\0' || has_control(secret)) {
        malformed(reader, line, error, "%s: an empty secret or one with a "
                  "control character", name);
        return false;
    }
    if (strcmp(sd_secret_scheme_name(secret), "unknown") == 0) {
        /* Name the scheme, never the secret. */
        const char *end = secret[0] == '{' ? strchr(secret, '}') : NULL;
        if (end != NULL && end - secret < 40)
            malformed(reader, line, error, "%s: unknown password scheme "
                      "%.*s", name, (int)(end - secret + 1), secret);
        else
            malformed(reader, line, error, "%s: the secret's scheme is "
                      "unknown", name);
        return false;
    }
    return true;
}

static bool
check_address(sd_import_reader *reader, unsigned line, const char *name,
              const char *address, GError **error)
{
    GError *why = NULL;
    char *normal = sd_address_normalize(address, &why);
    if (normal == NULL) {
        malformed(reader, line, error, "%s: address '%s': %s", name, address,
                  why->message);
        g_error_free(why);
        return false;
    }
    g_free(normal);
    return true;
}

static bool
check_domain(sd_import_reader *reader, unsigned line, const char *domain,
             GError **error)
{
    GError *why = NULL;
    char *normal = sd_domain_normalize(domain, &why);
    if (normal == NULL) {
        malformed(reader, line, error, "domain '%s': %s", domain,
                  why->message);
        g_error_free(why);
        return false;
    }
    g_free(normal);
    return true;
}

static sd_import_record *
record_new(unsigned line, const char *name, unsigned fields)
{
    sd_import_record *record = g_new0(sd_import_record, 1);
    record->line = line;
    record->fields = fields;
    if (name != NULL)
        record->principal = sd_principal_new(name, SD_PRINCIPAL_INDIVIDUAL);
    return record;
}

/*
 * Ends the reading of one LDIF entry or CSV row: on success the record
 * takes P over, on failure P is freed and RESULT passed on.
 */
static sd_result
record_finish(unsigned line, unsigned fields, sd_principal *p,
              sd_result result, sd_import_record **record)
{
    if (result != SD_OK) {
        sd_principal_free(p);
        return result;
    }
    *record = record_new(line, NULL, fields);
    (*record)->principal = p;
    return SD_OK;
}

/* ------------------------------------------------------------------ */
/* Line formats: htpasswd, shadow, Dovecot passwd-file                 */
/* ------------------------------------------------------------------ */

static bool
all_digits(const char *s)
{
    for (; *s != '\0'; s++)
        if (!g_ascii_isdigit(*s))
            return false;
    return true;
}

static sd_result
parse_htpasswd(sd_import_reader *reader, char **f, unsigned n,
               sd_import_record **record, GError **error)
{
    unsigned line = reader->lineno;
    if (n != 2)
        return malformed(reader, line, error, "expected NAME:HASH");
    if (!check_name(reader, line, f[0], error)
        || !check_secret(reader, line, f[0], f[1], error))
        return SD_ERROR;
    *record = record_new(line, f[0], SD_IMPORT_SECRETS);
    g_ptr_array_add((*record)->principal->secrets, g_strdup(f[1]));
    return SD_OK;
}

static sd_result
parse_shadow(sd_import_reader *reader, char **f, unsigned n,
             sd_import_record **record, GError **error)
{
    unsigned line = reader->lineno;
    if (n != 9)
        return malformed(reader, line, error, "expected the 9 fields of a "
                         "shadow line, found %u", n);
    for (unsigned i = 2; i < 8; i++)
        if (!all_digits(f[i]))
            return malformed(reader, line, error, "%s: field %u is not a "
                             "number", f[0], i + 1);
    if (!check_name(reader, line, f[0], error))
        return SD_ERROR;
    const char *hash = f[1];
    if (*hash == '\0' || *hash == '*' || strcmp(hash, "!") == 0
        || strcmp(hash, "!!") == 0 || strcmp(hash, "!*") == 0) {
        *record = record_new(line, f[0], 0);
        (*record)->skipped = "no password";
        return SD_OK;
    }
    char *secret = hash[0] == '!'
        ? g_strconcat("$disabled$", hash + 1, NULL)  /* locked: usermod -L */
        : g_strdup(hash);
    /* The locked hash must still be one sasldir understands. */
    if (!check_secret(reader, line, f[0], hash[0] == '!' ? hash + 1 : hash,
                      error)) {
        sd_secret_free(secret);
        return SD_ERROR;
    }
    *record = record_new(line, f[0], SD_IMPORT_SECRETS);
    g_ptr_array_add((*record)->principal->secrets, secret);
    return SD_OK;
}

/*
 * Dovecot's quota_rule "*:storage=SIZE" (kilobytes without a unit) or
 * "*:bytes=N".  0 with no error when the rule is for a single mailbox
 * or not a size limit.
 */
static bool
dovecot_quota(const char *rule, uint64_t *bytes)
{
    *bytes = 0;
    if (strncmp(rule, "*:", 2) != 0)
        return true;
    rule += 2;
    if (strncmp(rule, "bytes=", 6) == 0)
        return sd_parse_size(rule + 6, bytes);
    if (strncmp(rule, "storage=", 8) != 0)
        return true;
    rule += 8;
    if (*rule != '\0' && all_digits(rule)) {
        uint64_t kb;
        if (!sd_parse_size(rule, &kb) || kb > G_MAXUINT64 / 1024)
            return false;
        *bytes = kb * 1024;
        return true;
    }
    return sd_parse_size(rule, bytes);
}

static sd_result
parse_passwd_file(sd_import_reader *reader, char **f, unsigned n,
                  sd_import_record **record, GError **error)
{
    unsigned line = reader->lineno;
    if (n < 2)
        return malformed(reader, line, error, "expected "
                         "USER:PASSWORD[:UID:GID:GECOS:HOME:SHELL:EXTRA]");
    if (n > 8) {
        /* Extra fields may hold ':' (quota rules do): rejoin them. */
        char *extra = g_strjoinv(":", f + 7);
        g_free(f[7]);
        f[7] = extra;
        for (unsigned i = 8; i < n; i++) {
            g_free(f[i]);
            f[i] = NULL;
        }
        n = 8;
    }
    const char *name = f[0];
    if (!check_name(reader, line, name, error))
        return SD_ERROR;
    unsigned fields = 0;
    char *secret = NULL;
    if (f[1][0] != '\0') {
        /* Dovecot's default scheme for passwd-file is CRYPT. */
        secret = f[1][0] == '{' || f[1][0] == '$'
            ? g_strdup(f[1]) : g_strconcat("{CRYPT}", f[1], NULL);
        if (!check_secret(reader, line, name, secret, error)) {
            sd_secret_free(secret);
            return SD_ERROR;
        }
        fields |= SD_IMPORT_SECRETS;
    }
    const char *gecos = n > 4 ? f[4] : "";
    if (*gecos != '\0')
        fields |= SD_IMPORT_DESCRIPTION;
    uint64_t quota = 0;
    if (n > 7) {
        char **extras = g_strsplit(f[7], " ", -1);
        for (char **e = extras; *e != NULL; e++) {
            const char *value = NULL;
            if (g_str_has_prefix(*e, "userdb_quota_rule="))
                value = *e + strlen("userdb_quota_rule=");
            else if (g_str_has_prefix(*e, "quota_rule="))
                value = *e + strlen("quota_rule=");
            if (value == NULL)
                continue;
            if (!dovecot_quota(value, &quota)) {
                g_strfreev(extras);
                sd_secret_free(secret);
                return malformed(reader, line, error, "%s: quota rule '%s' "
                                 "is not a size", name, value);
            }
            fields |= SD_IMPORT_QUOTA;
        }
        g_strfreev(extras);
    }
    *record = record_new(line, name, fields);
    sd_principal *p = (*record)->principal;
    if (secret != NULL)
        g_ptr_array_add(p->secrets, secret);
    if (*gecos != '\0') {
        if (!g_utf8_validate(gecos, -1, NULL) || has_control(gecos)) {
            sd_import_record_free(*record);
            *record = NULL;
            return malformed(reader, line, error, "%s: the GECOS field is "
                             "not printable UTF-8", name);
        }
        p->description = g_strdup(gecos);
    }
    p->quota = quota;
    return SD_OK;
}

typedef sd_result (*line_parser)(sd_import_reader *, char **, unsigned,
                                 sd_import_record **, GError **);

static sd_result
next_line_record(sd_import_reader *reader, line_parser parse,
                 sd_import_record **record, GError **error)
{
    for (;;) {
        char *line;
        size_t len;
        const char *bad;
        int got = next_line(reader, &line, &len, &bad, error);
        if (got <= 0)
            return got == 0 ? SD_NOTFOUND : SD_ERROR;
        if (bad != NULL)
            return malformed(reader, reader->lineno, error, "%s", bad);
        if (len == 0 || line[0] == '#')
            continue;
        char **f = g_strsplit(line, ":", -1);
        sd_result result = parse(reader, f, g_strv_length(f), record, error);
        for (char **p = f; *p != NULL; p++)
            sd_memwipe(*p, strlen(*p));     /* secrets were in it */
        g_strfreev(f);
        return result;
    }
}

/* ------------------------------------------------------------------ */
/* LDIF (RFC 2849)                                                     */
/* ------------------------------------------------------------------ */

typedef struct ldif_line {
    GString *text;
    unsigned line;
} ldif_line;

static void
ldif_lines_free(GArray *lines)
{
    for (guint i = 0; i < lines->len; i++) {
        GString *text = g_array_index(lines, ldif_line, i).text;
        sd_memwipe(text->str, text->len);
        g_string_free(text, TRUE);
    }
    g_array_unref(lines);
}

/*
 * The logical lines of the next entry (continuations joined, comments
 * dropped) in *LINES: 1, or 0 at the end, or -1 after a read error.
 * *BAD_LINE and *BAD receive the first physical line that cannot be used.
 */
static int
ldif_read_entry(sd_import_reader *reader, GArray *lines, unsigned *bad_line,
                const char **bad, GError **error)
{
    bool in_comment = false;
    size_t total = 0;
    *bad = NULL;
    for (;;) {
        char *line;
        size_t len;
        const char *problem;
        int got = next_line(reader, &line, &len, &problem, error);
        if (got < 0)
            return -1;
        if (got == 0)
            return lines->len > 0 || *bad != NULL ? 1 : 0;
        if (problem != NULL) {
            if (*bad == NULL) {
                *bad = problem;
                *bad_line = reader->lineno;
            }
            continue;
        }
        if (len == 0) {
            if (lines->len > 0 || *bad != NULL)
                return 1;
            in_comment = false;
            continue;
        }
        total += len;
        if (total > SD_IMPORT_RECORD_MAX && *bad == NULL) {
            *bad = "the entry is longer than "
                   G_STRINGIFY(SD_IMPORT_RECORD_MAX) " bytes";
            *bad_line = reader->lineno;
        }
        if (line[0] == ' ') {
            if (in_comment)
                continue;
            if (lines->len == 0) {
                if (*bad == NULL) {
                    *bad = "a continuation line with nothing to continue";
                    *bad_line = reader->lineno;
                }
                continue;
            }
            if (*bad == NULL)
                g_string_append_len(
                    g_array_index(lines, ldif_line, lines->len - 1).text,
                    line + 1, (gssize)len - 1);
            continue;
        }
        in_comment = line[0] == '#';
        if (in_comment)
            continue;
        if (!reader->ldif_started && lines->len == 0
            && g_ascii_strncasecmp(line, "version:", 8) == 0) {
            reader->ldif_started = true;
            continue;
        }
        reader->ldif_started = true;
        ldif_line l = { g_string_new_len(line, (gssize)len),
                        reader->lineno };
        g_array_append_val(lines, l);
    }
}

/* Strict base64 (RFC 4648 alphabet, padding only at the end). */
static char *
ldif_base64(const char *text, size_t *out_len)
{
    size_t len = strlen(text);
    if (len % 4 != 0)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        bool pad_ok = c == '=' && i >= len - 2
            && (i == len - 1 || text[len - 1] == '=');
        if (!g_ascii_isalnum(c) && c != '+' && c != '/' && !pad_ok)
            return NULL;
    }
    gsize n = 0;
    guchar *data = g_base64_decode(text, &n);
    char *value = g_malloc(n + 1);
    memcpy(value, data, n);
    value[n] = '\0';
    sd_memwipe(data, n);
    g_free(data);
    *out_len = n;
    return value;
}

typedef struct ldif_attr {
    char *name;     /* lowercased, options dropped */
    char *value;
    unsigned line;
} ldif_attr;

static void
ldif_attrs_free(GArray *attrs)
{
    for (guint i = 0; i < attrs->len; i++) {
        ldif_attr *a = &g_array_index(attrs, ldif_attr, i);
        g_free(a->name);
        sd_secret_free(a->value);
    }
    g_array_unref(attrs);
}

static sd_result
ldif_split(sd_import_reader *reader, GArray *lines, GArray *attrs,
           GError **error)
{
    for (guint i = 0; i < lines->len; i++) {
        ldif_line *l = &g_array_index(lines, ldif_line, i);
        char *text = l->text->str;
        char *colon = strchr(text, ':');
        if (colon == NULL || colon == text)
            return malformed(reader, l->line, error, "expected "
                             "ATTRIBUTE: VALUE");
        size_t name_len = (size_t)(colon - text);
        char *semicolon = memchr(text, ';', name_len);
        size_t bare_len = semicolon != NULL ? (size_t)(semicolon - text)
                                            : name_len;
        for (size_t k = 0; k < name_len; k++)
            if (!g_ascii_isalnum(text[k]) && text[k] != '-'
                && text[k] != ';' && text[k] != '.')
                return malformed(reader, l->line, error, "'%.*s' is not an "
                                 "attribute name", (int)MIN(name_len, 64),
                                 text);
        char *value = colon + 1;
        bool base64 = *value == ':';
        if (*value == '<')
            return malformed(reader, l->line, error, "%.*s: values read "
                             "from a URL are not supported", (int)bare_len,
                             text);
        if (base64)
            value++;
        while (*value == ' ')
            value++;
        ldif_attr a = { g_ascii_strdown(text, (gssize)bare_len), NULL,
                        l->line };
        if (base64) {
            size_t n;
            a.value = ldif_base64(value, &n);
            if (a.value == NULL || strlen(a.value) != n) {
                bool nul = a.value != NULL;
                g_free(a.name);
                sd_secret_free(a.value);
                return malformed(reader, l->line, error, "%.*s: %s",
                                 (int)bare_len, text,
                                 nul ? "the value contains a NUL byte"
                                     : "not valid base64");
            }
        } else {
            a.value = g_strdup(value);
        }
        g_array_append_val(attrs, a);
    }
    return SD_OK;
}

/*
 * The value of the first RDN of DN ("cn=staff,ou=groups,..." -> "staff"),
 * with RFC 4514 escapes undone; NULL when DN has no such value.
 */
static char *
dn_first_value(const char *dn)
{
    const char *equals = strchr(dn, '=');
    if (equals == NULL)
        return NULL;
    GString *value = g_string_new(NULL);
    size_t significant = 0;     /* up to the last unescaped non-space */
    const char *p = equals + 1;
    while (*p == ' ')
        p++;    /* unescaped spaces around a value are not part of it */
    for (; *p != '\0'; p++) {
        if (*p == ',' || *p == '+' || *p == ';')
            break;
        if (*p != '\\') {
            g_string_append_c(value, *p);
            if (*p != ' ')
                significant = value->len;
            continue;
        }
        p++;
        if (g_ascii_isxdigit(p[0]) && g_ascii_isxdigit(p[1])) {
            g_string_append_c(value, (char)(g_ascii_xdigit_value(p[0]) * 16
                                            + g_ascii_xdigit_value(p[1])));
            p++;
        } else if (*p != '\0') {
            g_string_append_c(value, *p);
        } else {
            break;
        }
        significant = value->len;
    }
    g_string_truncate(value, significant);
    if (value->len == 0 || memchr(value->str, '\0', value->len) != NULL) {
        g_string_free(value, TRUE);
        return NULL;
    }
    return g_string_free(value, FALSE);
}

static bool
is_group_class(const char *object_class)
{
    static const char *const groups[] = {
        "groupofnames", "groupofuniquenames", "posixgroup", "group",
        "groupofurls", "groupofmembers",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(groups); i++)
        if (g_ascii_strcasecmp(object_class, groups[i]) == 0)
            return true;
    return false;
}

static const char *
ldif_first(GArray *attrs, const char *name, unsigned *line)
{
    for (guint i = 0; i < attrs->len; i++) {
        ldif_attr *a = &g_array_index(attrs, ldif_attr, i);
        if (strcmp(a->name, name) == 0) {
            if (line != NULL)
                *line = a->line;
            return a->value;
        }
    }
    return NULL;
}

static sd_result
ldif_build(sd_import_reader *reader, GArray *attrs,
           sd_import_record **record, GError **error)
{
    ldif_attr *dn = &g_array_index(attrs, ldif_attr, 0);
    unsigned line = dn->line;
    if (strcmp(dn->name, "dn") != 0)
        return malformed(reader, line, error, "an entry must begin with "
                         "dn:");
    const char *change = ldif_first(attrs, "changetype", NULL);
    if (change != NULL && g_ascii_strcasecmp(change, "add") != 0)
        return malformed(reader, line, error, "changetype '%s' is not "
                         "supported (only entries and 'add')", change);
    const char *name = ldif_first(attrs, "uid", NULL);
    if (name == NULL)
        name = ldif_first(attrs, "cn", NULL);
    if (name == NULL) {
        if (ldif_first(attrs, "associateddomain", NULL) == NULL) {
            *record = record_new(line, NULL, 0);
            (*record)->skipped = "no uid or cn";
            return SD_OK;
        }
        const char *domain = ldif_first(attrs, "associateddomain", NULL);
        for (guint i = 0; i < attrs->len; i++) {
            ldif_attr *a = &g_array_index(attrs, ldif_attr, i);
            if (strcmp(a->name, "associateddomain") == 0 && i > 0
                && a->value != domain)
                return malformed(reader, a->line, error, "a domain entry "
                                 "holds one associatedDomain");
        }
        if (!check_domain(reader, line, domain, error))
            return SD_ERROR;
        *record = record_new(line, NULL, 0);
        (*record)->domain = g_strdup(domain);
        return SD_OK;
    }
    if (!check_name(reader, line, name, error))
        return SD_ERROR;

    sd_principal *p = sd_principal_new(name, SD_PRINCIPAL_INDIVIDUAL);
    unsigned fields = SD_IMPORT_ALL & ~(SD_IMPORT_SECRETS
                                        | SD_IMPORT_AUTH_PASSWORDS);
    GPtrArray *alternates = g_ptr_array_new();
    bool typed = false;
    sd_result result = SD_OK;
    for (guint i = 1; i < attrs->len && result == SD_OK; i++) {
        ldif_attr *a = &g_array_index(attrs, ldif_attr, i);
        if (strcmp(a->name, "objectclass") == 0) {
            if (!typed && is_group_class(a->value))
                p->type = SD_PRINCIPAL_GROUP;
        } else if (strcmp(a->name, "sasldirtype") == 0) {
            if (!sd_principal_type_parse(a->value, &p->type))
                result = malformed(reader, a->line, error, "%s: unknown "
                                   "sasldirType '%s'", name, a->value);
            typed = true;
        } else if (strcmp(a->name, "description") == 0) {
            if (p->description != NULL)
                result = malformed(reader, a->line, error, "%s: more than "
                                   "one description", name);
            else if (!g_utf8_validate(a->value, -1, NULL))
                result = malformed(reader, a->line, error, "%s: the "
                                   "description is not UTF-8", name);
            else if (*a->value != '\0')
                p->description = g_strdup(a->value);
        } else if (strcmp(a->name, "userpassword") == 0) {
            if (check_secret(reader, a->line, name, a->value, error))
                g_ptr_array_add(p->secrets, g_strdup(a->value));
            else
                result = SD_ERROR;
            fields |= SD_IMPORT_SECRETS;
        } else if (strcmp(a->name, "authpassword") == 0) {
            if (*a->value == '\0' || has_control(a->value))
                result = malformed(reader, a->line, error, "%s: a malformed "
                                   "authPassword", name);
            else
                g_ptr_array_add(p->auth_passwords, g_strdup(a->value));
            fields |= SD_IMPORT_AUTH_PASSWORDS;
        } else if (strcmp(a->name, "mail") == 0
                   || strcmp(a->name, "mailalternateaddress") == 0) {
            if (!check_address(reader, a->line, name, a->value, error))
                result = SD_ERROR;
            else if (strcmp(a->name, "mail") == 0)
                sd_string_list_add_unique(p->emails, a->value);
            else
                g_ptr_array_add(alternates, a->value);
        } else if (strcmp(a->name, "sasldirlist") == 0) {
            if (!check_address(reader, a->line, name, a->value, error))
                result = SD_ERROR;
            else
                sd_string_list_add_unique(p->lists, a->value);
        } else if (strcmp(a->name, "memberof") == 0) {
            char *group = dn_first_value(a->value);
            if (group == NULL || !g_utf8_validate(group, -1, NULL)
                || has_control(group))
                result = malformed(reader, a->line, error, "%s: memberOf "
                                   "'%s' names no group", name, a->value);
            else
                sd_string_list_add_unique(p->member_of, group);
            g_free(group);
        } else if (strcmp(a->name, "sasldirquota") == 0) {
            if (!sd_parse_size(a->value, &p->quota))
                result = malformed(reader, a->line, error, "%s: "
                                   "sasldirQuota '%s' is not a size", name,
                                   a->value);
        }
    }
    for (guint i = 0; i < alternates->len; i++)
        sd_string_list_add_unique(p->emails,
                                  g_ptr_array_index(alternates, i));
    g_ptr_array_unref(alternates);
    return record_finish(line, fields, p, result, record);
}

static sd_result
next_ldif_record(sd_import_reader *reader, sd_import_record **record,
                 GError **error)
{
    GArray *lines = g_array_new(FALSE, FALSE, sizeof(ldif_line));
    unsigned bad_line = 0;
    const char *bad;
    int got = ldif_read_entry(reader, lines, &bad_line, &bad, error);
    sd_result result;
    if (got <= 0) {
        result = got == 0 ? SD_NOTFOUND : SD_ERROR;
    } else if (bad != NULL) {
        result = malformed(reader, bad_line, error, "%s", bad);
    } else {
        GArray *attrs = g_array_new(FALSE, FALSE, sizeof(ldif_attr));
        result = ldif_split(reader, lines, attrs, error);
        if (result == SD_OK)
            result = ldif_build(reader, attrs, record, error);
        ldif_attrs_free(attrs);
    }
    ldif_lines_free(lines);
    return result;
}

/* ------------------------------------------------------------------ */
/* CSV (RFC 4180)                                                      */
/* ------------------------------------------------------------------ */

typedef enum csv_column {
    CSV_NAME, CSV_TYPE, CSV_DESCRIPTION, CSV_SECRET, CSV_EMAIL, CSV_LIST,
    CSV_MEMBER_OF, CSV_QUOTA, CSV_AUTH_PASSWORD,
} csv_column;

static const struct {
    const char *name;
    unsigned field;
} csv_columns[] = {
    [CSV_NAME] = { "name", 0 },
    [CSV_TYPE] = { "type", SD_IMPORT_TYPE },
    [CSV_DESCRIPTION] = { "description", SD_IMPORT_DESCRIPTION },
    [CSV_SECRET] = { "secret", SD_IMPORT_SECRETS },
    [CSV_EMAIL] = { "email", SD_IMPORT_EMAILS },
    [CSV_LIST] = { "list", SD_IMPORT_LISTS },
    [CSV_MEMBER_OF] = { "member-of", SD_IMPORT_MEMBER_OF },
    [CSV_QUOTA] = { "quota", SD_IMPORT_QUOTA },
    [CSV_AUTH_PASSWORD] = { "auth-password", SD_IMPORT_AUTH_PASSWORDS },
};

static void
csv_fields_free(GPtrArray *fields)
{
    for (guint i = 0; i < fields->len; i++) {
        GString *f = g_ptr_array_index(fields, i);
        sd_memwipe(f->str, f->len);
        g_string_free(f, TRUE);
    }
    g_ptr_array_unref(fields);
}

/*
 * The fields (GString *) of the next record into FIELDS: 1, 0 at the
 * end, -1 after a read error; *BAD and *BAD_LINE for a malformed one
 * (then the rest of it has been read and dropped).
 */
static int
csv_read_record(sd_import_reader *reader, GPtrArray *fields,
                unsigned *start, const char **bad, unsigned *bad_line,
                GError **error)
{
    *bad = NULL;
    GString *field = NULL;
    bool quoted = false;        /* inside a quoted field */
    size_t total = 0;
    for (;;) {
        char *line;
        size_t len;
        const char *problem;
        int got = next_line(reader, &line, &len, &problem, error);
        if (got < 0)
            return -1;
        if (got == 0) {
            if (field == NULL)
                return 0;
            if (quoted && *bad == NULL) {
                *bad = "a quoted field is not closed at the end of the file";
                *bad_line = *start;
            }
            g_ptr_array_add(fields, field);
            return 1;
        }
        if (problem != NULL && *bad == NULL) {
            *bad = problem;
            *bad_line = reader->lineno;
        }
        if (field == NULL) {
            if (len == 0 || problem != NULL) {
                if (problem != NULL)
                    return 1;
                continue;       /* blank lines between records */
            }
            *start = reader->lineno;
            field = g_string_new(NULL);
        } else {
            g_string_append_c(field, '\n');  /* a line break in quotes */
        }
        total += len + 1;
        if (total > SD_IMPORT_RECORD_MAX && *bad == NULL) {
            *bad = "the record is longer than "
                   G_STRINGIFY(SD_IMPORT_RECORD_MAX) " bytes";
            *bad_line = reader->lineno;
        }
        bool at_field_start = !quoted && field->len == 0;
        for (size_t i = 0; i < len && problem == NULL; i++) {
            char c = line[i];
            /* Copy plain runs whole: most of a file is plain text. */
            size_t run = quoted ? strcspn(line + i, "\"")
                                : strcspn(line + i, ",\"");
            if (run > 0) {
                g_string_append_len(field, line + i, (gssize)run);
                i += run - 1;
                at_field_start = false;
                continue;
            }
            if (quoted) {
                if (c != '"') {
                    g_string_append_c(field, c);
                } else if (i + 1 < len && line[i + 1] == '"') {
                    g_string_append_c(field, '"');
                    i++;
                } else {
                    quoted = false;
                    if (i + 1 < len && line[i + 1] != ',' && *bad == NULL) {
                        *bad = "a closing quote must end the field";
                        *bad_line = reader->lineno;
                    }
                }
            } else if (c == ',') {
                g_ptr_array_add(fields, field);
                field = g_string_new(NULL);
                at_field_start = true;
                continue;
            } else if (c == '"' && at_field_start) {
                quoted = true;
            } else if (c == '"') {
                if (*bad == NULL) {
                    *bad = "a quote inside a field that does not begin "
                           "with one";
                    *bad_line = reader->lineno;
                }
            } else {
                g_string_append_c(field, c);
            }
            at_field_start = false;
        }
        if (!quoted || problem != NULL) {
            g_ptr_array_add(fields, field);
            return 1;
        }
    }
}

static sd_result
csv_read_header(sd_import_reader *reader, GError **error)
{
    GPtrArray *fields = g_ptr_array_new();
    unsigned start = 0, bad_line = 0;
    const char *bad;
    int got = csv_read_record(reader, fields, &start, &bad, &bad_line,
                              error);
    reader->header_read = true;
    sd_result result = SD_OK;
    if (got <= 0) {
        if (got == 0)
            result = SD_NOTFOUND;  /* an empty file: nothing to import */
        else
            result = SD_ERROR;
    } else if (bad != NULL) {
        result = malformed(reader, bad_line, error, "header: %s", bad);
    }
    bool seen[G_N_ELEMENTS(csv_columns)] = { false };
    for (guint i = 0; i < fields->len && result == SD_OK; i++) {
        GString *f = g_ptr_array_index(fields, i);
        char *label = g_ascii_strdown(g_strstrip(f->str), -1);
        int column = -1;
        for (size_t k = 0; k < G_N_ELEMENTS(csv_columns); k++)
            if (strcmp(label, csv_columns[k].name) == 0)
                column = (int)k;
        if (column < 0)
            result = malformed(reader, start, error, "header: unknown column "
                               "'%s' (name, type, description, secret, "
                               "email, list, member-of, quota, "
                               "auth-password)", label);
        else if (seen[column])
            result = malformed(reader, start, error, "header: column '%s' "
                               "appears twice", label);
        else {
            seen[column] = true;
            g_array_append_val(reader->columns, column);
            reader->fields |= csv_columns[column].field;
        }
        g_free(label);
    }
    if (result == SD_OK && !seen[CSV_NAME])
        result = malformed(reader, start, error, "header: there is no "
                           "'name' column");
    if (result == SD_ERROR)
        reader->failed = true;
    csv_fields_free(fields);
    return result;
}

/* Adds the lines of CELL (one value each; empty ones skipped) to ARRAY. */
static void
csv_values(const char *cell, GPtrArray *array, bool unique)
{
    while (*cell != '\0') {
        size_t len = strcspn(cell, "\n");
        if (len > 0) {
            char *value = g_strndup(cell, len);
            if (unique) {
                sd_string_list_add_unique(array, value);
                sd_memwipe(value, len);
                g_free(value);
            } else {
                g_ptr_array_add(array, value);
            }
        }
        cell += len;
        if (*cell == '\n')
            cell++;
    }
}

static sd_result
csv_build(sd_import_reader *reader, GPtrArray *fields, unsigned line,
          sd_import_record **record, GError **error)
{
    const char *cell[G_N_ELEMENTS(csv_columns)] = { NULL };
    for (guint i = 0; i < fields->len; i++)
        cell[g_array_index(reader->columns, int, i)] =
            ((GString *)g_ptr_array_index(fields, i))->str;
    const char *name = cell[CSV_NAME];
    if (cell[CSV_TYPE] != NULL
        && g_ascii_strcasecmp(cell[CSV_TYPE], "domain") == 0) {
        if (!check_domain(reader, line, name, error))
            return SD_ERROR;
        *record = record_new(line, NULL, 0);
        (*record)->domain = g_strdup(name);
        return SD_OK;
    }
    if (!check_name(reader, line, name, error))
        return SD_ERROR;
    sd_principal *p = sd_principal_new(name, SD_PRINCIPAL_INDIVIDUAL);
    sd_result result = SD_OK;
    if (cell[CSV_TYPE] != NULL && *cell[CSV_TYPE] != '\0'
        && !sd_principal_type_parse(cell[CSV_TYPE], &p->type))
        result = malformed(reader, line, error, "%s: unknown type '%s'",
                           name, cell[CSV_TYPE]);
    if (result == SD_OK && cell[CSV_DESCRIPTION] != NULL
        && *cell[CSV_DESCRIPTION] != '\0') {
        if (!g_utf8_validate(cell[CSV_DESCRIPTION], -1, NULL))
            result = malformed(reader, line, error, "%s: the description "
                               "is not UTF-8", name);
        else
            p->description = g_strdup(cell[CSV_DESCRIPTION]);
    }
    if (result == SD_OK && cell[CSV_QUOTA] != NULL && *cell[CSV_QUOTA] != '\0'
        && !sd_parse_size(cell[CSV_QUOTA], &p->quota))
        result = malformed(reader, line, error, "%s: quota '%s' is not a "
                           "size", name, cell[CSV_QUOTA]);
    if (cell[CSV_SECRET] != NULL)
        csv_values(cell[CSV_SECRET], p->secrets, false);
    if (cell[CSV_AUTH_PASSWORD] != NULL)
        csv_values(cell[CSV_AUTH_PASSWORD], p->auth_passwords, false);
    if (cell[CSV_EMAIL] != NULL)
        csv_values(cell[CSV_EMAIL], p->emails, true);
    if (cell[CSV_LIST] != NULL)
        csv_values(cell[CSV_LIST], p->lists, true);
    if (cell[CSV_MEMBER_OF] != NULL)
        csv_values(cell[CSV_MEMBER_OF], p->member_of, true);
    for (guint i = 0; i < p->secrets->len && result == SD_OK; i++)
        if (!check_secret(reader, line, name,
                          g_ptr_array_index(p->secrets, i), error))
            result = SD_ERROR;
    for (guint i = 0; i < p->auth_passwords->len && result == SD_OK; i++)
        if (has_control(g_ptr_array_index(p->auth_passwords, i)))
            result = malformed(reader, line, error, "%s: a malformed "
                               "auth-password", name);
    for (guint i = 0; i < p->emails->len && result == SD_OK; i++)
        if (!check_address(reader, line, name,
                           g_ptr_array_index(p->emails, i), error))
            result = SD_ERROR;
    for (guint i = 0; i < p->lists->len && result == SD_OK; i++)
        if (!check_address(reader, line, name,
                           g_ptr_array_index(p->lists, i), error))
            result = SD_ERROR;
    for (guint i = 0; i < p->member_of->len && result == SD_OK; i++) {
        const char *group = g_ptr_array_index(p->member_of, i);
        if (!g_utf8_validate(group, -1, NULL) || has_control(group))
            result = malformed(reader, line, error, "%s: a member-of name "
                               "that is not printable UTF-8", name);
    }
    return record_finish(line, reader->fields, p, result, record);
}

static sd_result
next_csv_record(sd_import_reader *reader, sd_import_record **record,
                GError **error)
{
    if (!reader->header_read) {
        sd_result result = csv_read_header(reader, error);
        if (result != SD_OK)
            return result;
    }
    GPtrArray *fields = g_ptr_array_new();
    unsigned start = 0, bad_line = 0;
    const char *bad;
    int got = csv_read_record(reader, fields, &start, &bad, &bad_line,
                              error);
    sd_result result;
    if (got <= 0)
        result = got == 0 ? SD_NOTFOUND : SD_ERROR;
    else if (bad != NULL)
        result = malformed(reader, bad_line, error, "%s", bad);
    else if (fields->len != reader->columns->len)
        result = malformed(reader, start, error, "expected %u fields as in "
                           "the header, found %u", reader->columns->len,
                           fields->len);
    else
        result = csv_build(reader, fields, start, record, error);
    csv_fields_free(fields);
    return result;
}

sd_result
sd_import_reader_next(sd_import_reader *reader, sd_import_record **record,
                      GError **error)
{
    *record = NULL;
    if (reader->failed)
        return SD_NOTFOUND;
    switch (reader->format) {
    case SD_IMPORT_HTPASSWD:
        return next_line_record(reader, parse_htpasswd, record, error);
    case SD_IMPORT_SHADOW:
        return next_line_record(reader, parse_shadow, record, error);
    case SD_IMPORT_PASSWD_FILE:
        return next_line_record(reader, parse_passwd_file, record, error);
    case SD_IMPORT_LDIF:
        return next_ldif_record(reader, record, error);
    case SD_IMPORT_CSV:
        return next_csv_record(reader, record, error);
    }
    return sd_fail(error, SD_ERROR, "unknown import format");
}

/* ------------------------------------------------------------------ */
/* Merging                                                             */
/* ------------------------------------------------------------------ */

static void
replace_strings(GPtrArray *to, const GPtrArray *from)
{
    g_ptr_array_set_size(to, 0);
    for (guint i = 0; i < from->len; i++)
        g_ptr_array_add(to, g_strdup(g_ptr_array_index(from, i)));
}

sd_principal *
sd_import_merge_fields(const sd_principal *existing, const sd_principal *from,
                       unsigned fields)
{
    sd_principal *p;
    if (existing == NULL) {
        /* Everything FROM does not set starts empty. */
        p = sd_principal_copy(from);
    } else {
        p = sd_principal_copy(existing);
        g_free(p->name);
        p->name = g_strdup(from->name);
        if (fields & SD_IMPORT_TYPE)
            p->type = from->type;
        if (fields & SD_IMPORT_DESCRIPTION) {
            g_free(p->description);
            p->description = g_strdup(from->description);
        }
        if (fields & SD_IMPORT_SECRETS)
            replace_strings(p->secrets, from->secrets);
        /* With new secrets the old SCRAM credentials go: made from the
         * old password, they would let it log in.  FROM holds the ones
         * that belong to its secrets, if any: given with them, or made
         * for a plaintext one when FROM was prepared for storing. */
        if (fields & (SD_IMPORT_SECRETS | SD_IMPORT_AUTH_PASSWORDS))
            replace_strings(p->auth_passwords, from->auth_passwords);
        if (fields & SD_IMPORT_EMAILS)
            replace_strings(p->emails, from->emails);
        if (fields & SD_IMPORT_LISTS)
            replace_strings(p->lists, from->lists);
        if (fields & SD_IMPORT_MEMBER_OF)
            replace_strings(p->member_of, from->member_of);
        if (fields & SD_IMPORT_QUOTA)
            p->quota = from->quota;
    }
    /* What a store keeps is the principal itself, not its resolution. */
    p->resolved = false;
    g_ptr_array_set_size(p->groups, 0);
    p->superuser = false;
    p->effective_quota = 0;
    return p;
}

sd_principal *
sd_import_merge(const sd_principal *existing, const sd_import_record *record)
{
    return sd_import_merge_fields(existing, record->principal,
                                  record->fields);
}

/* ------------------------------------------------------------------ */
/* Export: LDIF                                                        */
/* ------------------------------------------------------------------ */

#define LDIF_BASE "o=sasldir"
#define LDIF_WIDTH 76

/* RFC 2849 SAFE-STRING: else the value is written base64 ("::"). */
static bool
ldif_safe(const char *value)
{
    const unsigned char *p = (const unsigned char *)value;
    if (*p == ' ' || *p == ':' || *p == '<')
        return false;
    size_t len = strlen(value);
    if (len > 0 && value[len - 1] == ' ')
        return false;
    for (; *p != '\0'; p++)
        if (*p >= 0x80 || *p == '\n' || *p == '\r')
            return false;
    return true;
}

/* Appends "NAME: VALUE" folded at LDIF_WIDTH columns. */
static void
ldif_append(GString *out, const char *name, const char *value)
{
    GString *line = g_string_new(name);
    if (ldif_safe(value)) {
        g_string_append(line, ": ");
        g_string_append(line, value);
    } else {
        char *encoded = g_base64_encode((const guchar *)value, strlen(value));
        g_string_append(line, ":: ");
        g_string_append(line, encoded);
        sd_memwipe(encoded, strlen(encoded));
        g_free(encoded);
    }
    size_t pos = 0;
    size_t width = LDIF_WIDTH;
    while (line->len - pos > width) {
        g_string_append_len(out, line->str + pos, (gssize)width);
        g_string_append(out, "\n ");
        pos += width;
        width = LDIF_WIDTH - 1;
    }
    g_string_append_len(out, line->str + pos, (gssize)(line->len - pos));
    g_string_append_c(out, '\n');
    sd_memwipe(line->str, line->len);
    g_string_free(line, TRUE);
}

/* VALUE escaped as an RFC 4514 attribute value. */
static char *
dn_escape(const char *value)
{
    GString *out = g_string_new(NULL);
    size_t len = strlen(value);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (strchr("\"+,;<>\\=", c) != NULL
            || (i == 0 && (c == ' ' || c == '#'))
            || (i == len - 1 && c == ' '))
            g_string_append_printf(out, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            g_string_append_printf(out, "\\%02x", c);
        else
            g_string_append_c(out, (char)c);
    }
    return g_string_free(out, FALSE);
}

void
sd_export_ldif_domain(GString *out, const char *domain)
{
    char *escaped = dn_escape(domain);
    char *dn = g_strdup_printf("associatedDomain=%s,ou=domains," LDIF_BASE,
                               escaped);
    ldif_append(out, "dn", dn);
    ldif_append(out, "objectClass", "domainRelatedObject");
    ldif_append(out, "associatedDomain", domain);
    g_string_append_c(out, '\n');
    g_free(dn);
    g_free(escaped);
}

void
sd_export_ldif_principal(GString *out, const sd_principal *p,
                         bool with_secrets)
{
    bool group = p->type == SD_PRINCIPAL_GROUP;
    char *escaped = dn_escape(p->name);
    char *dn = g_strdup_printf("%s=%s,ou=%s," LDIF_BASE, group ? "cn" : "uid",
                               escaped, group ? "groups" : "people");
    ldif_append(out, "dn", dn);
    g_free(dn);
    g_free(escaped);
    ldif_append(out, "objectClass", group ? "groupOfNames" : "inetOrgPerson");
    ldif_append(out, group ? "cn" : "uid", p->name);
    ldif_append(out, "sasldirType", sd_principal_type_name(p->type));
    if (p->description != NULL)
        ldif_append(out, "description", p->description);
    for (guint i = 0; with_secrets && i < p->secrets->len; i++)
        ldif_append(out, "userPassword", g_ptr_array_index(p->secrets, i));
    for (guint i = 0; with_secrets && i < p->auth_passwords->len; i++)
        ldif_append(out, "authPassword",
                    g_ptr_array_index(p->auth_passwords, i));
    for (guint i = 0; i < p->emails->len; i++)
        ldif_append(out, i == 0 ? "mail" : "mailAlternateAddress",
                    g_ptr_array_index(p->emails, i));
    for (guint i = 0; i < p->lists->len; i++)
        ldif_append(out, "sasldirList", g_ptr_array_index(p->lists, i));
    for (guint i = 0; i < p->member_of->len; i++) {
        char *group_escaped = dn_escape(g_ptr_array_index(p->member_of, i));
        char *group_dn = g_strdup_printf("cn=%s,ou=groups," LDIF_BASE,
                                         group_escaped);
        ldif_append(out, "memberOf", group_dn);
        g_free(group_dn);
        g_free(group_escaped);
    }
    if (p->quota != 0) {
        char quota[32];
        g_snprintf(quota, sizeof quota, "%" G_GUINT64_FORMAT, p->quota);
        ldif_append(out, "sasldirQuota", quota);
    }
    g_string_append_c(out, '\n');
}

/* ------------------------------------------------------------------ */
/* Export: CSV                                                         */
/* ------------------------------------------------------------------ */

static void
csv_append(GString *out, const char *value, bool last)
{
    if (strpbrk(value, ",\"\r\n") != NULL
        || (*value != '\0' && (value[0] == ' '
                               || value[strlen(value) - 1] == ' '))) {
        g_string_append_c(out, '"');
        for (const char *p = value; *p != '\0'; p++) {
            if (*p == '"')
                g_string_append_c(out, '"');
            g_string_append_c(out, *p);
        }
        g_string_append_c(out, '"');
    } else {
        g_string_append(out, value);
    }
    g_string_append(out, last ? "\r\n" : ",");
}

static void
csv_append_list(GString *out, const GPtrArray *values, bool last)
{
    GString *joined = g_string_new(NULL);
    for (guint i = 0; i < values->len; i++) {
        if (i > 0)
            g_string_append_c(joined, '\n');
        g_string_append(joined, g_ptr_array_index(values, i));
    }
    csv_append(out, joined->str, last);
    sd_memwipe(joined->str, joined->len);
    g_string_free(joined, TRUE);
}

void
sd_export_csv_header(GString *out, bool with_secrets)
{
    g_string_append(out, "name,type,description,");
    if (with_secrets)
        g_string_append(out, "secret,auth-password,");
    g_string_append(out, "email,list,member-of,quota\r\n");
}

void
sd_export_csv_domain(GString *out, const char *domain, bool with_secrets)
{
    csv_append(out, domain, false);
    g_string_append(out, with_secrets ? "domain,,,,,,,\r\n"
                                      : "domain,,,,,\r\n");
}

void
sd_export_csv_principal(GString *out, const sd_principal *p,
                        bool with_secrets)
{
    csv_append(out, p->name, false);
    csv_append(out, sd_principal_type_name(p->type), false);
    csv_append(out, p->description != NULL ? p->description : "", false);
    if (with_secrets) {
        csv_append_list(out, p->secrets, false);
        csv_append_list(out, p->auth_passwords, false);
    }
    csv_append_list(out, p->emails, false);
    csv_append_list(out, p->lists, false);
    csv_append_list(out, p->member_of, false);
    char quota[32];
    g_snprintf(quota, sizeof quota, "%" G_GUINT64_FORMAT, p->quota);
    csv_append(out, p->quota != 0 ? quota : "", true);
}
