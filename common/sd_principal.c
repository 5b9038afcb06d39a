/*
 * sd_principal.c - principals and the generic resolution of groups,
 * superuser status and quota (see sd_principal.h).
 */
#include "config.h"

#include <string.h>

#include "sd_json.h"
#include "sd_principal.h"
#include "sd_secret.h"

static GPtrArray *
string_array_new(void)
{
    return g_ptr_array_new_with_free_func(g_free);
}

static GPtrArray *
string_array_copy(const GPtrArray *from, GDestroyNotify free_func)
{
    GPtrArray *to = g_ptr_array_new_full(from->len, free_func);
    for (guint i = 0; i < from->len; i++)
        g_ptr_array_add(to, g_strdup(g_ptr_array_index(from, i)));
    return to;
}

sd_principal *
sd_principal_new(const char *name, sd_principal_type type)
{
    sd_principal *principal = g_new0(sd_principal, 1);
    principal->name = g_strdup(name);
    principal->type = type;
    principal->secrets = g_ptr_array_new_with_free_func(
        (GDestroyNotify)sd_secret_free);
    principal->emails = string_array_new();
    principal->lists = string_array_new();
    principal->member_of = string_array_new();
    principal->groups = string_array_new();
    return principal;
}

sd_principal *
sd_principal_copy(const sd_principal *from)
{
    sd_principal *to = g_new0(sd_principal, 1);
    to->name = g_strdup(from->name);
    to->type = from->type;
    to->description = g_strdup(from->description);
    to->secrets = string_array_copy(from->secrets,
                                    (GDestroyNotify)sd_secret_free);
    to->emails = string_array_copy(from->emails, g_free);
    to->lists = string_array_copy(from->lists, g_free);
    to->member_of = string_array_copy(from->member_of, g_free);
    to->quota = from->quota;
    to->resolved = from->resolved;
    to->groups = string_array_copy(from->groups, g_free);
    to->superuser = from->superuser;
    to->effective_quota = from->effective_quota;
    return to;
}

void
sd_principal_free(sd_principal *principal)
{
    if (principal == NULL)
        return;
    g_free(principal->name);
    g_free(principal->description);
    g_ptr_array_unref(principal->secrets);
    g_ptr_array_unref(principal->emails);
    g_ptr_array_unref(principal->lists);
    g_ptr_array_unref(principal->member_of);
    g_ptr_array_unref(principal->groups);
    g_free(principal);
}

bool
sd_principal_type_parse(const char *text, sd_principal_type *type)
{
    static const struct { const char *name; sd_principal_type type; } names[] = {
        { "individual", SD_PRINCIPAL_INDIVIDUAL },
        { "person", SD_PRINCIPAL_INDIVIDUAL },
        { "user", SD_PRINCIPAL_INDIVIDUAL },
        { "group", SD_PRINCIPAL_GROUP },
        { "admin", SD_PRINCIPAL_ADMIN },
        { "superuser", SD_PRINCIPAL_ADMIN },
        { "administrator", SD_PRINCIPAL_ADMIN },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (g_ascii_strcasecmp(text, names[i].name) == 0) {
            *type = names[i].type;
            return true;
        }
    }
    return false;
}

const char *
sd_principal_type_name(sd_principal_type type)
{
    switch (type) {
    case SD_PRINCIPAL_INDIVIDUAL: return "individual";
    case SD_PRINCIPAL_GROUP:      return "group";
    case SD_PRINCIPAL_ADMIN:      return "admin";
    }
    return "individual";
}

/* Group and principal names compare without regard to case, as the
 * directories store them case-insensitively unique. */
static bool
names_equal(const char *a, const char *b)
{
    char *fa = g_utf8_casefold(a, -1);
    char *fb = g_utf8_casefold(b, -1);
    bool equal = strcmp(fa, fb) == 0;
    g_free(fa);
    g_free(fb);
    return equal;
}

