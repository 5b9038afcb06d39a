/*
 * sd_principal.h - what a directory knows about one name.
 *
 * Offers: sd_principal (name, type, description, secrets, addresses,
 * lists, groups, quota), its constructors and destructor, type names as
 * Stalwart spells them, and sd_principal_resolve(), the one place where
 * transitive group membership, the superuser flag and the effective
 * quota are worked out, whatever backend the principal came from.
 *
 * Secrets are wiped from memory when a principal is freed.
 */
#ifndef SD_PRINCIPAL_H
#define SD_PRINCIPAL_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "sd_result.h"

G_BEGIN_DECLS

typedef enum sd_principal_type {
    SD_PRINCIPAL_INDIVIDUAL = 0,
    SD_PRINCIPAL_GROUP,
    SD_PRINCIPAL_ADMIN,
} sd_principal_type;

typedef struct sd_principal {
    char *name;
    sd_principal_type type;
    char *description;      /* NULL when none */
    GPtrArray *secrets;     /* char*; any one may authenticate; an app
                             * password is "$app$LABEL$STORED" */
    /* char*; SCRAM credentials in the RFC 5803 authPassword form
     * "SCRAM-SHA-256$ITER:SALT$STOREDKEY:SERVERKEY" (base64), for the
     * auxprop's authPassword; secret-like (wiped, never cached), never
     * used to verify a plain password. */
    GPtrArray *auth_passwords;
    GPtrArray *emails;      /* char*; the primary address first */
    GPtrArray *lists;       /* char*; list addresses it receives */
    GPtrArray *member_of;   /* char*; the groups it names directly */
    uint64_t quota;         /* bytes; 0 = none of its own */

    /* Filled in by sd_principal_resolve(). */
    bool resolved;
    GPtrArray *groups;      /* char*; every group, direct ones first */
    bool superuser;
    uint64_t effective_quota;
} sd_principal;

sd_principal *sd_principal_new(const char *name, sd_principal_type type);
sd_principal *sd_principal_copy(const sd_principal *principal);
void sd_principal_free(sd_principal *principal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_principal, sd_principal_free)

/*
 * Stalwart's class names: individual (also person, user), group, admin
 * (also superuser, administrator); case does not matter.
 */
bool sd_principal_type_parse(const char *text, sd_principal_type *type);
const char *sd_principal_type_name(sd_principal_type type);

/* Adds STRING to ARRAY unless an equal one is there (case-insensitive). */
void sd_string_list_add_unique(GPtrArray *array, const char *string);
bool sd_string_list_contains(const GPtrArray *array, const char *string);

/*
 * Finds the group named NAME for sd_principal_resolve(): SD_OK with
 * *GROUP set, SD_NOTFOUND when there is no principal of that name (the
 * name still counts as a group label), or a failure.
 */
typedef sd_result (*sd_group_lookup_fn)(void *context, const char *name,
                                        sd_principal **group,
                                        GError **error);

/* At most this many groups are followed for one principal. */
#define SD_MAX_GROUPS 4096

/*
 * Follows PRINCIPAL's member_of transitively (cycles end the walk, they
 * do not loop) and sets groups, superuser (class admin, or a member,
 * directly or through groups, of SUPERUSER_GROUP; NULL or "" = none) and
 * effective_quota (its own quota, else the largest of all its groups').
 * A failed group lookup fails the whole resolution with that result.
 */
sd_result sd_principal_resolve(sd_principal *principal,
                               const char *superuser_group,
                               sd_group_lookup_fn lookup, void *context,
                               GError **error);

/*
 * Appends PRINCIPAL as a JSON object to OUT; secrets and auth_passwords
 * appear only when WITH_SECRETS is true, otherwise just their number.
 */
void sd_principal_to_json(const sd_principal *principal, bool with_secrets,
                          GString *out);

/*
 * Packs everything about PRINCIPAL except its secrets and auth_passwords
 * into one flat
 * buffer (free it with g_free), for stores that keep principals as
 * bytes in this process, such as the cache.  *LEN receives its size.
 */
void *sd_principal_pack(const sd_principal *principal, size_t *len);
/*
 * The principal packed in DATA (LEN bytes), with no secrets; NULL when
 * DATA is not a whole packed principal (never a read out of bounds).
 */
sd_principal *sd_principal_unpack(const void *data, size_t len);

G_END_DECLS

#endif
