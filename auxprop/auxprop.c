/*
 * auxprop.c - the libsasl2 auxiliary-property plugin "sasldir".
 *
 * Offers: auxprop_lookup, which publishes what a directory knows about
 * a name under the properties an application or mechanism requested:
 *   userPassword, cmusaslsecretPLAIN   the stored secret, only when it
 *                                      is plaintext (never a hash)
 *   authPassword                       SCRAM credentials, RFC 5803 form
 *                                      (neither of these for a disabled
 *                                      account or one with TOTP)
 *   mail                               every address, primary first
 *   memberOf                           every group, direct ones first
 *   quota                              effective quota in bytes
 *   description, superuser             ("true" / "false")
 * and auxprop_store, which lets saslpasswd2 create, re-password and
 * delete principals of a writable (internal) directory: libsasldir
 * hashes the password with the configured default scheme and derives
 * the SCRAM credentials.  A store creates a missing principal with or
 * without saslpasswd2's -c: libsasl2 2.1.28 does not pass SASL_SET_CREATE
 * to auxprop_store (lib/server.c, sasl_setpass), and sasldb, the stock
 * auxprop, creates too.
 *
 * Inputs: the propctx of the connection, the flags SASL_AUXPROP_AUTHZID
 * (properties without '*', of the authorization id) and
 * SASL_AUXPROP_OVERRIDE (replace values already there; without it a
 * property another plugin filled is left alone), names per the realm
 * rule (sd_realm.h).
 *
 * Results: SASL_OK; SASL_NOUSER for an unknown name; SASL_UNAVAIL when
 * the directory cannot be reached; SASL_FAIL for configuration trouble
 * or a store on a read-only directory (logged with the reason).
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

static sd_glue *auxprop_glue;

/* The properties this plugin can fill, without the leading '*'. */
typedef enum prop_kind {
    PROP_NONE = 0,
    PROP_PASSWORD,      /* userPassword, cmusaslsecretPLAIN */
    PROP_AUTHPASSWORD,
    PROP_MAIL,
    PROP_MEMBEROF,
    PROP_QUOTA,
    PROP_DESCRIPTION,
    PROP_SUPERUSER,
} prop_kind;

static prop_kind
prop_kind_of(const char *name)
{
    static const struct {
        const char *name;
        prop_kind kind;
    } table[] = {
        { SASL_AUX_PASSWORD_PROP, PROP_PASSWORD },
        { "cmusaslsecretPLAIN", PROP_PASSWORD },
        { "authPassword", PROP_AUTHPASSWORD },
        { SASL_AUX_MAILADDR, PROP_MAIL },
        { "memberOf", PROP_MEMBEROF },
        { "quota", PROP_QUOTA },
        { "description", PROP_DESCRIPTION },
        { "superuser", PROP_SUPERUSER },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(table); i++)
        if (g_ascii_strcasecmp(name, table[i].name) == 0)
            return table[i].kind;
    return PROP_NONE;
}

/* The property name without the '*' of "of the authentication id", or
 * NULL when the property belongs to the other identity. */
static const char *
own_name(const char *name, unsigned flags)
{
    if (flags & SASL_AUXPROP_AUTHZID)
        return name[0] == '*' ? NULL : name;
    return name[0] == '*' ? name + 1 : NULL;
}

/* Does the request hold a property we fill that still needs a value? */
static bool
wanted(const struct propval *props, unsigned flags, bool *secrets)
{
    bool any = false;

    *secrets = false;
    for (size_t i = 0; props[i].name != NULL; i++) {
        const char *name = own_name(props[i].name, flags);
        prop_kind kind;

        if (name == NULL || (kind = prop_kind_of(name)) == PROP_NONE
            || (props[i].values != NULL && !(flags & SASL_AUXPROP_OVERRIDE)))
            continue;
        any = true;
        if (kind == PROP_PASSWORD || kind == PROP_AUTHPASSWORD)
            *secrets = true;
    }
    return any;
}

/*
 * May a mechanism check this principal's password itself (from
 * userPassword or authPassword)?  Not when the account is disabled or
 * needs a one-time code with the password: CRAM-MD5 or SCRAM would
 * enforce neither, so they get nothing to check against.
 */
static bool
secrets_publishable(const sd_principal *p)
{
    return !sd_secret_is_disabled(p->secrets)
        && !sd_secret_is_one_time(p->secrets);
}

static void
set_strings(const sasl_utils_t *utils, struct propctx *ctx,
            const char *name, const GPtrArray *values)
{
    for (guint i = 0; values != NULL && i < values->len; i++)
        utils->prop_set(ctx, name, g_ptr_array_index(values, i), 0);
}

