/*
 * sd_address.c - address normalization and address mappings (see
 * sd_address.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sd_address.h"
#include "sd_result.h"

/* A mapping whose regular expression matches more often than this in one
 * address is cut short: no real template needs more captures. */
#define MAX_MATCHES 64

typedef enum mapping_kind {
    MAPPING_OFF,
    MAPPING_ON,
    MAPPING_CUSTOM,
} mapping_kind;

/* One piece of a template: literal text, or a capture group number. */
typedef struct template_part {
    char *literal;      /* NULL for a group reference */
    int group;
} template_part;

struct sd_address_mapping {
    mapping_kind kind;
    GRegex *regex;
    GArray *parts;      /* template_part */
};

static bool
has_control_or_space(const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f)
            return true;
    }
    return false;
}

static bool
is_valid_a_label_domain(const char *domain)
{
    size_t len = strlen(domain);
    if (len == 0 || len > 253)
        return false;
    size_t label = 0;
    for (const char *p = domain; ; p++) {
        if (*p == '.' || *p == '\0') {
            if (label == 0 || label > 63)
                return false;
            if (*p == '\0')
                return true;
            label = 0;
            continue;
        }
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
            return false;
        label++;
    }
}

/* Is every byte of the first LEN of TEXT ASCII? */
static bool
is_ascii(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] >= 0x80)
            return false;
    return true;
}

/* Does some label of DOMAIN start with the ACE prefix "xn--"?  Such a
 * label goes through GLib's IDN code, which checks its Punycode. */
static bool
has_ace_label(const char *domain)
{
    for (const char *p = domain; ; p++) {
        if (g_ascii_strncasecmp(p, "xn--", 4) == 0)
            return true;
        p = strchr(p, '.');
        if (p == NULL)
            return false;
    }
}

char *
sd_domain_normalize(const char *domain, GError **error)
{
    size_t len = strlen(domain);
    if (len == 0) {
        sd_fail(error, SD_NOTFOUND, "empty domain");
        return NULL;
    }
    if (len > 255 || !g_utf8_validate(domain, (gssize)len, NULL)
        || has_control_or_space(domain)) {
        sd_fail(error, SD_NOTFOUND,
                "not a domain name (too long, not UTF-8, or contains "
                "spaces or control characters)");
        return NULL;
    }
    /* One trailing dot is the DNS root, not part of the name. */
    size_t name_len = domain[len - 1] == '.' ? len - 1 : len;
    char *lower;
    if (is_ascii(domain, name_len) && !has_ace_label(domain)) {
        /* Nothing for IDNA to map (a bulk import's common case): its
         * result would be the name lowercased, checked below alike. */
        lower = g_ascii_strdown(domain, (gssize)name_len);
    } else {
        char *copy = g_strndup(domain, name_len);
        char *ascii = g_hostname_to_ascii(copy);
        g_free(copy);
        if (ascii == NULL) {
            sd_fail(error, SD_NOTFOUND, "'%s' is not a valid "
                    "internationalized domain name", domain);
            return NULL;
        }
        lower = g_ascii_strdown(ascii, -1);
        g_free(ascii);
    }
    if (!is_valid_a_label_domain(lower)) {
        sd_fail(error, SD_NOTFOUND, "'%s' is not a valid domain name",
                domain);
        g_free(lower);
        return NULL;
    }
    return lower;
}

char *
sd_address_normalize(const char *address, GError **error)
{
    size_t len = strlen(address);
    if (len == 0 || len > SD_ADDRESS_MAX
        || !g_utf8_validate(address, (gssize)len, NULL)
        || has_control_or_space(address)) {
        sd_fail(error, SD_NOTFOUND,
                "not an e-mail address (empty, longer than %d bytes, not "
                "UTF-8, or contains spaces or control characters)",
                SD_ADDRESS_MAX);
        return NULL;
    }
    /* The last '@' separates the domain: a quoted local part may hold
     * another one. */
    const char *at = strrchr(address, '@');
    if (at == NULL) {
        sd_fail(error, SD_NOTFOUND, "'%s' has no '@'", address);
        return NULL;
    }
    char *domain = sd_domain_normalize(at + 1, error);
    if (domain == NULL)
        return NULL;
    /* An ASCII local part needs no Unicode case tables. */
    char *local = is_ascii(address, (size_t)(at - address))
                  ? g_ascii_strdown(address, at - address)
                  : g_utf8_strdown(address, at - address);
    char *result = g_strconcat(local, "@", domain, NULL);
    g_free(local);
    g_free(domain);
    return result;
}

/* ------------------------------------------------------------------ */
/* Mappings                                                            */
/* ------------------------------------------------------------------ */

static void
clear_part(void *data)
{
    template_part *part = data;
    g_free(part->literal);
}

sd_address_mapping *
sd_address_mapping_new_enabled(bool enabled)
{
    sd_address_mapping *mapping = g_new0(sd_address_mapping, 1);
    mapping->kind = enabled ? MAPPING_ON : MAPPING_OFF;
    return mapping;
}

static void
add_literal(GArray *parts, const char *text, size_t len)
{
    if (len == 0)
        return;
    template_part part = { g_strndup(text, len), 0 };
    g_array_append_val(parts, part);
}

/* Splits TEMPLATE into literal text and ${N} references, each N at most
 * MAX_GROUP. */
