/*
 * sd_directory.h - the directories of one configuration, and the
 * operations every caller (plugins, daemon, CLI) uses on them.
 *
 * Offers: sd_registry, loaded from one TOML file: it opens every
 * [directory."<name>"] section through the driver for its type and knows
 * the default directory ([storage] directory).  On an sd_directory:
 * lookup, authenticate, rcpt, is_local_domain, expand and verify.  These
 * wrap the backend driver with the generic behaviour that no driver
 * repeats: name and address validation and normalization, subaddressing
 * and catch-all, secret verification (with a dummy verification for
 * unknown names, so timing does not tell which names exist), and the
 * resolution of groups, superuser status and effective quota.
 *
 * Results: an sd_result; for anything but SD_OK, *ERROR (when given) says
 * why, naming the directory.  A backend that cannot answer gives
 * SD_TEMPFAIL, never SD_MISMATCH or SD_NOTFOUND.
 *
 * An sd_registry is immutable once loaded and may be used from several
 * threads at once.
 */
#ifndef SD_DIRECTORY_H
#define SD_DIRECTORY_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "sd_cache.h"
#include "sd_principal.h"
#include "sd_result.h"
#include "sd_secret.h"

G_BEGIN_DECLS

/* Principal names longer than this are refused as not found. */
#define SD_NAME_MAX 256
/* Passwords longer than this are refused as a mismatch. */
#define SD_PASSWORD_MAX 4096

typedef struct sd_registry sd_registry;
typedef struct sd_directory sd_directory;

/* [directory."<name>".cache] as configured (see README). */
typedef struct sd_cache_settings {
    bool configured;            /* false: no cache section */
    uint64_t entries;
    uint64_t ttl_positive_ms;
    uint64_t ttl_negative_ms;
} sd_cache_settings;

/*
 * Loads the configuration at PATH and opens its directories.  On any
 * problem returns NULL with *ERROR (SD_ERROR_DOMAIN, code SD_ERROR, or
 * SD_TOML_ERROR for a file that is not TOML) listing every problem, one
 * per line, each as "FILE:LINE: KEY: what is wrong".
 */
sd_registry *sd_registry_load(const char *path, GError **error);
/* The same for a configuration held in memory; FILENAME names it. */
sd_registry *sd_registry_load_data(const char *text, size_t len,
                                   const char *filename, GError **error);
sd_registry *sd_registry_ref(sd_registry *registry);
void sd_registry_unref(sd_registry *registry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_registry, sd_registry_unref)

const char *sd_registry_config_path(const sd_registry *registry);
/* The [secret] policy every directory of REGISTRY verifies with. */
const sd_secret_policy *sd_registry_secret_policy(
    const sd_registry *registry);
/* The directory named by [storage] directory. */
sd_directory *sd_registry_default(sd_registry *registry);
/* NULL when no enabled directory has that name. */
sd_directory *sd_registry_get(sd_registry *registry, const char *name);
/* Every enabled directory, in the order of the file (borrowed). */
const GPtrArray *sd_registry_directories(const sd_registry *registry);

const char *sd_directory_name(const sd_directory *directory);
const char *sd_directory_type(const sd_directory *directory);
const char *sd_directory_superuser_group(const sd_directory *directory);
const sd_cache_settings *sd_directory_cache_settings(
    const sd_directory *directory);
/* The connection pool of a directory that has one (sql), else NULL. */
struct sd_pool *sd_directory_pool(const sd_directory *directory);
/* A one-line summary for "sasldir check-config" (free it). */
char *sd_directory_describe(const sd_directory *directory);

/*
 * The principal NAME, resolved (groups, superuser, effective quota).
 * When the directory has a cache the answer may come from it, and the
 * principal then never carries secrets (hit or miss, so the answer does
 * not depend on the cache's state): the cache keeps none.  PRINCIPAL
 * may be NULL to ask only whether NAME exists.
 */
sd_result sd_directory_lookup(sd_directory *directory, const char *name,
                              sd_principal **principal, GError **error);
/* The same, always from the directory and with the stored secrets (for
 * "lookup --show-secret" and publishing plaintext secrets). */
sd_result sd_directory_lookup_uncached(sd_directory *directory,
                                       const char *name,
                                       sd_principal **principal,
                                       GError **error);

/*
 * Checks PASSWORD for NAME.  SD_OK when one of the principal's secrets
 * matches (then *PRINCIPAL, if PRINCIPAL is not NULL, is the resolved
 * principal, without secrets when the directory has a cache);
 * SD_MISMATCH, SD_NOTFOUND, SD_TEMPFAIL or SD_ERROR otherwise.  The
 * password is never logged or kept (the cache keeps an HMAC of name and
 * password under a per-process random key).
 */