static void
publish(const sasl_utils_t *utils, struct propctx *ctx,
        const char *full_name, prop_kind kind, const sd_principal *p)
{
    char number[32];

    switch (kind) {
    case PROP_NONE:
        break;
    case PROP_PASSWORD:
        if (!secrets_publishable(p))
            break;
        for (guint i = 0; p->secrets != NULL && i < p->secrets->len; i++) {
            const char *plain = sd_secret_plaintext(
                g_ptr_array_index(p->secrets, i));

            if (plain != NULL && *plain != '\0') {
                utils->prop_set(ctx, full_name, plain, 0);
                break;      /* one password: mechanisms read the first */
            }
        }
        break;
    case PROP_AUTHPASSWORD:
        if (secrets_publishable(p))
            set_strings(utils, ctx, full_name, p->auth_passwords);
        break;
    case PROP_MAIL:
        set_strings(utils, ctx, full_name, p->emails);
        break;
    case PROP_MEMBEROF:
        set_strings(utils, ctx, full_name,
                    p->resolved ? p->groups : p->member_of);
        break;
    case PROP_QUOTA:
        g_snprintf(number, sizeof number, "%" G_GUINT64_FORMAT,
                   p->resolved ? p->effective_quota : p->quota);
        utils->prop_set(ctx, full_name, number, 0);
        break;
    case PROP_DESCRIPTION:
        if (p->description != NULL)
            utils->prop_set(ctx, full_name, p->description, 0);
        break;
    case PROP_SUPERUSER:
        utils->prop_set(ctx, full_name, p->superuser ? "true" : "false", 0);
        break;
    }
}

/* Looks NAME up in DIRECTORY and publishes what PROPS ask for. */
static int
lookup_in(sd_directory *directory, sasl_server_params_t *sparams,
          unsigned flags, const struct propval *props, const char *name,
          bool secrets)
{
    const sasl_utils_t *utils = sparams->utils;
    g_autoptr(sd_principal) principal = NULL;
    GError *error = NULL;
    sd_result result;

    /* Secrets are never in the cache, so a request for one goes to the
     * directory itself; everything else may come from the cache. */
    result = sd_realm_lookup(directory, name, sd_glue_realm(sparams),
                             sd_glue_fqdn(sparams), secrets, &principal,
                             &error);
    if (result != SD_OK) {
        if (result != SD_NOTFOUND)
            sd_glue_log(utils, SASL_LOG_ERR,
                        "auxprop: lookup of '%s' in directory %s: %s (%s)",
                        name, sd_directory_name(directory),
                        sd_result_name(result),
                        error != NULL ? error->message : "no detail");
        g_clear_error(&error);
        return sd_result_to_sasl(result, 0);
    }
    for (size_t i = 0; props[i].name != NULL; i++) {
        const char *own = own_name(props[i].name, flags);
        prop_kind kind;

        if (own == NULL || (kind = prop_kind_of(own)) == PROP_NONE)
            continue;
        if (props[i].values != NULL) {
            if (!(flags & SASL_AUXPROP_OVERRIDE))
                continue;
            utils->prop_erase(sparams->propctx, props[i].name);
        }
        publish(utils, sparams->propctx, props[i].name, kind, principal);
    }
    return SASL_OK;
}

static int
auxprop_lookup(void *glob_context, sasl_server_params_t *sparams,
               unsigned flags, const char *user, unsigned ulen)
{
    const struct propval *props;
    g_autofree char *name = NULL;
    sd_directory *directory;
    bool secrets;
    int code;

    (void) glob_context;
    if (user == NULL || sparams->propctx == NULL)
        return SASL_BADPARAM;
    props = sparams->utils->prop_get(sparams->propctx);
    if (props == NULL || !wanted(props, flags, &secrets))
        return SASL_OK;     /* nothing asked that we could answer */
    directory = sd_glue_directory(auxprop_glue, sparams, &code);
    if (directory != NULL) {
        name = g_strndup(user, ulen != 0 ? ulen : strlen(user));
        code = lookup_in(directory, sparams, flags, props, name, secrets);
    }
    sd_glue_done();
    return code;
}

/* What a store asks for: a new password, a deletion, or nothing of
 * ours (another plugin's secret, such as a mechanism's own). */
typedef enum store_request {
    STORE_NOTHING,
    STORE_PASSWORD,
    STORE_DELETE,
} store_request;

static store_request
store_request_of(const struct propval *props, const char **password,
                 unsigned *password_len)
{
    bool password_named = false, delete_all = false;

    *password = NULL;
    *password_len = 0;
    for (size_t i = 0; props[i].name != NULL; i++) {
        const char *name = props[i].name[0] == '*'
            ? props[i].name + 1 : props[i].name;

        if (strcmp(props[i].name, SASL_AUX_ALL) == 0) {
            delete_all = true;
        } else if (strcmp(name, SASL_AUX_PASSWORD_PROP) == 0) {
            password_named = true;
            if (props[i].values != NULL && props[i].values[0] != NULL) {
                *password = props[i].values[0];
                *password_len = (unsigned) strlen(*password);
            }
        }
    }
    if (delete_all || (password_named && *password == NULL))
        return STORE_DELETE;
    return *password != NULL ? STORE_PASSWORD : STORE_NOTHING;
}

