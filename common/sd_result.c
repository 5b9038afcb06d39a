/*
 * sd_result.c - result names, the error domain, exit statuses.
 */
#include "config.h"

#include <stdarg.h>

#include "sd_result.h"

G_DEFINE_QUARK(sd-error-quark, sd_error)

const char *
sd_result_name(sd_result result)
{
    switch (result) {
    case SD_OK:       return "ok";
    case SD_NOTFOUND: return "not found";
    case SD_MISMATCH: return "mismatch";
    case SD_TEMPFAIL: return "temporary failure";
    case SD_ERROR:    return "error";
    }
    return "error";
}

sd_result
sd_fail(GError **error, sd_result result, const char *format, ...)
{
    if (error != NULL) {
        va_list ap;
        va_start(ap, format);
        g_clear_error(error);
        *error = g_error_new_valist(SD_ERROR_DOMAIN, (gint)result, format, ap);
        va_end(ap);
    }
    return result;
}

sd_result
sd_result_of_error(const GError *error)
{
    if (error == NULL)
        return SD_ERROR;
    if (error->domain == SD_ERROR_DOMAIN && error->code >= SD_OK
        && error->code <= SD_ERROR)
        return (sd_result)error->code;
    return SD_ERROR;
}

int
sd_result_exit_status(sd_result result)
{
    /* 75 is EX_TEMPFAIL of <sysexits.h>, which Postfix and Sendmail
     * already treat as "try again later". */
    switch (result) {
    case SD_OK:       return 0;
    case SD_NOTFOUND:
    case SD_MISMATCH: return 1;
    case SD_TEMPFAIL: return 75;
    case SD_ERROR:    return 2;
    }
    return 2;
}
