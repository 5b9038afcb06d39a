/*
 * sasl-testmech.c - a server mechanism for the tests only,
 * "X-SASLDIR-CANON", that makes libsasl2 run the auxprop lookup with
 * the flags a mechanism may ask for, which no stock mechanism and no
 * application can: SASL_CU_OVERRIDE in particular, which libsasl2
 * (lib/canonusr.c) turns into SASL_AUXPROP_OVERRIDE.
 *
 * The client's one message is "MODE NUL NAME": MODE "keep" or
 * "override".  The mechanism first sets every requested property that
 * has no value to "preset-by-testmech", as another auxprop plugin
 * would have, then canonicalizes NAME as authentication and
 * authorization id (externally verified: no password is involved) with
 * SASL_CU_OVERRIDE when MODE is "override", and succeeds.  The
 * application (tests/sasl-harness) then prints the properties: the
 * auxprop "sasldir" must leave the preset values alone without the
 * flag, and erase and replace them with it.
 *
 * Built into tests/saslmech/ only (never installed); the tests add that
 * directory to SASL_PATH when they want it.
 */
#include "config.h"

#include <string.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#define PRESET "preset-by-testmech"

static int
canon_new(void *glob_context, sasl_server_params_t *sparams,
          const char *challenge, unsigned challen, void **conn_context)
{
    (void) glob_context;
    (void) sparams;
    (void) challenge;
    (void) challen;
    *conn_context = NULL;
    return SASL_OK;
}

/* What another auxprop plugin would have filled: every empty property. */
static void
preset_properties(sasl_server_params_t *sparams)
{
    const struct propval *props = sparams->utils->prop_get(sparams->propctx);

    for (size_t i = 0; props != NULL && props[i].name != NULL; i++)
        if (props[i].values == NULL)
            sparams->utils->prop_set(sparams->propctx, props[i].name,
                                     PRESET, 0);
}

static int
canon_step(void *conn_context, sasl_server_params_t *sparams,
           const char *clientin, unsigned clientinlen,
           const char **serverout, unsigned *serveroutlen,
           sasl_out_params_t *oparams)
{
    const char *nul = clientin != NULL
        ? memchr(clientin, '\0', clientinlen) : NULL;
    unsigned flags = SASL_CU_AUTHID | SASL_CU_AUTHZID
                     | SASL_CU_EXTERNALLY_VERIFIED;
    size_t mode_len;
    int result;

    (void) conn_context;
    *serverout = NULL;
    *serveroutlen = 0;
    if (nul == NULL || nul + 1 == clientin + clientinlen)
        return SASL_BADPROT;
    mode_len = (size_t) (nul - clientin);
    if (mode_len == 8 && memcmp(clientin, "override", 8) == 0)
        flags |= SASL_CU_OVERRIDE;
    else if (mode_len != 4 || memcmp(clientin, "keep", 4) != 0)
        return SASL_BADPROT;
    preset_properties(sparams);
    result = sparams->canon_user(sparams->utils->conn, nul + 1,
                                 (unsigned) (clientin + clientinlen - nul - 1),
                                 flags, oparams);
    if (result != SASL_OK)
        return result;
    oparams->doneflag = 1;
    oparams->mech_ssf = 0;
    oparams->maxoutbuf = 0;
    oparams->encode = NULL;
    oparams->decode = NULL;
    oparams->param_version = 0;
    return SASL_OK;
}

static void
canon_dispose(void *conn_context, const sasl_utils_t *utils)
{
    (void) conn_context;
    (void) utils;
}

static sasl_server_plug_t canon_mech[] = {
    {
        .mech_name = "X-SASLDIR-CANON",
        .max_ssf = 0,
        .security_flags = SASL_SEC_NOANONYMOUS,
        .features = SASL_FEAT_WANT_CLIENT_FIRST,
        .mech_new = canon_new,
        .mech_step = canon_step,
        .mech_dispose = canon_dispose,
    },
};

int sasl_server_plug_init(const sasl_utils_t *utils, int max_version,
                          int *out_version, sasl_server_plug_t **pluglist,
                          int *plugcount);

int
sasl_server_plug_init(const sasl_utils_t *utils, int max_version,
                      int *out_version, sasl_server_plug_t **pluglist,
                      int *plugcount)
{
    (void) utils;
    if (max_version < SASL_SERVER_PLUG_VERSION)
        return SASL_BADVERS;
    *out_version = SASL_SERVER_PLUG_VERSION;
    *pluglist = canon_mech;
    *plugcount = 1;
    return SASL_OK;
}
