/*
 * sd_secret_kdf.c - the key-derivation schemes of the table in
 * sd_secret.c: argon2 (libargon2), PBKDF2 and scrypt (OpenSSL) in their
 * PHC, passlib, OpenLDAP and Dovecot forms, and Dovecot's SCRAM keys.
 *
 * Inputs: the policy (its limits), the encoded secret, the password.
 * Results: SD_OK, SD_MISMATCH, or SD_ERROR naming the scheme and what is
 * malformed or above which limit.  Every cost is checked against the
 * policy before any work is done; derived values are compared with
 * CRYPTO_memcmp (argon2_verify compares in constant time itself) and
 * wiped.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sd_secret_impl.h"

/* Longest salt and derived key accepted, in bytes: far above any tool. */
#define MAX_SALT_BYTES 1024
#define MAX_KEY_BYTES 1024

/* Reads a decimal number that must fill [TEXT, TEXT+LEN) exactly. */
static bool
parse_number(const char *text, size_t len, uint64_t *out)
{
    if (len == 0 || len > 19)
        return false;
    uint64_t value = 0;
    for (size_t i = 0; i < len; i++) {
        if (!g_ascii_isdigit(text[i]))
            return false;
        value = value * 10 + (uint64_t)(text[i] - '0');
    }
    *out = value;
    return true;
}

/*
 * Reads "k=v,k=v" (LEN bytes) for the keys in KEYS (one character each);
 * VALUES[i] receives KEYS[i]'s value, SEEN[i] whether it was there.
 */
static bool
parse_params(const char *text, size_t len, const char *keys,
             uint64_t *values, bool *seen)
{
    const char *end = text + len;
    while (text < end) {
        const char *comma = memchr(text, ',', (size_t)(end - text));
        const char *item_end = comma != NULL ? comma : end;
        const char *key_at = keys[0] != '\0' ? strchr(keys, text[0]) : NULL;
        if (item_end - text < 3 || text[1] != '=' || key_at == NULL
            || text[0] == '\0')
            return false;
        size_t k = (size_t)(key_at - keys);
        if (seen[k] || !parse_number(text + 2, (size_t)(item_end - text - 2),
                                     &values[k]))
            return false;
        seen[k] = true;
        text = comma != NULL ? comma + 1 : end;
    }
    return true;
}

/* Splits TEXT at '$' into at most MAX fields (pointers into TEXT). */
static size_t
split_fields(const char *text, const char **fields, size_t *lens, size_t max)
{
    size_t n = 0;
    while (n < max) {
        const char *dollar = strchr(text, '$');
        fields[n] = text;
        lens[n] = dollar != NULL ? (size_t)(dollar - text) : strlen(text);
        n++;
        if (dollar == NULL)
            return n;
        text = dollar + 1;
    }
    return n + 1; /* more fields than expected */
}

/* ------------------------------------------------------------------ */
/* argon2                                                              */
/* ------------------------------------------------------------------ */

sd_result
sd_check_argon2_cost(const sd_secret_limits *limits, const char *encoded,
                     GError **error)
{
    /* $argon2id$[v=19$]m=M,t=T,p=P$SALT$HASH */
    const char *fields[6];
    size_t lens[6];
    size_t n = split_fields(encoded, fields, lens, 6);
    size_t at = n > 2 && g_str_has_prefix(fields[2], "v=") ? 3 : 2;
    uint64_t values[3] = { 0, 0, 0 };
    bool seen[3] = { false, false, false };
    if (n < at + 3 || n > at + 3
        || !parse_params(fields[at], lens[at], "mtp", values, seen)
        || !seen[0] || !seen[1] || !seen[2])
        return sd_fail(error, SD_ERROR, "malformed argon2 secret: expected "
                       "$argon2id$v=19$m=M,t=T,p=P$SALT$HASH");
    if (values[0] > limits->argon2_memory_kib)
        return sd_fail(error, SD_ERROR, "argon2 memory m=%" PRIu64 " KiB "
                       "is above the limit of %" PRIu64 " KiB", values[0],
                       limits->argon2_memory_kib);
    if (values[1] > limits->argon2_time)
        return sd_fail(error, SD_ERROR, "argon2 time t=%" PRIu64 " is above "
                       "the limit of %" PRIu64, values[1],
                       limits->argon2_time);
    if (values[2] > limits->argon2_parallelism)
        return sd_fail(error, SD_ERROR, "argon2 parallelism p=%" PRIu64
                       " is above the limit of %" PRIu64, values[2],
                       limits->argon2_parallelism);
    return SD_OK;
}

