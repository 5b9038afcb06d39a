/*
 * sasl-harness.c - a small SASL server and client on the real libsasl2
 * API, for the plugin tests (tests/sasl-plugins.test).
 *
 * usage: sasl-harness [OPTION...] auth MECH AUTHCID PASSWORD [AUTHZID]
 *        sasl-harness [OPTION...] checkpass USER PASSWORD
 *        sasl-harness [OPTION...] setpass USER PASSWORD
 *        sasl-harness [OPTION...] raw MECH [RESPONSE...]
 *        sasl-harness [OPTION...] mechs
 *        sasl-harness import CONFIG NAME STORED-SECRET
 *   --realm R        the server's user realm (sasl_server_new)
 *   --props P,...    request these auxiliary properties and print them
 *   --allow A:Z      a proxy policy letting authentication id A act as
 *                    authorization id Z (else libsasl2's default policy)
 *   --repeat N       do it N times on new connections
 *   --stats CONFIG   afterwards print the cache statistics of the shared
 *                    registry of CONFIG and how many users share it
 *
 * "raw" is the server side alone, for messages no client library would
 * send: the first RESPONSE is the client's initial response ("-": none),
 * each further one answers the server's next challenge; "\0" in a
 * RESPONSE is a NUL byte and "\\" a backslash.  Every challenge is
 * printed as "challenge: TEXT" (NUL as "\0", other unprintable bytes as
 * "\xHH"); the exchange stops at the first result other than
 * SASL_CONTINUE or when the responses run out.
 *
 * "import" stores a principal with STORED-SECRET verbatim in the default
 * directory of CONFIG through libsasldir's write API (test set-up for
 * secrets made by other tools); it does not use libsasl2.
 *
 * The application name is "sasldirtest": libsasl2 reads its options
 * from sasldirtest.conf along $SASL_CONF_PATH and its plugins from
 * $SASL_PATH.  Prints "result: SASL_XXX" for the last attempt, the
 * properties as "prop NAME=VALUE", libsasl2's log lines on standard
 * error; exits 0 when the last result was SASL_OK, 1 otherwise, 2 on
 * misuse.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "sd_cache.h"
#include "sd_directory.h"
#include "sd_shared.h"

static const char *opt_realm;
static char *opt_props;
static char *opt_allow;
static int opt_repeat = 1;
static char *opt_stats;

static const char *client_authcid, *client_authzid, *client_password;
static sasl_secret_t *client_secret;

static const char *
code_name(int code)
{
    static const struct { int code; const char *name; } names[] = {
        { SASL_OK, "SASL_OK" }, { SASL_CONTINUE, "SASL_CONTINUE" },
        { SASL_FAIL, "SASL_FAIL" }, { SASL_NOMEM, "SASL_NOMEM" },
        { SASL_BUFOVER, "SASL_BUFOVER" }, { SASL_NOMECH, "SASL_NOMECH" },
        { SASL_BADPROT, "SASL_BADPROT" }, { SASL_NOTDONE, "SASL_NOTDONE" },
        { SASL_BADPARAM, "SASL_BADPARAM" }, { SASL_TRYAGAIN, "SASL_TRYAGAIN" },
        { SASL_BADMAC, "SASL_BADMAC" }, { SASL_NOTINIT, "SASL_NOTINIT" },
        { SASL_INTERACT, "SASL_INTERACT" }, { SASL_BADSERV, "SASL_BADSERV" },
        { SASL_WRONGMECH, "SASL_WRONGMECH" }, { SASL_BADAUTH, "SASL_BADAUTH" },
        { SASL_NOAUTHZ, "SASL_NOAUTHZ" }, { SASL_TOOWEAK, "SASL_TOOWEAK" },
        { SASL_ENCRYPT, "SASL_ENCRYPT" }, { SASL_TRANS, "SASL_TRANS" },
        { SASL_EXPIRED, "SASL_EXPIRED" }, { SASL_DISABLED, "SASL_DISABLED" },
        { SASL_NOUSER, "SASL_NOUSER" }, { SASL_BADVERS, "SASL_BADVERS" },
        { SASL_UNAVAIL, "SASL_UNAVAIL" }, { SASL_NOVERIFY, "SASL_NOVERIFY" },
        { SASL_PWLOCK, "SASL_PWLOCK" }, { SASL_NOCHANGE, "SASL_NOCHANGE" },
        { SASL_WEAKPASS, "SASL_WEAKPASS" }, { SASL_NOUSERPASS, "SASL_NOUSERPASS" },
        { SASL_CONSTRAINT_VIOLAT, "SASL_CONSTRAINT_VIOLAT" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        if (names[i].code == code)
            return names[i].name;
    return "SASL_(unknown)";
}

static int
log_cb(void *context, int level, const char *message)
{
    (void) context;
    fprintf(stderr, "sasl log %d: %s\n", level, message);
    return SASL_OK;
}

static int
proxy_cb(sasl_conn_t *conn, void *context, const char *requested_user,
         unsigned rlen, const char *auth_identity, unsigned alen,
         const char *def_realm, unsigned urlen, struct propctx *propctx)
{
    g_autofree char *pair = g_strdup_printf("%.*s:%.*s", (int) alen,
                                            auth_identity, (int) rlen,
                                            requested_user);

    (void) context;
    (void) def_realm;
    (void) urlen;
    (void) propctx;
    if (rlen == alen && memcmp(requested_user, auth_identity, alen) == 0)
        return SASL_OK;
    if (opt_allow != NULL && strcmp(pair, opt_allow) == 0)
        return SASL_OK;
    sasl_seterror(conn, 0, "%s may not act as that user", pair);
    return SASL_NOAUTHZ;
}

static int
client_simple(void *context, int id, const char **result, unsigned *len)
{
    (void) context;
    *result = id == SASL_CB_USER ? client_authzid : client_authcid;
    if (*result == NULL)
        *result = "";
    if (len != NULL)
        *len = (unsigned) strlen(*result);
    return SASL_OK;
}

static int
client_pass(sasl_conn_t *conn, void *context, int id, sasl_secret_t **psecret)
{
    (void) conn;
    (void) context;
    (void) id;
    *psecret = client_secret;
    return SASL_OK;
}

/* libsasl2 stores every callback as one generic type; the detour through
 * void (*)(void) says the conversion is meant. */
