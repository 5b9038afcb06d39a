/*
 * sd_secret_totp.c - "otpauth://totp/LABEL?secret=BASE32&..." secrets
 * (RFC 6238), as Stalwart stores them, checked with liboath.
 *
 * Inputs: the URI and the code the user sent (just the digits; the
 * PASSWORD$CODE split is sd_secret_verify_any()'s).  Parameters read
 * from the URI: secret (required), algorithm (SHA1, SHA256, SHA512),
 * digits (6 to 8), period (seconds, default 30).  The code of the
 * current step and of one step either side is accepted, compared in
 * constant time.  Results: SD_OK, SD_MISMATCH, or SD_ERROR for a URI
 * that is malformed.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include <liboath/oath.h>
#include <openssl/crypto.h>

#include "sd_secret_impl.h"

typedef struct totp_key {
    char *secret;           /* raw key bytes (wiped) */
    size_t secret_len;
    int flags;              /* OATH_TOTP_HMAC_* */
    unsigned digits;
    unsigned period;
} totp_key;

static gpointer
init_oath(gpointer unused)
{
    (void)unused;
    return GINT_TO_POINTER(oath_init() == OATH_OK);
}

/* Reads an unsigned parameter in [MIN, MAX]; absent gives FALLBACK. */
static bool
param_uint(GHashTable *params, const char *key, unsigned min, unsigned max,
           unsigned fallback, unsigned *out)
{
    const char *text = g_hash_table_lookup(params, key);
    if (text == NULL) {
        *out = fallback;
        return true;
    }
    guint64 value = 0;
    if (!g_ascii_string_to_unsigned(text, 10, min, max, &value, NULL))
        return false;
    *out = (unsigned)value;
    return true;
}

static bool
parse_algorithm(GHashTable *params, int *flags)
{
    const char *name = g_hash_table_lookup(params, "algorithm");
    if (name == NULL || g_ascii_strcasecmp(name, "SHA1") == 0)
        *flags = 0;
    else if (g_ascii_strcasecmp(name, "SHA256") == 0)
        *flags = OATH_TOTP_HMAC_SHA256;
    else if (g_ascii_strcasecmp(name, "SHA512") == 0)
        *flags = OATH_TOTP_HMAC_SHA512;
    else
        return false;
    return true;
}

/* Decodes the base32 key, upper-cased and without padding or spaces. */
static bool
decode_key(const char *base32, totp_key *key)
{
    GString *clean = g_string_new(NULL);
    for (const char *p = base32; *p != '\0'; p++)
        if (*p != '=' && *p != ' ')
            g_string_append_c(clean, g_ascii_toupper(*p));
    bool ok = clean->len > 0
        && oath_base32_decode(clean->str, clean->len, &key->secret,
                              &key->secret_len) == OATH_OK;
    sd_memwipe(clean->str, clean->len);
    g_string_free(clean, TRUE);
    return ok && key->secret_len > 0;
}

static bool
parse_uri(const char *uri, totp_key *key)
{
    const char *query = strchr(uri, '?');
    if (query == NULL)
        return false;
    GHashTable *params = g_uri_parse_params(query + 1, -1, "&",
                                            G_URI_PARAMS_CASE_INSENSITIVE,
                                            NULL);
    if (params == NULL)
        return false;
    const char *secret = g_hash_table_lookup(params, "secret");
    bool ok = secret != NULL && parse_algorithm(params, &key->flags)
        && param_uint(params, "digits", 6, 8, 6, &key->digits)
        && param_uint(params, "period", 1, 3600, 30, &key->period)
        && decode_key(secret, key);
    if (secret != NULL)
        sd_memwipe((char *)secret, strlen(secret));
    g_hash_table_unref(params);
    return ok;
}

/* liboath's comparison hook: 0 when equal, in constant time. */
static int
compare_code(void *handle, const char *candidate)
{
    const char *code = handle;
    size_t len = strlen(code);
    return strlen(candidate) == len
        && CRYPTO_memcmp(candidate, code, len) == 0 ? 0 : 1;
}

sd_result
sd_verify_totp(const sd_secret_policy *policy, const password_scheme *scheme,
               const char *encoded, const char *password, GError **error)
{
    (void)policy;
    (void)scheme;
    static GOnce once = G_ONCE_INIT;
    if (!GPOINTER_TO_INT(g_once(&once, init_oath, NULL)))
        return sd_fail(error, SD_ERROR, "totp: liboath failed to start");
    totp_key key = { NULL, 0, 0, 0, 0 };
    if (!parse_uri(encoded, &key)) {
        if (key.secret != NULL)
            sd_memwipe(key.secret, key.secret_len);
        free(key.secret);
        return sd_fail(error, SD_ERROR, "malformed totp secret: expected "
                       "otpauth://totp/LABEL?secret=BASE32 with optional "
                       "algorithm=SHA1|SHA256|SHA512, digits=6..8, period");
    }
    sd_result result = SD_MISMATCH;
    if (strlen(password) == key.digits) {
        int rc = oath_totp_validate4_callback(
            key.secret, key.secret_len, time(NULL), key.period, 0,
            key.digits, 1, NULL, NULL, key.flags, compare_code,
            (void *)password);
        result = rc >= 0 ? SD_OK : SD_MISMATCH;
    }
    sd_memwipe(key.secret, key.secret_len);
    free(key.secret);
    return result;
}