sd_result
sd_verify_argon2(const sd_secret_policy *policy,
                 const password_scheme *scheme, const char *encoded,
                 const char *password, GError **error)
{
    argon2_type type;
    if (g_str_has_prefix(encoded, "$argon2id$"))
        type = Argon2_id;
    else if (g_str_has_prefix(encoded, "$argon2i$"))
        type = Argon2_i;
    else if (g_str_has_prefix(encoded, "$argon2d$"))
        type = Argon2_d;
    else
        return sd_fail(error, SD_ERROR, "malformed %s secret: expected an "
                       "argon2 string ($argon2id$...)", scheme->name);
    if (sd_check_argon2_cost(&policy->limits, encoded, error) != SD_OK)
        return SD_ERROR;
    int rc = argon2_verify(encoded, password, strlen(password), type);
    if (rc == ARGON2_OK)
        return SD_OK;
    if (rc == ARGON2_VERIFY_MISMATCH)
        return SD_MISMATCH;
    return sd_fail(error, SD_ERROR, "malformed argon2 secret: %s",
                   argon2_error_message(rc));
}

/* ------------------------------------------------------------------ */
/* PBKDF2                                                              */
/* ------------------------------------------------------------------ */

/* Derives and compares: the part every PBKDF2 form shares. */
static sd_result
pbkdf2_compare(const char *digest, const char *password,
               const unsigned char *salt, size_t salt_len, uint64_t rounds,
               const unsigned char *expected, size_t expected_len)
{
    unsigned char *derived = g_malloc(expected_len);
    bool ok = PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt,
                                (int)salt_len, (int)rounds,
                                EVP_get_digestbyname(digest),
                                (int)expected_len, derived) == 1;
    bool equal = ok && CRYPTO_memcmp(derived, expected, expected_len) == 0;
    sd_memwipe(derived, expected_len);
    g_free(derived);
    return !ok ? SD_ERROR : equal ? SD_OK : SD_MISMATCH;
}

/* Checks the decoded parts, then derives.  SALT and KEY are freed. */
static sd_result
pbkdf2_finish(const sd_secret_policy *policy, const char *what,
              const char *digest, const char *password, unsigned char *salt,
              size_t salt_len, uint64_t rounds, unsigned char *key,
              size_t key_len, GError **error)
{
    sd_result result;
    if (salt == NULL || key == NULL || rounds == 0 || key_len == 0
        || salt_len > MAX_SALT_BYTES || key_len > MAX_KEY_BYTES)
        result = sd_fail(error, SD_ERROR, "malformed %s secret: bad salt, "
                         "rounds or hash", what);
    else if (rounds > policy->limits.pbkdf2_rounds)
        result = sd_fail(error, SD_ERROR, "%s rounds %" PRIu64 " is above "
                         "the limit of %" PRIu64, what, rounds,
                         policy->limits.pbkdf2_rounds);
    else {
        result = pbkdf2_compare(digest, password, salt, salt_len, rounds,
                                key, key_len);
        if (result == SD_ERROR)
            sd_fail(error, SD_ERROR, "%s: OpenSSL PBKDF2 failed", what);
    }
    g_free(salt);
    g_free(key);
    return result;
}

/*
 * "ROUNDS$SALT$HASH" in passlib's adapted base64 (passlib's
 * $pbkdf2-sha256$ and {PBKDF2-SHA256}, OpenLDAP's pw-pbkdf2).
 */
static sd_result
verify_pbkdf2_passlib(const sd_secret_policy *policy, const char *what,
                      const char *digest, const char *rest,
                      const char *password, GError **error)
{
    const char *f[4];
    size_t len[4];
    uint64_t rounds = 0;
    if (split_fields(rest, f, len, 4) != 3
        || !parse_number(f[0], len[0], &rounds))
        return sd_fail(error, SD_ERROR, "malformed %s secret: expected "
                       "ROUNDS$SALT$HASH", what);
    size_t salt_len = 0, key_len = 0;
    unsigned char *salt = sd_decode_base64(f[1], len[1], &salt_len);
    unsigned char *key = sd_decode_base64(f[2], len[2], &key_len);
    return pbkdf2_finish(policy, what, digest, password, salt, salt_len,
                         rounds, key, key_len, error);
}