#define CALLBACK(f) ((sasl_callback_ft) (void (*)(void)) (f))

static sasl_callback_t server_callbacks[] = {
    { SASL_CB_LOG, CALLBACK(log_cb), NULL },
    { SASL_CB_PROXY_POLICY, CALLBACK(proxy_cb), NULL },
    { SASL_CB_LIST_END, NULL, NULL },
};

static sasl_callback_t client_callbacks[] = {
    { SASL_CB_LOG, CALLBACK(log_cb), NULL },
    { SASL_CB_USER, CALLBACK(client_simple), NULL },
    { SASL_CB_AUTHNAME, CALLBACK(client_simple), NULL },
    { SASL_CB_PASS, CALLBACK(client_pass), NULL },
    { SASL_CB_LIST_END, NULL, NULL },
};

static void
print_props(sasl_conn_t *conn)
{
    struct propctx *ctx = NULL;
    const struct propval *props;

    if (opt_props == NULL || (ctx = sasl_auxprop_getctx(conn)) == NULL)
        return;
    props = prop_get(ctx);
    for (size_t i = 0; props != NULL && props[i].name != NULL; i++)
        for (size_t j = 0; props[i].values != NULL
                           && props[i].values[j] != NULL; j++)
            printf("prop %s=%s\n", props[i].name, props[i].values[j]);
}

/* libsasl2 keeps the name pointers, not copies: they live as long as
 * the program. */
static char **prop_names;

static int
request_props(sasl_conn_t *conn)
{
    if (opt_props == NULL)
        return SASL_OK;
    if (prop_names == NULL)
        prop_names = g_strsplit(opt_props, ",", -1);
    return sasl_auxprop_request(conn, (const char **) prop_names);
}

static sasl_conn_t *
new_server(void)
{
    sasl_conn_t *conn = NULL;
    int code = sasl_server_new("sasldirtest", "localhost", opt_realm, NULL,
                               NULL, NULL, 0, &conn);

    if (code != SASL_OK) {
        fprintf(stderr, "sasl_server_new: %s\n", code_name(code));
        exit(2);
    }
    if (request_props(conn) != SASL_OK) {
        fprintf(stderr, "sasl_auxprop_request failed\n");
        exit(2);
    }
    return conn;
}

/* Prints the identities and properties of a success, or the error. */
static void
report_server(sasl_conn_t *server, int scode)
{
    if (scode == SASL_OK) {
        const char *user = NULL, *authid = NULL;

        sasl_getprop(server, SASL_USERNAME, (const void **) &user);
        sasl_getprop(server, SASL_AUTHUSER, (const void **) &authid);
        printf("authid: %s\nuser: %s\n", authid ? authid : "",
               user ? user : "");
        print_props(server);
    } else {
        fprintf(stderr, "server: %s: %s\n", code_name(scode),
                sasl_errdetail(server));
    }
}

