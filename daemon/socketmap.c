/*
 * socketmap.c - the answers of sasldird's socketmap maps.
 *
 * Offers socketmap_answer() (socketmap.h): one request payload
 * "NAME KEY" in, one reply payload out.  Every map is a thin wrapper
 * around one sd_directory operation, so subaddressing, catch-all,
 * address normalization and the lookup cache behave exactly as in the
 * sasldir tool:
 *
 *   domains      sd_directory_is_local_domain; value: the domain as
 *                sasldir compares it (lowercase, Unicode form).
 *   mailboxes    sd_directory_rcpt; value: the primary address of the
 *                owning principal (so an alias, a tagged address or a
 *                catch-all hit all give the mailbox they reach), or the
 *                list address itself for a list.
 *   aliases      where mail for KEY goes: the owner's primary address,
 *                or for a list its members' primary addresses.
 *   lists        sd_directory_expand: the members' primary addresses;
 *                only lists are found (a list without members is not).
 *   quota        KEY with '@': the owner of that address; else a
 *                principal name.  Value: the effective quota in bytes,
 *                0 when the principal has none (no limit).
 *   login-owner  the principal that owns the address (after
 *                subaddressing and catch-all); a list has no owner and
 *                is not found, so nobody may send as a list.
 *
 * Map names are matched without regard to ASCII case.  The key is
 * everything after the first space.  Failure modes: SD_TEMPFAIL from the
 * directory answers "TEMP" with its reason; a directory error
 * (SD_ERROR, e.g. a query that is not configured), a malformed request,
 * an unknown map, a key longer than SD_ADDRESS_MAX or a value longer
 * than Postfix reads (100000 bytes) answer "PERM".  Reasons are one line
 * of printable characters, never longer than REASON_MAX.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "socketmap.h"
#include "sd_address.h"

/* Postfix's socketmap client refuses a reply longer than this. */
#define SOCKETMAP_REPLY_MAX 100000
/* TEMP/PERM reasons are cut to this. */
#define REASON_MAX 400

typedef sd_result (*map_fn)(sd_directory *directory, const char *key,
                            char **value, GError **error);

/* "WORD reason": control characters become spaces, the reason is cut. */
static char *
reply_with_reason(const char *word, const char *reason)
{
    GString *out = g_string_new(word);
    g_string_append_c(out, ' ');
    size_t start = out->len;
    g_string_append_len(out, reason, (gssize)strnlen(reason, REASON_MAX));
    for (size_t i = start; i < out->len; i++) {
        if ((unsigned char)out->str[i] < 0x20 || out->str[i] == 0x7f)
            out->str[i] = ' ';
    }
    return g_string_free(out, FALSE);
}

static char *
perm(sd_result *result, const char *reason)
{
    *result = SD_ERROR;
    return reply_with_reason("PERM", reason);
}

/* The primary address of principal OWNER; FALLBACK when it has none. */
static sd_result
primary_address(sd_directory *directory, const char *owner,
                const char *fallback, char **value, GError **error)
{
    sd_principal *principal = NULL;
    sd_result result = sd_directory_lookup(directory, owner, &principal,
                                           error);
    if (result == SD_NOTFOUND) {
        /* An owner named by the address table but without a principal
         * of its own (possible in SQL): the address itself answers. */
        g_clear_error(error);
        *value = g_strdup(fallback);
        return SD_OK;
    }
    if (result != SD_OK)
        return result;
    *value = g_strdup(principal->emails->len > 0
                      ? g_ptr_array_index(principal->emails, 0) : fallback);
    sd_principal_free(principal);
    return SD_OK;
}

static sd_result
map_domains(sd_directory *directory, const char *key, char **value,
            GError **error)
{
    sd_result result = sd_directory_is_local_domain(directory, key, error);
    if (result != SD_OK)
        return result;
    *value = sd_domain_normalize(key, NULL);
    return *value != NULL ? SD_OK
           : sd_fail(error, SD_ERROR, "domain '%s' is local but cannot be "
                     "normalized", key);
}

/* The members of list ADDRESS, joined by ','; SD_NOTFOUND when none. */
static sd_result
list_members(sd_directory *directory, const char *address, char **value,
             GError **error)
{
    GPtrArray *members = NULL;
    sd_result result = sd_directory_expand(directory, address, &members,
                                           error);
    if (result != SD_OK)
        return result;
    if (members->len == 0) {
        g_ptr_array_unref(members);
        return sd_fail(error, SD_NOTFOUND, "list '%s' has no members",
                       address);
    }
    g_ptr_array_add(members, NULL);
    *value = g_strjoinv(",", (char **)members->pdata);
    g_ptr_array_unref(members);
    return SD_OK;
}

/* KEY's recipient: an owner's primary address, else (a list address)
 * the list itself or, with EXPAND_LIST, its members. */
static sd_result
resolve_rcpt(sd_directory *directory, const char *key, bool expand_list,
             char **value, GError **error)
{
    char *owner = NULL, *matched = NULL;
    sd_result result = sd_directory_rcpt(directory, key, &owner, &matched,
                                         error);
    if (result == SD_OK) {
        if (owner != NULL)
            result = primary_address(directory, owner, matched, value, error);
        else if (expand_list)
            result = list_members(directory, matched, value, error);
        else
            *value = g_strdup(matched);
    }
    g_free(owner);
    g_free(matched);
    return result;
}