/* Dovecot: "$1$SALT$ROUNDS$HEX"; the salt is used as written. */
static sd_result
verify_pbkdf2_dovecot(const sd_secret_policy *policy, const char *rest,
                      const char *password, GError **error)
{
    const char *f[4];
    size_t len[4];
    uint64_t rounds = 0;
    if (split_fields(rest, f, len, 4) != 3 || len[0] == 0
        || !parse_number(f[1], len[1], &rounds))
        return sd_fail(error, SD_ERROR, "malformed {PBKDF2} secret: "
                       "expected $1$SALT$ROUNDS$HEX");
    size_t key_len = 0;
    unsigned char *key = sd_decode_hex(f[2], len[2], &key_len);
    return pbkdf2_finish(policy, "{PBKDF2}", "SHA1", password,
                         g_memdup2(f[0], len[0]), len[0], rounds, key,
                         key_len, error);
}

sd_result
sd_verify_pbkdf2_ldap(const sd_secret_policy *policy,
                      const password_scheme *scheme, const char *encoded,
                      const char *password, GError **error)
{
    if (g_str_has_prefix(encoded, "$1$"))
        return verify_pbkdf2_dovecot(policy, encoded + 3, password, error);
    return verify_pbkdf2_passlib(policy, scheme->name, scheme->digest,
                                 encoded, password, error);
}

/*
 * "$pbkdf2-sha256$i=ROUNDS,l=LEN$SALT$HASH" (PHC, as Stalwart's Rust
 * crates write it) or "$pbkdf2-sha256$ROUNDS$SALT$HASH" (passlib).
 */
sd_result
sd_verify_pbkdf2_phc(const sd_secret_policy *policy,
                     const password_scheme *scheme, const char *encoded,
                     const char *password, GError **error)
{
    const char *rest = encoded + strlen(scheme->name);
    if (g_ascii_isdigit(rest[0]))
        return verify_pbkdf2_passlib(policy, scheme->name, scheme->digest,
                                     rest, password, error);
    const char *f[4];
    size_t len[4];
    uint64_t values[2] = { 0, 0 };
    bool seen[2] = { false, false };
    if (split_fields(rest, f, len, 4) != 3
        || !parse_params(f[0], len[0], "il", values, seen) || !seen[0])
        return sd_fail(error, SD_ERROR, "malformed %s secret: expected "
                       "i=ROUNDS[,l=LENGTH]$SALT$HASH", scheme->name);
    size_t salt_len = 0, key_len = 0;
    unsigned char *salt = sd_decode_base64(f[1], len[1], &salt_len);
    unsigned char *key = sd_decode_base64(f[2], len[2], &key_len);
    if (key != NULL && seen[1] && values[1] != key_len) {
        g_free(salt);
        g_free(key);
        return sd_fail(error, SD_ERROR, "malformed %s secret: l=%" PRIu64
                       " but the hash has %zu bytes", scheme->name,
                       values[1], key_len);
    }
    return pbkdf2_finish(policy, scheme->name, scheme->digest, password,
                         salt, salt_len, values[0], key, key_len, error);
}

/* ------------------------------------------------------------------ */
/* scrypt: "$scrypt$ln=LOG2N,r=R,p=P$SALT$HASH"                        */
/* ------------------------------------------------------------------ */

static sd_result
scrypt_compare(const char *password, const unsigned char *salt,
               size_t salt_len, uint64_t n, uint64_t r, uint64_t p,
               uint64_t max_memory, const unsigned char *expected,
               size_t expected_len)
{
    unsigned char *derived = g_malloc(expected_len);
    bool ok = EVP_PBE_scrypt(password, strlen(password), salt, salt_len, n,
                             r, p, max_memory, derived, expected_len) == 1;
    bool equal = ok && CRYPTO_memcmp(derived, expected, expected_len) == 0;
    sd_memwipe(derived, expected_len);
    g_free(derived);
    return !ok ? SD_ERROR : equal ? SD_OK : SD_MISMATCH;
}