static int
run_auth(const char *mech)
{
    sasl_conn_t *server = new_server(), *client = NULL;
    const char *out = NULL, *in = NULL, *chosen = NULL;
    unsigned outlen = 0, inlen = 0;
    int scode, ccode;

    ccode = sasl_client_new("sasldirtest", "localhost", NULL, NULL, NULL, 0,
                            &client);
    if (ccode == SASL_OK)
        ccode = sasl_client_start(client, mech, NULL, &out, &outlen, &chosen);
    if (ccode != SASL_OK && ccode != SASL_CONTINUE) {
        fprintf(stderr, "client: %s: %s\n", code_name(ccode),
                client ? sasl_errdetail(client) : "");
        sasl_dispose(&server);
        sasl_dispose(&client);
        return ccode;
    }
    scode = sasl_server_start(server, mech, out, outlen, &in, &inlen);
    while (scode == SASL_CONTINUE) {
        ccode = sasl_client_step(client, in, inlen, NULL, &out, &outlen);
        if (ccode != SASL_OK && ccode != SASL_CONTINUE) {
            fprintf(stderr, "client step: %s: %s\n", code_name(ccode),
                    sasl_errdetail(client));
            scode = ccode;
            break;
        }
        scode = sasl_server_step(server, out, outlen, &in, &inlen);
    }
    report_server(server, scode);
    sasl_dispose(&client);
    sasl_dispose(&server);
    return scode;
}

/* A RESPONSE argument of "raw" as bytes (see the usage above). */
static GByteArray *
decode_response(const char *text)
{
    GByteArray *bytes = g_byte_array_new();

    for (const char *p = text; *p != '\0'; p++) {
        guint8 byte = (guint8) *p;

        if (p[0] == '\\' && p[1] == '0') {
            byte = 0;
            p++;
        } else if (p[0] == '\\' && p[1] == '\\') {
            p++;
        }
        g_byte_array_append(bytes, &byte, 1);
    }
    return bytes;
}

static void
print_challenge(const char *out, unsigned outlen)
{
    GString *text = g_string_new("challenge: ");

    for (unsigned i = 0; i < outlen; i++) {
        unsigned char c = (unsigned char) out[i];

        if (c == 0)
            g_string_append(text, "\\0");
        else if (c < 0x20 || c >= 0x7f || c == '\\')
            g_string_append_printf(text, "\\x%02x", c);
        else
            g_string_append_c(text, (char) c);
    }
    printf("%s\n", text->str);
    g_string_free(text, TRUE);
}

static int
run_raw(const char *mech, char **responses, int count)
{
    sasl_conn_t *server = new_server();
    const char *out = NULL;
    unsigned outlen = 0;
    GByteArray *in = NULL;
    int scode, next = 1;

    if (count > 0 && strcmp(responses[0], "-") != 0)
        in = decode_response(responses[0]);
    /* An empty response is "" (not NULL: that is no response at all). */
    scode = sasl_server_start(server, mech,
                              in == NULL ? NULL
                              : in->len > 0 ? (const char *) in->data : "",
                              in != NULL ? in->len : 0, &out, &outlen);
    while (scode == SASL_CONTINUE) {
        print_challenge(out, outlen);
        if (next >= count)
            break;
        if (in != NULL)
            g_byte_array_unref(in);
        in = decode_response(responses[next++]);
        scode = sasl_server_step(server, in->len > 0
                                         ? (const char *) in->data : "",
                                 in->len, &out, &outlen);
    }
    if (in != NULL)
        g_byte_array_unref(in);
    if (scode != SASL_CONTINUE)
        report_server(server, scode);
    sasl_dispose(&server);
    return scode;
}

static int
run_checkpass(const char *user, const char *password)
{
    sasl_conn_t *server = new_server();
    int code = sasl_checkpass(server, user, (unsigned) strlen(user),
                              password, (unsigned) strlen(password));

    if (code == SASL_OK)
        print_props(server);
    else
        fprintf(stderr, "checkpass: %s: %s\n", code_name(code),
                sasl_errdetail(server));
    sasl_dispose(&server);
    return code;
}

static int
run_setpass(const char *user, const char *password)
{
    sasl_conn_t *server = new_server();
    int code = sasl_setpass(server, user, password,
                            (unsigned) strlen(password), NULL, 0,
                            SASL_SET_CREATE);

    if (code != SASL_OK)
        fprintf(stderr, "setpass: %s: %s\n", code_name(code),
                sasl_errdetail(server));
    sasl_dispose(&server);
    return code;
}

static int
run_mechs(void)
{
    sasl_conn_t *server = new_server();
    const char *list = NULL;
    int code = sasl_listmech(server, NULL, "", " ", "", &list, NULL, NULL);

    if (code == SASL_OK)
        printf("mechs: %s\n", list);
    sasl_dispose(&server);
    return code;
}