static sd_result
store_password(sd_directory *directory, const char *name,
               const char *password, GError **error)
{
    sd_result result;

    result = sd_directory_set_password(directory, name, password, NULL,
                                       NULL, false, error);
    if (result != SD_NOTFOUND)
        return result;
    /* A missing principal is created (with or without saslpasswd2's -c,
     * which libsasl2 does not pass on), then given the password. */
    g_clear_error(error);
    {
        g_autoptr(sd_principal) principal =
            sd_principal_new(name, SD_PRINCIPAL_INDIVIDUAL);

        result = sd_directory_store_principal(directory, principal,
                                              SD_STORE_CREATE, error);
    }
    if (result != SD_OK)
        return result;
    return sd_directory_set_password(directory, name, password, NULL, NULL,
                                     false, error);
}

/* Carries out a store in DIRECTORY (see auxprop_store). */
static int
store_in(sd_directory *directory, const sasl_utils_t *utils,
         sasl_server_params_t *sparams, struct propctx *ctx,
         const char *user, unsigned ulen)
{
    const char *password;
    unsigned password_len;
    g_autofree char *given = NULL, *name = NULL;
    GError *error = NULL;
    sd_result result;
    store_request request;

    /*
     * "Can you store?" (no propctx) comes without a connection, so a
     * refusal could only be logged where the application does not look;
     * the answer is yes, and the store itself, which has the connection,
     * refuses with the reason in the application's log.
     */
    if (ctx == NULL)
        return SASL_OK;
    if (!sd_directory_is_writable(directory)) {
        sd_glue_log(utils, SASL_LOG_ERR,
                    "auxprop: cannot store: directory %s (type %s) is "
                    "read-only; change the password where that directory "
                    "keeps it", sd_directory_name(directory),
                    sd_directory_type(directory));
        utils->seterror(utils->conn, SASL_NOLOG, "sasldir: directory %s "
                        "(type %s) is read-only", sd_directory_name(directory),
                        sd_directory_type(directory));
        return SASL_FAIL;
    }
    if (user == NULL)
        return SASL_BADPARAM;

    request = store_request_of(utils->prop_get(ctx), &password,
                               &password_len);
    if (request == STORE_NOTHING)
        return SASL_OK;     /* e.g. a mechanism's own secret: the
                             * directory derives what it needs */
    given = g_strndup(user, ulen != 0 ? ulen : strlen(user));
    name = sd_realm_store_name(given, sd_glue_realm(sparams));
    if (request == STORE_DELETE)
        result = sd_directory_delete_principal(directory, name, &error);
    else
        result = store_password(directory, name, password, &error);
    (void) password_len;
    if (result != SD_OK) {
        sd_glue_log(utils, SASL_LOG_ERR,
                    "auxprop: %s '%s' in directory %s: %s (%s)",
                    request == STORE_DELETE ? "deleting" : "setting the "
                    "password of", name, sd_directory_name(directory),
                    sd_result_name(result),
                    error != NULL ? error->message : "no detail");
        g_clear_error(&error);
        return sd_result_to_sasl(result, 0);
    }
    sd_glue_log(utils, SASL_LOG_NOTE, "auxprop: %s '%s' in directory %s",
                request == STORE_DELETE ? "deleted" : "stored a password for",
                name, sd_directory_name(directory));
    return SASL_OK;
}

static int
auxprop_store(void *glob_context, sasl_server_params_t *sparams,
              struct propctx *ctx, const char *user, unsigned ulen)
{
    const sasl_utils_t *utils = sparams != NULL ? sparams->utils : NULL;
    sd_directory *directory;
    int code;

    (void) glob_context;
    directory = sd_glue_directory(auxprop_glue, sparams, &code);
    if (directory != NULL)
        code = store_in(directory, utils, sparams, ctx, user, ulen);
    sd_glue_done();
    return code;
}


static void
auxprop_free(void *glob_context, const sasl_utils_t *utils)
{
    (void) glob_context;
    (void) utils;
    g_clear_pointer(&auxprop_glue, sd_glue_free);
}

static sasl_auxprop_plug_t auxprop_plugin = {
    .features = 0,
    .spare_int1 = 0,
    .glob_context = NULL,
    .auxprop_free = auxprop_free,
    .auxprop_lookup = auxprop_lookup,
    .name = (char *) "sasldir",
    .auxprop_store = auxprop_store,
};

int sasl_auxprop_plug_init(const sasl_utils_t *utils, int max_version,
                           int *out_version, sasl_auxprop_plug_t **plug,
                           const char *plugname);

int
sasl_auxprop_plug_init(const sasl_utils_t *utils, int max_version,
                       int *out_version, sasl_auxprop_plug_t **plug,
                       const char *plugname)
{
    (void) plugname;
    if (max_version < SASL_AUXPROP_PLUG_VERSION) {
        sd_glue_log(utils, SASL_LOG_ERR,
                    "auxprop: libsasl2 offers version %d, need %d",
                    max_version, SASL_AUXPROP_PLUG_VERSION);
        return SASL_BADVERS;
    }
    if (auxprop_glue == NULL)
        auxprop_glue = sd_glue_new(utils, "sasldir");
    *out_version = SASL_AUXPROP_PLUG_VERSION;
    *plug = &auxprop_plugin;
    return SASL_OK;
}