bool
sd_string_list_contains(const GPtrArray *array, const char *string)
{
    for (guint i = 0; i < array->len; i++)
        if (names_equal(g_ptr_array_index(array, i), string))
            return true;
    return false;
}

void
sd_string_list_add_unique(GPtrArray *array, const char *string)
{
    if (!sd_string_list_contains(array, string))
        g_ptr_array_add(array, g_strdup(string));
}

/* Queues a copy of every name in NAMES for the walk. */
static void
queue_names(GQueue *pending, const GPtrArray *names)
{
    for (guint i = 0; i < names->len; i++)
        g_queue_push_tail(pending, g_strdup(g_ptr_array_index(names, i)));
}

sd_result
sd_principal_resolve(sd_principal *principal, const char *superuser_group,
                     sd_group_lookup_fn lookup, void *context,
                     GError **error)
{
    /* Breadth first, so the direct groups come first in the list and a
     * cycle (a in b, b in a) only ever revisits names already seen. */
    GPtrArray *groups = string_array_new();
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                             NULL);
    g_hash_table_add(seen, g_utf8_casefold(principal->name, -1));
    uint64_t group_quota = 0;
    GQueue pending = G_QUEUE_INIT;
    queue_names(&pending, principal->member_of);

    sd_result result = SD_OK;
    char *name;
    while (result == SD_OK && (name = g_queue_pop_head(&pending)) != NULL) {
        char *folded = g_utf8_casefold(name, -1);
        if (!g_hash_table_add(seen, folded)) {
            g_free(name);
            continue;
        }
        if (groups->len >= SD_MAX_GROUPS) {
            result = sd_fail(error, SD_ERROR,
                             "principal '%s' belongs to more than %d groups",
                             principal->name, SD_MAX_GROUPS);
            g_free(name);
            break;
        }
        g_ptr_array_add(groups, name);

        sd_principal *group = NULL;
        result = lookup(context, name, &group, error);
        if (result == SD_NOTFOUND) {
            /* A name nobody defines is still a group label (Stalwart's
             * superuser-group works that way): it counts, it has no
             * quota and no parents. */
            g_clear_error(error);
            result = SD_OK;
            continue;
        }
        if (result != SD_OK)
            break;
        if (group->quota > group_quota)
            group_quota = group->quota;
        queue_names(&pending, group->member_of);
        sd_principal_free(group);
    }
    g_queue_clear_full(&pending, g_free);
    g_hash_table_unref(seen);

    if (result != SD_OK) {
        g_ptr_array_unref(groups);
        return result;
    }
    g_ptr_array_unref(principal->groups);
    principal->groups = groups;
    principal->superuser = principal->type == SD_PRINCIPAL_ADMIN
        || (superuser_group != NULL && *superuser_group != '\0'
            && sd_string_list_contains(groups, superuser_group));
    principal->effective_quota = principal->quota != 0 ? principal->quota
                                                       : group_quota;
    principal->resolved = true;
    return SD_OK;
}

static void
append_string_array(GString *out, const char *name, const GPtrArray *array)
{
    g_string_append_printf(out, ",\"%s\":[", name);
    for (guint i = 0; i < array->len; i++) {
        const char *s = g_ptr_array_index(array, i);
        if (i > 0)
            g_string_append_c(out, ',');
        sd_json_append_string(out, s, strlen(s));
    }
    g_string_append_c(out, ']');
}

