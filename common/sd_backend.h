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
} sd_backend_ops;

extern const sd_backend_ops sd_backend_memory;
extern const sd_backend_ops sd_backend_sql;

G_END_DECLS

#endif