static void
print_stats(const char *config)
{
    GError *error = NULL;
    sd_registry *registry = sd_registry_shared(config, &error);
    sd_cache *cache;

    if (registry == NULL) {
        printf("stats: %s\n", error->message);
        g_clear_error(&error);
        return;
    }
    /* Our own reference counts too: the plugins' users are one less. */
    printf("shared-users: %u\n", sd_registry_shared_users(config) - 1);
    cache = sd_directory_cache(sd_registry_default(registry));
    if (cache != NULL) {
        for (int kind = 0; kind < SD_CACHE_KINDS; kind++) {
            sd_cache_stats stats;

            sd_cache_get_stats(cache, (sd_cache_kind) kind, &stats);
            printf("cache %s: misses %" G_GUINT64_FORMAT " hits %"
                   G_GUINT64_FORMAT " inserts %" G_GUINT64_FORMAT "\n",
                   sd_cache_kind_name((sd_cache_kind) kind), stats.misses,
                   stats.positive.hits + stats.negative.hits,
                   stats.positive.inserts + stats.negative.inserts);
        }
    }
    sd_registry_shared_release(registry);
}

static int
run_import(const char *config, const char *name, const char *stored)
{
    GError *error = NULL;
    g_autoptr(sd_registry) registry = sd_registry_load(config, &error);
    g_autoptr(sd_principal) principal = NULL;
    sd_result result;

    if (registry == NULL) {
        fprintf(stderr, "import: %s\n", error->message);
        g_clear_error(&error);
        return 2;
    }
    principal = sd_principal_new(name, SD_PRINCIPAL_INDIVIDUAL);
    g_ptr_array_add(principal->secrets, g_strdup(stored));
    result = sd_directory_store_principal(sd_registry_default(registry),
                                          principal, SD_STORE_UPSERT, &error);
    if (result != SD_OK) {
        fprintf(stderr, "import: %s\n", error ? error->message : "failed");
        g_clear_error(&error);
        return 1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    GOptionEntry entries[] = {
        { "realm", 0, 0, G_OPTION_ARG_STRING, &opt_realm, "user realm", "R" },
        { "props", 0, 0, G_OPTION_ARG_STRING, &opt_props, "properties", "P" },
        { "allow", 0, 0, G_OPTION_ARG_STRING, &opt_allow, "proxy", "A:Z" },
        { "repeat", 0, 0, G_OPTION_ARG_INT, &opt_repeat, "times", "N" },
        { "stats", 0, 0, G_OPTION_ARG_STRING, &opt_stats, "config", "FILE" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    GOptionContext *options = g_option_context_new("COMMAND ARGS...");
    GError *error = NULL;
    int code = SASL_FAIL;

    g_option_context_add_main_entries(options, entries, NULL);
    if (!g_option_context_parse(options, &argc, &argv, &error) || argc < 2) {
        fprintf(stderr, "sasl-harness: %s\n",
                error ? error->message : "no command");
        return 2;
    }
    g_option_context_free(options);
    if (strcmp(argv[1], "import") == 0)
        return argc == 5 ? run_import(argv[2], argv[3], argv[4]) : 2;
    if (sasl_server_init(server_callbacks, "sasldirtest") != SASL_OK
        || sasl_client_init(client_callbacks) != SASL_OK) {
        fprintf(stderr, "sasl-harness: cannot initialise libsasl2\n");
        return 2;
    }
    for (int i = 0; i < opt_repeat; i++) {
        if (strcmp(argv[1], "auth") == 0 && (argc == 5 || argc == 6)) {
            size_t len = strlen(argv[4]);

            client_authcid = argv[3];
            client_password = argv[4];
            client_authzid = argc == 6 ? argv[5] : NULL;
            g_free(client_secret);
            client_secret = g_malloc0(sizeof *client_secret + len + 1);
            client_secret->len = len;
            memcpy(client_secret->data, client_password, len);
            code = run_auth(argv[2]);
        } else if (strcmp(argv[1], "checkpass") == 0 && argc == 4) {
            code = run_checkpass(argv[2], argv[3]);
        } else if (strcmp(argv[1], "setpass") == 0 && argc == 4) {
            code = run_setpass(argv[2], argv[3]);
        } else if (strcmp(argv[1], "raw") == 0 && argc >= 3) {
            code = run_raw(argv[2], argv + 3, argc - 3);
        } else if (strcmp(argv[1], "mechs") == 0 && argc == 2) {
            code = run_mechs();
        } else {
            fprintf(stderr, "sasl-harness: bad command or arguments\n");
            return 2;
        }
    }
    printf("result: %s\n", code_name(code));
    if (opt_stats != NULL)
        print_stats(opt_stats);
    g_free(client_secret);
    sasl_client_done();
    sasl_server_done();
    g_strfreev(prop_names);
    return code == SASL_OK ? 0 : 1;
}
