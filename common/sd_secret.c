/*
 * sd_secret.c - the table of password schemes (see sd_secret.h).
 *
 * Every derived value is compared with CRYPTO_memcmp, and plaintext is
 * compared through SHA-256 digests of both sides, so neither the content
 * nor the length of a stored plaintext secret leaks through timing.
 * Every buffer that held the password or a value derived from it is
 * wiped before it is freed.
 */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sd_secret.h"

typedef struct password_scheme password_scheme;
typedef sd_result (*verify_fn)(const password_scheme *scheme, const char *encoded,
                               const char *password, GError **error);

struct password_scheme {
    const char *name;       /* the name inside {braces}, as written */
    verify_fn verify;
    const char *digest;     /* OpenSSL's name, for digest schemes */
    bool salted;
    bool plaintext;
};

static sd_result verify_plain(const password_scheme *, const char *, const char *,
                              GError **);
static sd_result verify_digest(const password_scheme *, const char *, const char *,
                               GError **);
static sd_result verify_crypt(const password_scheme *, const char *, const char *,
                              GError **);

/* The schemes named in braces.  Matched case-insensitively, as slapd and
 * Dovecot do. */
static const password_scheme brace_schemes[] = {
    { "PLAIN",     verify_plain,  NULL,     false, true },
    { "CLEAR",     verify_plain,  NULL,     false, true },
    { "CLEARTEXT", verify_plain,  NULL,     false, true },
    { "SHA",       verify_digest, "SHA1",   false, false },
    { "SSHA",      verify_digest, "SHA1",   true,  false },
    { "SHA256",    verify_digest, "SHA256", false, false },
    { "SSHA256",   verify_digest, "SHA256", true,  false },
    { "SHA512",    verify_digest, "SHA512", false, false },
    { "SSHA512",   verify_digest, "SHA512", true,  false },
    { "MD5",       verify_digest, "MD5",    false, false },
    { "SMD5",      verify_digest, "MD5",    true,  false },
    { "CRYPT",     verify_crypt,  NULL,     false, false },
};

/* Secrets with no braces: crypt(3) strings and plaintext. */
static const password_scheme crypt_scheme = { "crypt", verify_crypt, NULL, false, false };
static const password_scheme plain_scheme = { "plain", verify_plain, NULL, false, true };

/* Longest scheme name accepted between braces. */
#define MAX_SCHEME_NAME 32

void
sd_memwipe(void *p, size_t len)
{
    if (p != NULL && len > 0)
        OPENSSL_cleanse(p, len);
}

void
sd_secret_free(char *secret)
{
    if (secret == NULL)
        return;
    sd_memwipe(secret, strlen(secret));
    g_free(secret);
}

/*
 * Splits STORED into its scheme and the encoded rest.  Returns NULL with
 * *ERROR set for a brace scheme nobody knows or a missing '}'.
 */
static const password_scheme *
select_scheme(const char *stored, const char **encoded, GError **error)
{
    if (stored[0] == '{') {
        const char *close = strchr(stored, '}');
        if (close == NULL || close - stored - 1 > MAX_SCHEME_NAME) {
            sd_fail(error, SD_ERROR,
                    "malformed stored secret: '{' without a closing '}' "
                    "after the scheme name");
            return NULL;
        }
        size_t len = (size_t)(close - stored - 1);
        for (size_t i = 0; i < G_N_ELEMENTS(brace_schemes); i++) {
            if (strlen(brace_schemes[i].name) == len
                && g_ascii_strncasecmp(stored + 1, brace_schemes[i].name,
                                       len) == 0) {
                *encoded = close + 1;
                return &brace_schemes[i];
            }
        }
        sd_fail(error, SD_ERROR, "unsupported password scheme {%.*s}",
                (int)len, stored + 1);
        return NULL;
    }
    *encoded = stored;
    if (stored[0] == '$' || stored[0] == '_')
        return &crypt_scheme;
    return &plain_scheme;
}

sd_result
sd_secret_verify(const char *stored, const char *password, GError **error)
{
    if (stored == NULL || *stored == '\0' || password == NULL)
        return SD_MISMATCH;
    const char *encoded;
    const password_scheme *scheme = select_scheme(stored, &encoded, error);
    if (scheme == NULL)
        return SD_ERROR;
    return scheme->verify(scheme, encoded, password, error);
}

bool
sd_secret_is_plaintext(const char *stored)
{
    const char *encoded;
    const password_scheme *scheme = select_scheme(stored, &encoded, NULL);
    return scheme != NULL && scheme->plaintext;
}

/* ------------------------------------------------------------------ */
/* Plaintext                                                           */
/* ------------------------------------------------------------------ */

static void
sha256(const char *data, size_t len, unsigned char out[32])
{
    unsigned int out_len = 0;
    if (!EVP_Digest(data, len, out, &out_len, EVP_sha256(), NULL))
        abort(); /* only on memory exhaustion inside OpenSSL */
}