static sd_result
map_mailboxes(sd_directory *directory, const char *key, char **value,
              GError **error)
{
    return resolve_rcpt(directory, key, false, value, error);
}

static sd_result
map_aliases(sd_directory *directory, const char *key, char **value,
            GError **error)
{
    return resolve_rcpt(directory, key, true, value, error);
}

static sd_result
map_lists(sd_directory *directory, const char *key, char **value,
          GError **error)
{
    return list_members(directory, key, value, error);
}

static sd_result
map_quota(sd_directory *directory, const char *key, char **value,
          GError **error)
{
    char *owner = NULL;
    sd_result result;
    if (strchr(key, '@') != NULL) {
        result = sd_directory_rcpt(directory, key, &owner, NULL, error);
        if (result == SD_OK && owner == NULL)
            result = sd_fail(error, SD_NOTFOUND, "'%s' is a list, which "
                             "has no quota", key);
        if (result != SD_OK)
            return result;
        key = owner;
    }
    sd_principal *principal = NULL;
    result = sd_directory_lookup(directory, key, &principal, error);
    if (result == SD_OK) {
        *value = g_strdup_printf("%" PRIu64, principal->effective_quota);
        sd_principal_free(principal);
    }
    g_free(owner);
    return result;
}

static sd_result
map_login_owner(sd_directory *directory, const char *key, char **value,
                GError **error)
{
    char *owner = NULL;
    sd_result result = sd_directory_rcpt(directory, key, &owner, NULL,
                                         error);
    if (result == SD_OK && owner == NULL)
        result = sd_fail(error, SD_NOTFOUND, "'%s' is a list, which no "
                         "principal owns", key);
    if (result == SD_OK)
        *value = owner;
    else
        g_free(owner);
    return result;
}

static const struct {
    const char *name;
    map_fn fn;
} maps[] = {
    { "domains", map_domains },
    { "mailboxes", map_mailboxes },
    { "aliases", map_aliases },
    { "lists", map_lists },
    { "quota", map_quota },
    { "login-owner", map_login_owner },
};

static map_fn
map_named(const char *name, size_t len)
{
    for (size_t i = 0; i < G_N_ELEMENTS(maps); i++) {
        if (strlen(maps[i].name) == len
            && g_ascii_strncasecmp(maps[i].name, name, len) == 0)
            return maps[i].fn;
    }
    return NULL;
}

/* The reply for what the map gave. */
static char *
reply_of(sd_result found, char *value, const GError *error,
         sd_result *result)
{
    const char *reason = error != NULL ? error->message : "unknown reason";
    switch (found) {
    case SD_OK:
        break;
    case SD_NOTFOUND:
    case SD_MISMATCH:           /* no map gives it; not found is safe */
        *result = SD_NOTFOUND;
        return g_strdup("NOTFOUND ");
    case SD_TEMPFAIL:
        *result = SD_TEMPFAIL;
        return reply_with_reason("TEMP", reason);
    case SD_ERROR:
    default:
        return perm(result, reason);
    }
    size_t len = strlen(value);
    if (3 + len > SOCKETMAP_REPLY_MAX) {
        char *why = g_strdup_printf("the value is %zu bytes, more than "
                                    "the %d a socketmap client reads", len,
                                    SOCKETMAP_REPLY_MAX - 3);
        char *reply = perm(result, why);
        g_free(why);
        return reply;
    }
    *result = SD_OK;
    return g_strconcat("OK ", value, NULL);
}

char *
socketmap_answer(sd_directory *directory, const char *request, size_t len,
                 sd_result *result)
{
    sd_result ignored;
    if (result == NULL)
        result = &ignored;
    if (memchr(request, '\0', len) != NULL)
        return perm(result, "malformed request: a NUL byte");
    const char *space = memchr(request, ' ', len);
    if (space == NULL)
        return perm(result, "malformed request: no space between the map "
                    "name and the key");
    map_fn fn = map_named(request, (size_t)(space - request));
    if (fn == NULL) {
        /* The name is echoed only when it is short printable ASCII. */
        size_t name_len = (size_t)(space - request);
        bool printable = name_len > 0 && name_len <= 32;
        for (size_t i = 0; printable && i < name_len; i++)
            printable = g_ascii_isgraph(request[i]);
        char *why = printable
                    ? g_strdup_printf("unknown map '%.*s' (known: domains, "
                                      "mailboxes, aliases, lists, quota, "
                                      "login-owner)", (int)name_len, request)
                    : g_strdup("unknown map");
        char *reply = perm(result, why);
        g_free(why);
        return reply;
    }
    size_t key_len = len - (size_t)(space + 1 - request);
    if (key_len > SD_ADDRESS_MAX) {
        char *why = g_strdup_printf("key of %zu bytes, more than %d",
                                    key_len, SD_ADDRESS_MAX);
        char *reply = perm(result, why);
        g_free(why);
        return reply;
    }
    if (key_len == 0) {
        *result = SD_NOTFOUND;
        return g_strdup("NOTFOUND ");
    }
    char *key = g_strndup(space + 1, key_len);
    char *value = NULL;
    GError *error = NULL;
    sd_result found = fn(directory, key, &value, &error);
    char *reply = reply_of(found, value, error, result);
    g_clear_error(&error);
    g_free(value);
    g_free(key);
    return reply;
}
