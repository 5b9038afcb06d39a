/*
 * server.c - the libsasl2 server plugin offering the mechanisms PLAIN
 * (RFC 4616) and LOGIN (the de-facto "Username:" / "Password:"
 * exchange), verifying through libsasldir.
 *
 * Inputs: the client's messages; the directory chosen by the options
 * (sasl_glue.h).  Results: SASL_OK with the authentication id (and an
 * authorization id, which libsasl2 then checks with sasl_authorize or
 * its proxy policy), or the code sd_result_to_sasl() gives for what the
 * directory answered: a directory that cannot be reached gives
 * SASL_UNAVAIL, never SASL_BADAUTH.  SASL_BADPROT for malformed input:
 * PLAIN without exactly two NULs, with an empty authcid or password, or
 * an authcid or authzid over NAME_MAX_LEN bytes (a zero-length message
 * too: libsasl2 sends the empty challenge when there is no initial
 * response); LOGIN with an empty user name or password, a NUL in either,
 * or a name over NAME_MAX_LEN.  A password over the library's
 * SD_PASSWORD_MAX is simply wrong (SASL_BADAUTH).
 *
 * Ordering against Debian's stock libplain / liblogin: libsasl2 keeps
 * both, sorted by mech_compare() (lib/server.c), and sasl_server_start
 * takes the first of a name.  mech_compare looks at the security flags,
 * channel binding and max_ssf, and then at the hash strength in the top
 * bits of security_flags, which nothing else in libsasl2 reads.  The
 * mechanisms here have the stock ones' security flags and features, plus
 * the smallest non-zero hash strength, so they sort first whatever the
 * load order, and claim no security property they lack.
 *
 * Every buffer this file fills with a password is wiped before it is
 * freed; nothing here logs one.
 */
#include "config.h"

#include <string.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "sasl_glue.h"
#include "sd_directory.h"
#include "sd_realm.h"
#include "sd_sasl.h"
#include "sd_secret.h"

/* Only for ordering against the stock plugins (see the comment above). */
#define ORDER_BITS SASL_SET_HASH_STRENGTH_BITS(8)

/* The longest name or password a client may send (RFC 4616 allows 255
 * octets per field; passwords get the library's limit). */
#define NAME_MAX_LEN 1024

static sd_glue *server_glue;
static unsigned server_glue_users;

typedef enum login_state {
    LOGIN_START = 0,
    LOGIN_WANT_NAME,
    LOGIN_WANT_PASSWORD,
} login_state;

typedef struct mech_context {
    login_state login;
    char *login_name;           /* LOGIN: the user name received */
} mech_context;

static int
mech_new(void *glob_context, sasl_server_params_t *sparams,
         const char *challenge, unsigned challen, void **conn_context)
{
    (void) glob_context;
    (void) challenge;
    (void) challen;
    if (conn_context == NULL) {
        sparams->utils->seterror(sparams->utils->conn, 0,
                                 "sasldir: no connection context");
        return SASL_BADPARAM;
    }
    *conn_context = g_new0(mech_context, 1);
    return SASL_OK;
}

static void
mech_dispose(void *conn_context, const sasl_utils_t *utils)
{
    mech_context *context = conn_context;

    (void) utils;
    if (context == NULL)
        return;
    g_free(context->login_name);
    g_free(context);
}

static void
mech_free(void *glob_context, const sasl_utils_t *utils)
{
    (void) glob_context;
    (void) utils;
    if (server_glue_users > 0 && --server_glue_users == 0)
        g_clear_pointer(&server_glue, sd_glue_free);
}

static void
set_done(sasl_out_params_t *oparams)
{
    oparams->doneflag = 1;
    oparams->mech_ssf = 0;
    oparams->maxoutbuf = 0;
    oparams->encode_context = NULL;
    oparams->encode = NULL;
    oparams->decode_context = NULL;
    oparams->decode = NULL;
    oparams->param_version = 0;
}

/*
 * Verifies PASSWORD for the canonical authentication id in OPARAMS
 * through the directory, with the realm rule (sd_realm.h).
 */