void
sd_principal_to_json(const sd_principal *principal, bool with_secrets,
                     GString *out)
{
    g_string_append(out, "{\"name\":");
    sd_json_append_string(out, principal->name, strlen(principal->name));
    g_string_append_printf(out, ",\"type\":\"%s\",\"description\":",
                           sd_principal_type_name(principal->type));
    if (principal->description != NULL)
        sd_json_append_string(out, principal->description,
                              strlen(principal->description));
    else
        g_string_append(out, "null");
    append_string_array(out, "emails", principal->emails);
    append_string_array(out, "lists", principal->lists);
    append_string_array(out, "member_of", principal->member_of);
    g_string_append_printf(out, ",\"quota\":%" G_GUINT64_FORMAT,
                           principal->quota);
    if (principal->resolved) {
        append_string_array(out, "groups", principal->groups);
        g_string_append_printf(out,
                               ",\"superuser\":%s,\"effective_quota\":%"
                               G_GUINT64_FORMAT,
                               principal->superuser ? "true" : "false",
                               principal->effective_quota);
    }
    if (with_secrets)
        append_string_array(out, "secrets", principal->secrets);
    else
        g_string_append_printf(out, ",\"secrets\":%u", principal->secrets->len);
    g_string_append_c(out, '}');
}

/* name, type, description, emails, lists, member-of, quota, resolved,
 * groups, superuser, effective quota. */
#define PACKED_TYPE "(sumsasasastbasbt)"

static GVariant *
strv_variant(const GPtrArray *array)
{
    return g_variant_new_strv((const char *const *)array->pdata,
                              (gssize)array->len);
}

void *
sd_principal_pack(const sd_principal *p, size_t *len)
{
    GVariant *packed = g_variant_ref_sink(g_variant_new(
        "(sums@as@as@astb@asbt)", p->name, (guint32)p->type, p->description,
        strv_variant(p->emails), strv_variant(p->lists),
        strv_variant(p->member_of), (guint64)p->quota, (gboolean)p->resolved,
        strv_variant(p->groups), (gboolean)p->superuser,
        (guint64)p->effective_quota));
    *len = g_variant_get_size(packed);
    void *data = g_malloc(*len > 0 ? *len : 1);
    g_variant_store(packed, data);
    g_variant_unref(packed);
    return data;
}

/* Fills ARRAY (empty) from a GVariant "as". */
static void
fill_from_strv(GPtrArray *array, GVariant *strings)
{
    gsize n = 0;
    const char **items = g_variant_get_strv(strings, &n);
    for (gsize i = 0; i < n; i++)
        g_ptr_array_add(array, g_strdup(items[i]));
    g_free(items);
    g_variant_unref(strings);
}

sd_principal *
sd_principal_unpack(const void *data, size_t len)
{
    /* GVariant wants its data aligned; a fresh allocation is. */
    GBytes *bytes = g_bytes_new(data, len);
    GVariant *packed = g_variant_ref_sink(g_variant_new_from_bytes(
        G_VARIANT_TYPE(PACKED_TYPE), bytes, FALSE));
    g_bytes_unref(bytes);
    const char *name = NULL, *description = NULL;
    guint32 type = 0;
    guint64 quota = 0, effective_quota = 0;
    gboolean resolved = FALSE, superuser = FALSE;
    GVariant *emails, *lists, *member_of, *groups;
    /* Borrowed strings and sub-variants: GVariant reads data that is
     * not in normal form safely (as defaults), never out of bounds. */
    g_variant_get(packed, "(&sum&s@as@as@astb@asbt)", &name, &type, &description,
                  &emails, &lists, &member_of, &quota, &resolved, &groups,
                  &superuser, &effective_quota);
    if (*name == '\0') {
        g_variant_unref(emails);
        g_variant_unref(lists);
        g_variant_unref(member_of);
        g_variant_unref(groups);
        g_variant_unref(packed);
        return NULL;
    }
    sd_principal *p = sd_principal_new(name, (sd_principal_type)type);
    p->description = g_strdup(description);
    fill_from_strv(p->emails, emails);
    fill_from_strv(p->lists, lists);
    fill_from_strv(p->member_of, member_of);
    fill_from_strv(p->groups, groups);
    p->quota = quota;
    p->resolved = resolved;
    p->superuser = superuser;
    p->effective_quota = effective_quota;
    g_variant_unref(packed);
    return p;
}
