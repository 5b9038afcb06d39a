/*
 * sd_sasl.c - sasldir results as libsasl2 result codes (see sd_sasl.h).
 */
#include "config.h"

#include <sasl/sasl.h>

#include "sd_sasl.h"

int
sd_result_to_sasl(sd_result result, unsigned flags)
{
    switch (result) {
    case SD_OK:
        return SASL_OK;
    case SD_NOTFOUND:
        return (flags & SD_SASL_HIDE_NOUSER) ? SASL_BADAUTH : SASL_NOUSER;
    case SD_MISMATCH:
        return SASL_BADAUTH;
    case SD_TEMPFAIL:
        return (flags & SD_SASL_TRYAGAIN) ? SASL_TRYAGAIN : SASL_UNAVAIL;
    case SD_ERROR:
        return SASL_FAIL;
    }
    return SASL_FAIL;
}
