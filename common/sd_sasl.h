/*
 * sd_sasl.h - the one place where sasldir's results meet libsasl2's.
 *
 * Offers: sd_result_to_sasl(), the mapping of DESIGN.md: SD_OK ->
 * SASL_OK, SD_NOTFOUND -> SASL_NOUSER (SASL_BADAUTH where the caller
 * must not learn which names exist), SD_MISMATCH -> SASL_BADAUTH,
 * SD_TEMPFAIL -> SASL_UNAVAIL (SASL_TRYAGAIN where the application
 * supports it), SD_ERROR -> SASL_FAIL.  Nothing else in common/ includes
 * a SASL header: the plugins translate, they do not decide.
 */
#ifndef SD_SASL_H
#define SD_SASL_H

#include "sd_result.h"

G_BEGIN_DECLS

enum {
    SD_SASL_HIDE_NOUSER = 1 << 0,   /* SD_NOTFOUND -> SASL_BADAUTH */
    SD_SASL_TRYAGAIN = 1 << 1,      /* SD_TEMPFAIL -> SASL_TRYAGAIN */
};

int sd_result_to_sasl(sd_result result, unsigned flags);

G_END_DECLS

#endif