static sd_result
verify_plain(const password_scheme *unused, const char *encoded, const char *password,
             GError **error)
{
    (void)unused;
    (void)error;
    if (*encoded == '\0')
        return SD_MISMATCH;
    unsigned char a[32], b[32];
    sha256(encoded, strlen(encoded), a);
    sha256(password, strlen(password), b);
    bool equal = CRYPTO_memcmp(a, b, sizeof a) == 0;
    sd_memwipe(a, sizeof a);
    sd_memwipe(b, sizeof b);
    return equal ? SD_OK : SD_MISMATCH;
}

/* ------------------------------------------------------------------ */
/* {SHA}, {SSHA}, ... : base64 of digest(password [+ salt]) [+ salt]    */
/* ------------------------------------------------------------------ */

/* Decodes standard base64 with padding; NULL if anything else is there
 * (g_base64_decode alone skips invalid characters silently). */
static unsigned char *
decode_base64_strict(const char *text, size_t *out_len)
{
    size_t len = strlen(text);
    if (len == 0 || len % 4 != 0)
        return NULL;
    size_t padding = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '=') {
            if (i < len - 2)
                return NULL;
            padding++;
        } else if (padding > 0
                   || !(g_ascii_isalnum(c) || c == '+' || c == '/')) {
            return NULL;
        }
    }
    gsize decoded_len = 0;
    unsigned char *decoded = g_base64_decode(text, &decoded_len);
    *out_len = decoded_len;
    return decoded;
}

static sd_result
verify_digest(const password_scheme *scheme, const char *encoded, const char *password,
              GError **error)
{
    const EVP_MD *md = EVP_get_digestbyname(scheme->digest);
    if (md == NULL)
        return sd_fail(error, SD_ERROR,
                       "{%s}: digest %s is not available in this OpenSSL",
                       scheme->name, scheme->digest);
    size_t digest_len = (size_t)EVP_MD_get_size(md);

    size_t decoded_len = 0;
    unsigned char *decoded = decode_base64_strict(encoded, &decoded_len);
    if (decoded == NULL
        || (scheme->salted ? decoded_len < digest_len
                           : decoded_len != digest_len)) {
        g_free(decoded);
        return sd_fail(error, SD_ERROR,
                       "malformed {%s} secret: expected base64 of a "
                       "%zu-byte digest%s",
                       scheme->name, digest_len,
                       scheme->salted ? " followed by the salt" : "");
    }

    unsigned char computed[EVP_MAX_MD_SIZE];
    unsigned int computed_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL)
        && EVP_DigestUpdate(ctx, password, strlen(password))
        && EVP_DigestUpdate(ctx, decoded + digest_len,
                            decoded_len - digest_len)
        && EVP_DigestFinal_ex(ctx, computed, &computed_len);
    EVP_MD_CTX_free(ctx);

    sd_result result;
    if (!ok)
        result = sd_fail(error, SD_ERROR, "{%s}: OpenSSL digest failed",
                         scheme->name);
    else
        result = CRYPTO_memcmp(computed, decoded, digest_len) == 0
            ? SD_OK : SD_MISMATCH;
    sd_memwipe(computed, sizeof computed);
    g_free(decoded);
    return result;
}

/* ------------------------------------------------------------------ */
/* crypt(3) strings, through libxcrypt                                 */
/* ------------------------------------------------------------------ */