sd_result sd_directory_authenticate(sd_directory *directory,
                                    const char *name, const char *password,
                                    sd_principal **principal,
                                    GError **error);

/*
 * The answer sd_directory_authenticate would give from the credential
 * cache alone, without asking the directory or verifying a hash: true
 * with *RESULT (SD_OK, SD_MISMATCH or SD_NOTFOUND) and, unless SD_OK,
 * *ERROR, when the cache holds an answer for NAME and PASSWORD; false
 * when it does not or the directory has no cache (nothing counted as a
 * miss: the caller then calls sd_directory_authenticate).  Takes
 * microseconds, so a server may call it where it must not block.
 */
bool sd_directory_authenticate_cached(sd_directory *directory,
                                      const char *name, const char *password,
                                      sd_result *result, GError **error);

/*
 * Is ADDRESS deliverable here (a mailbox, an alias or a list), after
 * subaddressing and, failing that, catch-all?  *OWNER (may be NULL)
 * receives the principal owning the address, or NULL for a list.
 * *MATCHED (may be NULL) receives the address form that matched.
 */
sd_result sd_directory_rcpt(sd_directory *directory, const char *address,
                            char **owner, char **matched, GError **error);

sd_result sd_directory_is_local_domain(sd_directory *directory,
                                       const char *domain, GError **error);

/* The primary addresses of the members of the list ADDRESS. */
sd_result sd_directory_expand(sd_directory *directory, const char *address,
                              GPtrArray **members, GError **error);

/* Primary addresses containing PARTIAL (SMTP VRFY). */
sd_result sd_directory_verify(sd_directory *directory, const char *partial,
                              GPtrArray **matches, GError **error);

/*
 * The directory's lookup cache ([directory."<name>".cache]; see
 * sd_cache.h for statistics and flushing), or NULL when it has none.
 * lookup, authenticate, rcpt and is_local_domain go through it; expand
 * and verify do not.
 */
sd_cache *sd_directory_cache(sd_directory *directory);

/*
 * Drops what the cache holds for the principal NAME: its principal
 * entry and all its credential entries, positive and negative.  Returns
 * how many.  A writer (the internal directory) calls it for every name
 * a write touches, so a new or reset password works at once; a write
 * that changes a group or addresses also flushes the principal,
 * credentials and rcpt kinds whole (sd_cache_flush), since resolved
 * members and recipients depend on it.
 */
uint64_t sd_directory_cache_flush_name(sd_directory *directory,
                                       const char *name);

/*
 * Drops entries of KIND (SD_CACHE_ANY_KIND: every kind) and returns how
 * many: all of them when NAME is NULL, else those of NAME, which is put
 * into each kind's key form (a principal name casefolded, an address or
 * domain normalized) exactly as the cached operations make their keys.
 */
uint64_t sd_directory_cache_flush(sd_directory *directory,
                                  sd_cache_kind kind, const char *name);

/* ------------------------------------------------------------------ */
/* Writes (the internal directory; see README "Internal directory")    */
/* ------------------------------------------------------------------ */

/*
 * Every write is one SQLite transaction, atomic and durable.  Results:
 * SD_OK; SD_TEMPFAIL when the store stays locked past its busy timeout;
 * SD_NOTFOUND when a named principal (or label, address, domain) does
 * not exist; SD_ERROR naming the conflict (e.g. "address
 * bob@example.org already belongs to principal robert") or the invalid
 * value, or "directory X (type sql) is read-only".  After success the
 * writing process flushes the cache entries the write touched; other
 * processes see the change when their own entries expire.
 */
bool sd_directory_is_writable(const sd_directory *directory);

typedef enum sd_store_mode {
    SD_STORE_CREATE,   /* the name must not exist yet */
    SD_STORE_REPLACE,  /* the name must exist; every field is replaced */
    SD_STORE_UPSERT,   /* create or replace */
} sd_store_mode;

/* Stores PRINCIPAL as given: type, description, secrets verbatim (any
 * scheme sd_secret verifies; import keeps hashes unchanged),
 * auth_passwords, emails (primary first), lists, member_of, quota. */
sd_result sd_directory_store_principal(sd_directory *directory,
                                       const sd_principal *principal,
                                       sd_store_mode mode, GError **error);
/* The same for many principals in ONE transaction (import batches); on
 * failure nothing of the batch is written and *ERROR names the
 * principal. */
sd_result sd_directory_store_principals(sd_directory *directory,
                                        GPtrArray *principals,
                                        sd_store_mode mode, GError **error);