sd_result
sd_verify_scrypt(const sd_secret_policy *policy,
                 const password_scheme *scheme, const char *encoded,
                 const char *password, GError **error)
{
    (void)scheme;
    const char *f[4];
    size_t len[4];
    /* ln, r, p, looked up by their first letter. */
    uint64_t v[3] = { 0, 0, 0 };
    bool seen[3] = { false, false, false };
    const char *rest = encoded + strlen("$scrypt$");
    bool ok = split_fields(rest, f, len, 4) == 3 && len[0] > 3
        && g_str_has_prefix(f[0], "ln=");
    if (ok)
        ok = parse_params(f[0] + 1, len[0] - 1, "nrp", v, seen)
            && seen[0] && seen[1] && seen[2] && v[0] >= 1 && v[0] < 64
            && v[1] >= 1 && v[2] >= 1 && v[1] <= (1u << 30)
            && v[2] <= (1u << 30);
    if (!ok)
        return sd_fail(error, SD_ERROR, "malformed scrypt secret: expected "
                       "$scrypt$ln=LOG2N,r=R,p=P$SALT$HASH");
    uint64_t limit = policy->limits.scrypt_memory;
    /* 128 * r * N must stay within the limit (no overflow: r < 2^31). */
    if (v[0] > 40 || (v[1] << v[0]) > limit / 128)
        return sd_fail(error, SD_ERROR, "scrypt ln=%" PRIu64 " r=%" PRIu64
                       " needs more memory than the limit of %" PRIu64
                       " bytes", v[0], v[1], limit);
    size_t salt_len = 0, key_len = 0;
    unsigned char *salt = sd_decode_base64(f[1], len[1], &salt_len);
    unsigned char *key = sd_decode_base64(f[2], len[2], &key_len);
    sd_result result;
    if (salt == NULL || key == NULL || key_len > MAX_KEY_BYTES
        || salt_len > MAX_SALT_BYTES)
        result = sd_fail(error, SD_ERROR, "malformed scrypt secret: bad "
                         "salt or hash");
    else {
        /* OpenSSL also counts the p * 128 * r bytes of B. */
        result = scrypt_compare(password, salt, salt_len, UINT64_C(1) << v[0],
                                v[1], v[2], limit + 128 * v[1] * v[2]
                                + (UINT64_C(1) << 20), key, key_len);
        if (result == SD_ERROR)
            sd_fail(error, SD_ERROR, "scrypt: OpenSSL refused the "
                    "parameters (p too large for this r and N?)");
    }
    g_free(salt);
    g_free(key);
    return result;
}

/* ------------------------------------------------------------------ */
/* SCRAM (Dovecot): "ITERATIONS,SALT,STOREDKEY,SERVERKEY" in base64     */
/* ------------------------------------------------------------------ */

sd_result
sd_verify_scram(const sd_secret_policy *policy, const password_scheme *scheme,
                const char *encoded, const char *password, GError **error)
{
    gchar **parts = g_strsplit(encoded, ",", 5);
    uint64_t rounds = 0;
    const EVP_MD *md = EVP_get_digestbyname(scheme->digest);
    size_t md_len = md != NULL ? (size_t)EVP_MD_get_size(md) : 0;
    size_t salt_len = 0, stored_len = 0;
    unsigned char *salt = NULL, *stored = NULL;
    if (g_strv_length(parts) == 4
        && parse_number(parts[0], strlen(parts[0]), &rounds)) {
        salt = sd_decode_base64_padded(parts[1], &salt_len);
        stored = sd_decode_base64_padded(parts[2], &stored_len);
    }
    g_strfreev(parts);
    sd_result result;
    if (md == NULL || salt == NULL || stored == NULL || stored_len != md_len
        || rounds == 0)
        result = sd_fail(error, SD_ERROR, "malformed %s secret: expected "
                         "ITERATIONS,SALT,STOREDKEY,SERVERKEY", scheme->name);
    else if (rounds > policy->limits.pbkdf2_rounds)
        result = sd_fail(error, SD_ERROR, "%s iterations %" PRIu64 " is "
                         "above the limit of %" PRIu64, scheme->name, rounds,
                         policy->limits.pbkdf2_rounds);
    else {
        /* StoredKey = H(HMAC(PBKDF2(password), "Client Key")), RFC 5802 */
        unsigned char salted[EVP_MAX_MD_SIZE], client[EVP_MAX_MD_SIZE];
        unsigned char computed[EVP_MAX_MD_SIZE];
        unsigned int client_len = 0, computed_len = 0;
        bool ok = PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt,
                                    (int)salt_len, (int)rounds, md,
                                    (int)md_len, salted) == 1
            && HMAC(md, salted, (int)md_len,
                    (const unsigned char *)"Client Key", 10, client,
                    &client_len) != NULL
            && EVP_Digest(client, client_len, computed, &computed_len, md,
                          NULL) == 1;
        result = !ok ? sd_fail(error, SD_ERROR, "%s: OpenSSL failed",
                               scheme->name)
            : CRYPTO_memcmp(computed, stored, md_len) == 0 ? SD_OK
                                                           : SD_MISMATCH;
        sd_memwipe(salted, sizeof salted);
        sd_memwipe(client, sizeof client);
        sd_memwipe(computed, sizeof computed);
    }
    g_free(salt);
    g_free(stored);
    return result;
}
