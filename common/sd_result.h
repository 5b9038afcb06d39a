/*
 * sd_result.h - the outcome of every directory operation.
 *
 * Offers: sd_result, the five answers a directory can give, and
 * SD_ERROR_DOMAIN, the GError domain whose codes are sd_result values,
 * so one GError carries both the answer and the administrator-readable
 * reason (file, line, key, backend, host).
 *
 * The distinction that matters most: SD_TEMPFAIL (the backend could not
 * answer) is never turned into SD_MISMATCH or SD_NOTFOUND (a definite
 * answer), so a directory that is down never looks like a wrong password.
 */
#ifndef SD_RESULT_H
#define SD_RESULT_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum sd_result {
    SD_OK = 0,      /* yes: found, matched, deliverable, local */
    SD_NOTFOUND,    /* no such principal, address or domain */
    SD_MISMATCH,    /* the principal exists; the password is wrong */
    SD_TEMPFAIL,    /* backend unreachable, timed out, pool exhausted */
    SD_ERROR,       /* configuration error or malformed data */
} sd_result;

#define SD_ERROR_DOMAIN (sd_error_quark())
GQuark sd_error_quark(void);

/* "ok", "not found", "mismatch", "temporary failure", "error". */
const char *sd_result_name(sd_result result);

/*
 * Sets *ERROR (when ERROR is not NULL) to a GError in SD_ERROR_DOMAIN
 * with code RESULT and the formatted message, and returns RESULT, so a
 * failing function can end with "return sd_fail(error, SD_ERROR, ...)".
 */
sd_result sd_fail(GError **error, sd_result result, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

/*
 * The result a GError stands for: its code when it is in SD_ERROR_DOMAIN,
 * SD_ERROR for any other domain (a configuration or parse error).
 */
sd_result sd_result_of_error(const GError *error);

/* Process exit status the sasldir tools use for RESULT: 0, 1, 2 or 75. */
int sd_result_exit_status(sd_result result);

G_END_DECLS

#endif