/* The method a crypt string names, for messages and logs. */
static const char *
crypt_method_name(const char *setting)
{
    static const struct { const char *prefix; const char *name; } methods[] = {
        { "$1$", "md5-crypt" },     { "$2a$", "bcrypt" },
        { "$2b$", "bcrypt" },       { "$2x$", "bcrypt" },
        { "$2y$", "bcrypt" },       { "$5$", "sha256-crypt" },
        { "$6$", "sha512-crypt" },  { "$y$", "yescrypt" },
        { "$gy$", "gost-yescrypt" }, { "$7$", "scrypt-crypt" },
        { "$sha1$", "sha1-crypt" }, { "$md5", "sun-md5-crypt" },
        { "$3$", "nt-hash" },       { "_", "bsdi-crypt" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(methods); i++)
        if (g_str_has_prefix(setting, methods[i].prefix))
            return methods[i].name;
    return setting[0] == '$' ? "crypt" : "des-crypt";
}

/*
 * Refuses costs that would let one stored value occupy a CPU for
 * minutes.  The bounds accept every default of the common tools.
 */
static sd_result
check_crypt_cost(const char *setting, GError **error)
{
    if (g_str_has_prefix(setting, "$2") && strlen(setting) >= 7
        && setting[3] == '$') {
        int cost = g_ascii_digit_value(setting[4]) * 10
                   + g_ascii_digit_value(setting[5]);
        if (cost > SD_SECRET_MAX_BCRYPT_COST)
            return sd_fail(error, SD_ERROR,
                           "bcrypt cost %d is above the limit of %d",
                           cost, SD_SECRET_MAX_BCRYPT_COST);
    }
    if ((g_str_has_prefix(setting, "$5$rounds=")
         || g_str_has_prefix(setting, "$6$rounds="))) {
        char *end = NULL;
        errno = 0;
        unsigned long long rounds = g_ascii_strtoull(setting + 10, &end, 10);
        if (errno == 0 && end != setting + 10
            && rounds > SD_SECRET_MAX_SHACRYPT_ROUNDS)
            return sd_fail(error, SD_ERROR,
                           "%s rounds=%llu is above the limit of %lu",
                           crypt_method_name(setting), rounds,
                           SD_SECRET_MAX_SHACRYPT_ROUNDS);
    }
    return SD_OK;
}

static sd_result
verify_crypt(const password_scheme *scheme, const char *encoded, const char *password,
             GError **error)
{
    (void)scheme;
    const char *method = crypt_method_name(encoded);
    switch (crypt_checksalt(encoded)) {
    case CRYPT_SALT_OK:
    case CRYPT_SALT_METHOD_LEGACY:
    case CRYPT_SALT_TOO_CHEAP:
        break;
    case CRYPT_SALT_METHOD_DISABLED:
        return sd_fail(error, SD_ERROR,
                       "%s hashes are disabled in this system's libxcrypt",
                       method);
    default:
        return sd_fail(error, SD_ERROR,
                       "malformed or unsupported crypt hash (%s)", method);
    }
    if (check_crypt_cost(encoded, error) != SD_OK)
        return SD_ERROR;

    struct crypt_data *data = g_malloc0(sizeof *data);
    const char *computed = crypt_rn(password, encoded, data, sizeof *data);
    sd_result result;
    if (computed == NULL || computed[0] == '*') {
        result = sd_fail(error, SD_ERROR, "malformed crypt hash (%s)", method);
    } else {
        size_t len = strlen(computed);
        result = len == strlen(encoded)
                 && CRYPTO_memcmp(computed, encoded, len) == 0
            ? SD_OK : SD_MISMATCH;
    }
    sd_memwipe(data, sizeof *data);
    g_free(data);
    return result;
}

/* ------------------------------------------------------------------ */
/* Names and the dummy verification                                    */
/* ------------------------------------------------------------------ */

const char *
sd_secret_scheme_name(const char *stored)
{
    const char *encoded;
    const password_scheme *scheme = select_scheme(stored, &encoded, NULL);
    if (scheme == NULL)
        return "unknown";
    if (scheme->verify == verify_crypt)
        return crypt_method_name(encoded);
    return scheme->name;
}

const char *const *
sd_secret_scheme_names(void)
{
    static const char *const names[] = {
        "plain ({PLAIN}, {CLEAR}, {CLEARTEXT}, or no prefix)",
        "{SHA}", "{SSHA}", "{SHA256}", "{SSHA256}", "{SHA512}", "{SSHA512}",
        "{MD5}", "{SMD5}",
        "{CRYPT} + any crypt(3) string below",
        "$1$ md5-crypt", "$2a$ $2b$ $2x$ $2y$ bcrypt", "$5$ sha256-crypt",
        "$6$ sha512-crypt", "$y$ yescrypt", "$gy$ gost-yescrypt",
        "$7$ scrypt-crypt", "$sha1$ sha1-crypt", "$md5 sun-md5-crypt",
        "_ bsdi-crypt", "des-crypt (13 characters, in {CRYPT})",
        NULL,
    };
    return names;
}

/* A sha512-crypt hash of a random string, made once per process: as
 * costly to check as a typical stored hash, and impossible to match. */
static gpointer
make_dummy_hash(gpointer unused)
{
    (void)unused;
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn("$6$", 0, NULL, 0, setting, sizeof setting) == NULL)
        abort(); /* no entropy source: nothing sensible is possible */
    unsigned char random_bytes[24];
    if (RAND_bytes(random_bytes, sizeof random_bytes) != 1)
        abort();
    char *random_text = g_base64_encode(random_bytes, sizeof random_bytes);
    struct crypt_data *data = g_malloc0(sizeof *data);
    const char *hash = crypt_rn(random_text, setting, data, sizeof *data);
    char *copy = hash != NULL ? g_strdup(hash) : NULL;
    sd_memwipe(data, sizeof *data);
    g_free(data);
    g_free(random_text);
    if (copy == NULL)
        abort();
    return copy;
}

void
sd_secret_verify_dummy(const char *password)
{
    static GOnce once = G_ONCE_INIT;
    const char *dummy = g_once(&once, make_dummy_hash, NULL);
    (void)sd_secret_verify(dummy, password != NULL ? password : "", NULL);
}