static GArray *
parse_template(const char *template_text, int max_group, GError **error)
{
    GArray *parts = g_array_new(FALSE, FALSE, sizeof(template_part));
    g_array_set_clear_func(parts, clear_part);
    const char *literal = template_text;
    const char *p = template_text;
    while ((p = strstr(p, "${")) != NULL) {
        const char *digits = p + 2;
        const char *end = digits;
        while (g_ascii_isdigit(*end) && end - digits < 4)
            end++;
        if (end == digits || *end != '}') {
            sd_fail(error, SD_ERROR,
                    "template '%s': '${' must be followed by a group "
                    "number and '}', e.g. ${1}", template_text);
            g_array_unref(parts);
            return NULL;
        }
        int group = atoi(digits);
        if (group > max_group) {
            sd_fail(error, SD_ERROR,
                    "template '%s' uses ${%d}, but the expression has only "
                    "%d capture group%s", template_text, group, max_group,
                    max_group == 1 ? "" : "s");
            g_array_unref(parts);
            return NULL;
        }
        add_literal(parts, literal, (size_t)(p - literal));
        template_part part = { NULL, group };
        g_array_append_val(parts, part);
        p = literal = end + 1;
    }
    add_literal(parts, literal, strlen(literal));
    return parts;
}

sd_address_mapping *
sd_address_mapping_new_custom(const char *regex, const char *template_text,
                              GError **error)
{
    GError *regex_error = NULL;
    GRegex *compiled = g_regex_new(regex, 0, 0, &regex_error);
    if (compiled == NULL) {
        sd_fail(error, SD_ERROR, "regular expression '%s': %s", regex,
                regex_error->message);
        g_error_free(regex_error);
        return NULL;
    }
    GArray *parts = parse_template(template_text,
                                   g_regex_get_capture_count(compiled),
                                   error);
    if (parts == NULL) {
        g_regex_unref(compiled);
        return NULL;
    }
    sd_address_mapping *mapping = g_new0(sd_address_mapping, 1);
    mapping->kind = MAPPING_CUSTOM;
    mapping->regex = compiled;
    mapping->parts = parts;
    return mapping;
}

void
sd_address_mapping_free(sd_address_mapping *mapping)
{
    if (mapping == NULL)
        return;
    if (mapping->regex != NULL)
        g_regex_unref(mapping->regex);
    if (mapping->parts != NULL)
        g_array_unref(mapping->parts);
    g_free(mapping);
}

const char *
sd_address_mapping_describe(const sd_address_mapping *mapping)
{
    switch (mapping->kind) {
    case MAPPING_OFF:    return "off";
    case MAPPING_ON:     return "on";
    case MAPPING_CUSTOM: return "map";
    }
    return "off";
}

/*
 * Applies a custom mapping: the captures of every match, in order (as
 * Stalwart collects them), fill the template.  NULL when the expression
 * does not match.
 */
static char *
apply_custom(const sd_address_mapping *mapping, const char *address)
{
    GMatchInfo *info = NULL;
    if (!g_regex_match(mapping->regex, address, 0, &info)) {
        g_match_info_free(info);
        return NULL;
    }
    GPtrArray *captures = g_ptr_array_new_with_free_func(g_free);
    int groups = g_regex_get_capture_count(mapping->regex);
    for (int n = 0; n < MAX_MATCHES && g_match_info_matches(info); n++) {
        for (int i = 0; i <= groups; i++) {
            char *capture = g_match_info_fetch(info, i);
            g_ptr_array_add(captures, capture != NULL ? capture
                                                      : g_strdup(""));
        }
        if (!g_match_info_next(info, NULL))
            break;
    }
    g_match_info_free(info);

    GString *out = g_string_new("");
    for (guint i = 0; i < mapping->parts->len; i++) {
        const template_part *part = &g_array_index(mapping->parts,
                                                   template_part, i);
        if (part->literal != NULL)
            g_string_append(out, part->literal);
        else if ((guint)part->group < captures->len)
            g_string_append(out, g_ptr_array_index(captures, part->group));
    }
    g_ptr_array_unref(captures);

    /* A template may write capitals or a U-label domain; bring the
     * result to the comparison form when it is an address at all. */
    char *normalized = sd_address_normalize(out->str, NULL);
    if (normalized != NULL) {
        g_string_free(out, TRUE);
        return normalized;
    }
    return g_string_free(out, FALSE);
}

char *
sd_address_mapping_subaddress(const sd_address_mapping *mapping,
                              const char *address)
{
    if (mapping->kind == MAPPING_ON) {
        /* Stalwart's rule: the tag starts at the first '+' of the local
         * part, which ends at the last '@'. */
        const char *at = strrchr(address, '@');
        const char *plus = at != NULL ? memchr(address, '+', at - address)
                                      : NULL;
        if (plus != NULL) {
            GString *out = g_string_new_len(address, plus - address);
            g_string_append(out, at);
            return g_string_free(out, FALSE);
        }
    } else if (mapping->kind == MAPPING_CUSTOM) {
        char *mapped = apply_custom(mapping, address);
        if (mapped != NULL)
            return mapped;
    }
    return g_strdup(address);
}

char *
sd_address_mapping_catch_all(const sd_address_mapping *mapping,
                             const char *address)
{
    if (mapping->kind == MAPPING_ON) {
        const char *at = strrchr(address, '@');
        return at != NULL ? g_strdup(at) : NULL;
    }
    if (mapping->kind == MAPPING_CUSTOM)
        return apply_custom(mapping, address);
    return NULL;
}