static int
verify(const char *mech, sasl_server_params_t *sparams,
       sasl_out_params_t *oparams, const char *password)
{
    const sasl_utils_t *utils = sparams->utils;
    GError *error = NULL;
    sd_directory *directory;
    sd_result result;
    int code;

    directory = sd_glue_directory(server_glue, sparams, &code);
    if (directory == NULL) {
        sd_glue_done();
        utils->seterror(utils->conn, SASL_NOLOG,
                        "sasldir: no directory (see the log)");
        return code;
    }
    result = sd_realm_authenticate(directory, oparams->authid,
                                   sd_glue_realm(sparams),
                                   sd_glue_fqdn(sparams), password, NULL,
                                   &error);
    code = sd_result_to_sasl(result, 0);
    if (result != SD_OK) {
        sd_glue_log(utils, result == SD_TEMPFAIL || result == SD_ERROR
                        ? SASL_LOG_ERR : SASL_LOG_NOTE,
                    "%s: authentication of '%s' in directory %s: %s (%s)",
                    mech, oparams->authid, sd_directory_name(directory),
                    sd_result_name(result),
                    error != NULL ? error->message : "no detail");
        utils->seterror(utils->conn, SASL_NOLOG,
                        "Password verification failed");
    }
    g_clear_error(&error);
    sd_glue_done();
    return code;
}

/*
 * Splits MESSAGE (LEN bytes) into exactly three NUL-separated fields.
 */
static bool
plain_split(const char *message, unsigned len, const char **authzid,
            const char **authcid, const char **password,
            unsigned *password_len)
{
    const char *end = message + len;
    const char *first = memchr(message, '\0', len);
    const char *second;

    if (first == NULL)
        return false;
    second = memchr(first + 1, '\0', (size_t) (end - first - 1));
    if (second == NULL || memchr(second + 1, '\0',
                                 (size_t) (end - second - 1)) != NULL)
        return false;
    *authzid = message;
    *authcid = first + 1;
    *password = second + 1;
    *password_len = (unsigned) (end - second - 1);
    return true;
}

static int
plain_step(void *conn_context, sasl_server_params_t *sparams,
           const char *clientin, unsigned clientinlen,
           const char **serverout, unsigned *serveroutlen,
           sasl_out_params_t *oparams)
{
    const sasl_utils_t *utils = sparams->utils;
    const char *authzid, *authcid, *password;
    unsigned password_len, flags;
    char *copy;
    int result;

    /*
     * Without an initial response, libsasl2 itself sends RFC 4616's
     * empty challenge (SASL_FEAT_WANT_CLIENT_FIRST) and this step gets
     * the answer.  A zero-length message (an initial response of "=", or
     * an empty answer) is malformed, as for the stock PLAIN.
     */
    (void) conn_context;
    *serverout = NULL;
    *serveroutlen = 0;
    if (clientin == NULL
        || !plain_split(clientin, clientinlen, &authzid, &authcid,
                        &password, &password_len)
        || *authcid == '\0' || strlen(authcid) > NAME_MAX_LEN
        || strlen(authzid) > NAME_MAX_LEN || password_len == 0) {
        utils->seterror(utils->conn, 0,
                        "sasldir PLAIN: malformed message (want "
                        "authzid NUL authcid NUL password)");
        return SASL_BADPROT;
    }
    /* An authorization id equal to the authentication id (or none) is
     * the same identity; any other is checked by libsasl2 afterwards. */
    flags = SASL_CU_AUTHID | SASL_CU_EXTERNALLY_VERIFIED;
    if (*authzid == '\0' || strcmp(authzid, authcid) == 0)
        flags |= SASL_CU_AUTHZID;
    result = sparams->canon_user(utils->conn, authcid, 0, flags, oparams);
    if (result != SASL_OK)
        return result;

    copy = g_strndup(password, password_len);
    result = verify("PLAIN", sparams, oparams, copy);
    sd_memwipe(copy, password_len);
    g_free(copy);
    if (result != SASL_OK)
        return result;

    if (!(flags & SASL_CU_AUTHZID)) {
        result = sparams->canon_user(utils->conn, authzid, 0,
                                     SASL_CU_AUTHZID, oparams);
        if (result != SASL_OK)
            return result;
    }
    set_done(oparams);
    return SASL_OK;
}