/*
 * The same, and first adds the local domains DOMAINS (char*; NULL or
 * empty: none) in that same transaction, so that a failure leaves
 * neither domains nor principals behind (import --strict).  On failure
 * *FAILED (may be NULL) is the index in PRINCIPALS of the principal that
 * was refused, or PRINCIPALS->len when none is to blame (an invalid
 * domain, a busy store).
 *
 * MERGE (may be NULL; only with SD_STORE_UPSERT): for a principal whose
 * name is already stored, what is written is MERGE's result for the
 * principal as stored (unresolved, with its secrets) and the one given
 * (checked and normalized), read and written in the same transaction, so
 * that a change another process makes to a field the given principal
 * does not set is kept (import).  MERGE runs with the write lock held:
 * it must be quick and must not touch the directory.
 */
typedef sd_principal *(*sd_principal_merge_fn)(void *context, guint index,
                                               const sd_principal *stored,
                                               const sd_principal *given);
sd_result sd_directory_store_batch(sd_directory *directory,
                                   GPtrArray *domains, GPtrArray *principals,
                                   sd_store_mode mode,
                                   sd_principal_merge_fn merge,
                                   void *merge_context, guint *failed,
                                   GError **error);

/*
 * Changes the principal NAME in place: reads it as stored (with its
 * secrets and SCRAM credentials, unresolved), lets EDIT change it, checks
 * and normalizes the result as sd_directory_store_principal() does, and
 * writes it back, all in one transaction, so that no other write (a
 * "passwd" or "alias add" of another process) can come between the read
 * and the write and be lost.  EDIT may change every field but the name;
 * it runs with the store's write lock held, so it must be quick and must
 * not write to the directory itself.  Its failure (with *ERROR set)
 * rolls everything back and is returned.  On success *STORED (may be
 * NULL) receives the principal as written, and the writing process's
 * cache entries are flushed as after any write.
 */
typedef sd_result (*sd_principal_edit_fn)(void *context,
                                          sd_principal *principal,
                                          GError **error);
sd_result sd_directory_edit_principal(sd_directory *directory,
                                      const char *name,
                                      sd_principal_edit_fn edit,
                                      void *context, sd_principal **stored,
                                      GError **error);
sd_result sd_directory_delete_principal(sd_directory *directory,
                                        const char *name, GError **error);

/*
 * Hashes PASSWORD with SCHEME (NULL: the [secret] default-scheme) and
 * stores it.  LABEL NULL: the principal's main password; it replaces the
 * other unlabelled secrets unless KEEP_OTHERS, and also replaces the
 * SCRAM-SHA-1 and SCRAM-SHA-256 auth_passwords (iterations from
 * [secret.scram], salt from the CSPRNG).  LABEL set: an app password
 * "$app$LABEL$hash", replacing one with the same label.  The copies of
 * the password this makes are wiped.
 */
sd_result sd_directory_set_password(sd_directory *directory, const char *name,
                                    const char *password, const char *scheme,
                                    const char *label, bool keep_others,
                                    GError **error);
/* Removes the app password LABEL (SD_NOTFOUND if there is none). */
sd_result sd_directory_remove_secret(sd_directory *directory,
                                     const char *name, const char *label,
                                     GError **error);

sd_result sd_directory_add_member(sd_directory *directory, const char *group,
                                  const char *member, GError **error);
sd_result sd_directory_remove_member(sd_directory *directory,
                                     const char *group, const char *member,
                                     GError **error);
sd_result sd_directory_add_email(sd_directory *directory, const char *name,
                                 const char *address, GError **error);
sd_result sd_directory_remove_email(sd_directory *directory, const char *name,
                                    const char *address, GError **error);
/* Mailing lists: MEMBER (a principal name) receives mail for list
 * ADDRESS. */
sd_result sd_directory_add_list_member(sd_directory *directory,
                                       const char *address,
                                       const char *member, GError **error);
sd_result sd_directory_remove_list_member(sd_directory *directory,
                                          const char *address,
                                          const char *member,
                                          GError **error);
sd_result sd_directory_add_domain(sd_directory *directory, const char *domain,
                                  GError **error);
sd_result sd_directory_remove_domain(sd_directory *directory,
                                     const char *domain, GError **error);

/* Reads (on types whose driver can enumerate; SD_ERROR "cannot
 * enumerate" otherwise).  Sorted by domain / name. */
sd_result sd_directory_list_domains(sd_directory *directory,
                                    GPtrArray **domains, GError **error);
/* Every principal as stored (uncached, with secrets and auth_passwords),
 * unresolved; for "principal list" and "export". */
sd_result sd_directory_list_principals(sd_directory *directory,
                                       GPtrArray **principals,
                                       GError **error);

G_END_DECLS

#endif
