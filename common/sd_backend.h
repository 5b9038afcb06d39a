/*
 * sd_backend.h - the driver interface every directory type implements.
 *
 * Private to libsasldir.  One sd_backend_ops per directory type, in the
 * spirit of Dovecot's passdb/userdb drivers.  Drivers only fetch: they do
 * no secret verification, caching, group or quota resolution, or address
 * mapping; sd_directory.c does those once for all of them.
 *
 * Inputs drivers can rely on: names are valid UTF-8 of at most
 * SD_NAME_MAX bytes without control characters; addresses and domains
 * are normalized (sd_address.h).  Drivers answer SD_OK / SD_NOTFOUND for
 * definite answers, SD_TEMPFAIL when their backend cannot answer, and
 * SD_ERROR for malformed data or configuration, with a message in *ERROR.
 */
#ifndef SD_BACKEND_H
#define SD_BACKEND_H

#include "sd_config.h"
#include "sd_directory.h"

G_BEGIN_DECLS

typedef struct sd_backend_ops {
    const char *type;   /* the value of type = "..." */

    /*
     * Reads the driver's own keys of SECTION (taking them: unknown keys
     * are reported afterwards) and prepares *STATE.  Configuration
     * problems are recorded with sd_cfg_error() and give SD_ERROR with no
     * GError; any other failure sets *ERROR.
     */
    sd_result (*open)(sd_directory *directory, sd_cfg_table *section,
                      void **state, GError **error);
    void (*close)(void *state);
    /* A short summary for check-config (free it). */
    char *(*describe)(void *state);

    /* The principal as stored, not yet resolved; a copy the caller owns. */
    sd_result (*lookup)(void *state, const char *name,
                        sd_principal **principal, GError **error);
    /*
     * For backends that cannot hand out a secret (remote servers, LDAP
     * bind): verify NAME/PASSWORD themselves.  NULL for the others.
     */
    sd_result (*authenticate)(void *state, const char *name,
                              const char *password, sd_principal **principal,
                              GError **error);
    /* Is ADDRESS exactly a mailbox, alias or list here?  *OWNER as in
     * sd_directory_rcpt(); OWNER may be NULL. */
    sd_result (*rcpt)(void *state, const char *address, char **owner,
                      GError **error);
    sd_result (*is_local_domain)(void *state, const char *domain,
                                 GError **error);
    /* Appends the members' primary addresses of list ADDRESS. */
    sd_result (*expand)(void *state, const char *address, GPtrArray *members,
                        GError **error);
    /* Appends the primary addresses containing PARTIAL (lowercased). */
    sd_result (*verify)(void *state, const char *partial, GPtrArray *matches,
                        GError **error);
    /* The connection pool of a backend that has one, else NULL (the
     * member itself may be NULL). */
    struct sd_pool *(*pool)(void *state);

    /*
     * Enumeration (NULL when the driver cannot enumerate): appends every
     * principal as stored (sd_principal*, with secrets and
     * auth_passwords, sorted by name) / every local domain (char*,
     * sorted).
     */
    sd_result (*list_principals)(void *state, GPtrArray *principals,
                                 GError **error);
    sd_result (*list_domains)(void *state, GPtrArray *domains,
                              GError **error);

    /*
     * Writes: NULL for read-only types (either all are set or none).
     * Inputs are validated and normalized by sd_directory.c; each call is
     * one transaction, and the driver enforces uniqueness (names and
     * addresses, case-insensitively), answering SD_ERROR naming the
     * conflicting principal, and SD_TEMPFAIL when its store is busy.
     */
    /*
     * Adds the local domains DOMAINS (char*, normalized; may be empty)
     * and stores PRINCIPALS (sd_principal*), all in one transaction, as
     * sd_directory_store_batch; on failure *FAILED is the index of the
     * principal refused, or PRINCIPALS->len when no principal is to blame
     * (a domain, the store itself).  MERGE (may be NULL): for a name
     * already stored, read it in the transaction and write
     * MERGE(CONTEXT, index, stored, given) instead of the given one.
     */
    sd_result (*store_principals)(void *state, GPtrArray *domains,
                                  GPtrArray *principals, sd_store_mode mode,
                                  sd_principal *(*merge)(
                                      void *context, guint index,
                                      const sd_principal *stored,
                                      const sd_principal *given),
                                  void *merge_context, guint *failed,
                                  GError **error);
    /*
     * Reads NAME as stored, lets EDIT change it (EDIT's failure rolls
     * back and is returned), and writes it back, in one transaction; the
     * principal EDIT sees is a copy it may change freely, but not
     * rename.  NOWAIT: when the store is busy answer SD_TEMPFAIL at once
     * instead of after the busy timeout (for writes no caller waits for,
     * such as a rehash after a login).
     */
    sd_result (*store_update)(void *state, const char *name,
                              sd_result (*edit)(void *context,
                                                sd_principal *principal,
                                                GError **error),
                              void *context, bool nowait, GError **error);
    sd_result (*store_delete)(void *state, const char *name,
                              GError **error);
    /* Adds (ADD) or removes a local domain; removing an unknown one is
     * SD_NOTFOUND, adding a known one SD_OK. */
    sd_result (*store_domain)(void *state, const char *domain, bool add,
                              GError **error);
} sd_backend_ops;

extern const sd_backend_ops sd_backend_memory;
extern const sd_backend_ops sd_backend_sql;
#ifdef HAVE_SQLITE
extern const sd_backend_ops sd_backend_internal;
/* The internal directory's schema version, and the DDL that takes a
 * database from VERSION - 1 to VERSION (NULL beyond), for the tests that
 * build an old database and open it. */
int sd_internal_schema_version(void);
const char *sd_internal_schema_sql(int version);
#endif

G_END_DECLS

#endif