static int
login_step(void *conn_context, sasl_server_params_t *sparams,
           const char *clientin, unsigned clientinlen,
           const char **serverout, unsigned *serveroutlen,
           sasl_out_params_t *oparams)
{
    static const char username_prompt[] = "Username:";
    static const char password_prompt[] = "Password:";
    mech_context *context = conn_context;
    const sasl_utils_t *utils = sparams->utils;
    char *copy;
    int result;

    *serverout = NULL;
    *serveroutlen = 0;
    switch (context->login) {
    case LOGIN_START:
        if (clientinlen == 0) {
            context->login = LOGIN_WANT_NAME;
            *serverout = username_prompt;
            *serveroutlen = sizeof username_prompt - 1;
            return SASL_CONTINUE;
        }
        /* A client that sends the user name as initial response. */
        /* fall through */
    case LOGIN_WANT_NAME:
        if (clientin == NULL || clientinlen == 0
            || clientinlen > NAME_MAX_LEN
            || memchr(clientin, '\0', clientinlen) != NULL) {
            utils->seterror(utils->conn, 0,
                            "sasldir LOGIN: malformed user name");
            return SASL_BADPROT;
        }
        context->login_name = g_strndup(clientin, clientinlen);
        context->login = LOGIN_WANT_PASSWORD;
        *serverout = password_prompt;
        *serveroutlen = sizeof password_prompt - 1;
        return SASL_CONTINUE;
    case LOGIN_WANT_PASSWORD:
        break;
    }
    if (clientin == NULL || clientinlen == 0
        || memchr(clientin, '\0', clientinlen) != NULL) {
        utils->seterror(utils->conn, 0, "sasldir LOGIN: malformed password");
        return SASL_BADPROT;
    }
    result = sparams->canon_user(utils->conn, context->login_name, 0,
                                 SASL_CU_AUTHID | SASL_CU_AUTHZID
                                 | SASL_CU_EXTERNALLY_VERIFIED, oparams);
    if (result != SASL_OK)
        return result;
    copy = g_strndup(clientin, clientinlen);
    result = verify("LOGIN", sparams, oparams, copy);
    sd_memwipe(copy, clientinlen);
    g_free(copy);
    if (result != SASL_OK)
        return result;
    set_done(oparams);
    return SASL_OK;
}

static sasl_server_plug_t server_mechs[] = {
    {
        .mech_name = "PLAIN",
        .max_ssf = 0,
        .security_flags = SASL_SEC_NOANONYMOUS | SASL_SEC_PASS_CREDENTIALS
                          | ORDER_BITS,
        .features = SASL_FEAT_WANT_CLIENT_FIRST | SASL_FEAT_ALLOWS_PROXY,
        .glob_context = NULL,
        .mech_new = mech_new,
        .mech_step = plain_step,
        .mech_dispose = mech_dispose,
        .mech_free = mech_free,
    },
    {
        .mech_name = "LOGIN",
        .max_ssf = 0,
        .security_flags = SASL_SEC_NOANONYMOUS | SASL_SEC_PASS_CREDENTIALS
                          | ORDER_BITS,
        .features = 0,
        .glob_context = NULL,
        .mech_new = mech_new,
        .mech_step = login_step,
        .mech_dispose = mech_dispose,
        .mech_free = mech_free,
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
    if (max_version < SASL_SERVER_PLUG_VERSION) {
        sd_glue_log(utils, SASL_LOG_ERR,
                    "server plugin: libsasl2 offers version %d, need %d",
                    max_version, SASL_SERVER_PLUG_VERSION);
        return SASL_BADVERS;
    }
    if (server_glue == NULL)
        server_glue = sd_glue_new(utils, "sasldir");
    server_glue_users = G_N_ELEMENTS(server_mechs);
    *out_version = SASL_SERVER_PLUG_VERSION;
    *pluglist = server_mechs;
    *plugcount = (int) G_N_ELEMENTS(server_mechs);
    return SASL_OK;
}
