/*
 * sd_secret_scram.c - SCRAM credentials for new passwords (RFC 5802),
 * written as RFC 5803 authPassword values for the auxprop plugin, and
 * the rule that says when a stored secret is weaker than the policy's
 * default (the internal directory's options.rehash).
 *
 * Offers: sd_secret_scram_make() (salt from the OpenSSL CSPRNG,
 * iterations from [secret.scram]), sd_secret_scram_check() (is a value
 * well formed), sd_secret_scram_verify() (checks a password against a
 * value with the {SCRAM-SHA-*} verifier of sd_secret_kdf.c, so one
 * derivation serves both forms), and sd_secret_is_weaker().
 *
 * Failure modes: an unknown mechanism, a malformed value, or iterations
 * beyond [secret.limits] pbkdf2-rounds are SD_ERROR with the reason;
 * messages never hold the password.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sd_secret_impl.h"

/* The SCRAM mechanisms sasldir writes credentials for. */
static const struct {
    const char *mechanism;  /* authPassword scheme, RFC 5803 */
    const char *digest;     /* OpenSSL's name */
} mechanisms[] = {
    { "SCRAM-SHA-1", "SHA1" },
    { "SCRAM-SHA-256", "SHA256" },
};

#define SALT_LENGTH 16

static const EVP_MD *
mechanism_digest(const char *mechanism)
{
    for (size_t i = 0; i < G_N_ELEMENTS(mechanisms); i++)
        if (strcmp(mechanisms[i].mechanism, mechanism) == 0)
            return EVP_get_digestbyname(mechanisms[i].digest);
    return NULL;
}

/* StoredKey and ServerKey of PASSWORD (RFC 5802, section 3). */
static bool
derive(const EVP_MD *md, const char *password, const unsigned char *salt,
       size_t salt_len, uint64_t iterations, unsigned char *stored,
       unsigned char *server)
{
    size_t md_len = (size_t)EVP_MD_get_size(md);
    unsigned char salted[EVP_MAX_MD_SIZE], client[EVP_MAX_MD_SIZE];
    unsigned int client_len = 0, stored_len = 0, server_len = 0;
    bool ok = PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt,
                                (int)salt_len, (int)iterations, md,
                                (int)md_len, salted) == 1
        && HMAC(md, salted, (int)md_len, (const unsigned char *)"Client Key",
                10, client, &client_len) != NULL
        && EVP_Digest(client, client_len, stored, &stored_len, md, NULL) == 1
        && HMAC(md, salted, (int)md_len, (const unsigned char *)"Server Key",
                10, server, &server_len) != NULL;
    sd_memwipe(salted, sizeof salted);
    sd_memwipe(client, sizeof client);
    return ok;
}

char *
sd_secret_scram_make(const sd_secret_policy *policy, const char *mechanism,
                     const char *password, GError **error)
{
    if (policy == NULL)
        policy = sd_secret_policy_default();
    const EVP_MD *md = mechanism_digest(mechanism);
    if (md == NULL) {
        sd_fail(error, SD_ERROR, "cannot make credentials for '%s' (known: "
                "SCRAM-SHA-1, SCRAM-SHA-256)", mechanism);
        return NULL;
    }
    uint64_t iterations = policy->params.scram_iterations;
    size_t md_len = (size_t)EVP_MD_get_size(md);
    unsigned char salt[SALT_LENGTH];
    unsigned char stored[EVP_MAX_MD_SIZE], server[EVP_MAX_MD_SIZE];
    sd_random_bytes(salt, sizeof salt);
    if (!derive(md, password, salt, sizeof salt, iterations, stored,
                server)) {
        sd_fail(error, SD_ERROR, "%s: OpenSSL failed", mechanism);
        return NULL;
    }
    char *salt_text = g_base64_encode(salt, sizeof salt);
    char *stored_text = g_base64_encode(stored, md_len);
    char *server_text = g_base64_encode(server, md_len);
    char *value = g_strdup_printf("%s$%" PRIu64 ":%s$%s:%s", mechanism,
                                  iterations, salt_text, stored_text,
                                  server_text);
    g_free(salt_text);
    sd_secret_free(stored_text);
    sd_secret_free(server_text);
    sd_memwipe(stored, sizeof stored);
    sd_memwipe(server, sizeof server);
    return value;
}

/*
 * Splits VALUE ("MECH$ITER:SALT$STORED:SERVER") into the {SCRAM-*}
 * form of Dovecot ("{MECH}ITER,SALT,STORED,SERVER") that sd_verify_scram
 * reads; NULL when it is not of that shape.
 */
static char *
as_dovecot(const char *value, GError **error)
{
    gchar **halves = g_strsplit(value, "$", 4);
    gchar **left = NULL, **right = NULL;
    char *out = NULL;
    if (g_strv_length(halves) == 3 && mechanism_digest(halves[0]) != NULL) {
        left = g_strsplit(halves[1], ":", 3);
        right = g_strsplit(halves[2], ":", 3);
        if (g_strv_length(left) == 2 && g_strv_length(right) == 2)
            out = g_strdup_printf("{%s}%s,%s,%s,%s", halves[0], left[0],
                                  left[1], right[0], right[1]);
    }
    if (out == NULL)
        sd_fail(error, SD_ERROR, "malformed authPassword: expected "
                "SCRAM-SHA-1 or SCRAM-SHA-256 $ITERATIONS:SALT$STOREDKEY:"
                "SERVERKEY");
    g_strfreev(halves);
    g_strfreev(left);
    g_strfreev(right);
    return out;
}

sd_result
sd_secret_scram_check(const char *value, GError **error)
{
    char *dovecot = as_dovecot(value, error);
    if (dovecot == NULL)
        return SD_ERROR;
    /* The shape is right; the verifier checks every field's encoding
     * and length, so ask it with a password that is never used. */
    GError *cause = NULL;
    sd_result result = sd_secret_verify_policy(NULL, dovecot, "", &cause);
    g_free(dovecot);
    if (result == SD_ERROR) {
        sd_fail(error, SD_ERROR, "malformed authPassword: %s",
                cause->message);
        g_error_free(cause);
        return SD_ERROR;
    }
    g_clear_error(&cause);
    /* The ServerKey is not checked by verification: check its size. */
    gchar **parts = g_strsplit_set(value, "$:", 6);
    size_t len = 0;
    unsigned char *server = sd_decode_base64_padded(parts[4], &len);
    const EVP_MD *md = mechanism_digest(parts[0]);
    bool ok = server != NULL && md != NULL
              && len == (size_t)EVP_MD_get_size(md);
    g_free(server);
    g_strfreev(parts);
    if (!ok)
        return sd_fail(error, SD_ERROR, "malformed authPassword: the "
                       "ServerKey is not a base64 digest of the right size");
    return SD_OK;
}

sd_result
sd_secret_scram_verify(const sd_secret_policy *policy, const char *value,
                       const char *password, GError **error)
{
    char *dovecot = as_dovecot(value, error);
    if (dovecot == NULL)
        return SD_ERROR;
    sd_result result = sd_secret_verify_policy(policy, dovecot, password,
                                               error);
    g_free(dovecot);
    return result;
}

/* ------------------------------------------------------------------ */
/* Weaker than the default (options.rehash)                            */
/* ------------------------------------------------------------------ */

/* The value of "KEY=NUMBER" in TEXT, or 0. */
static uint64_t
number_after(const char *text, const char *key)
{
    const char *at = strstr(text, key);
    if (at == NULL)
        return 0;
    guint64 value = 0;
    return g_ascii_string_to_unsigned(at + strlen(key), 10, 0, G_MAXUINT64,
                                      &value, NULL)
        ? value : (uint64_t)g_ascii_strtoull(at + strlen(key), NULL, 10);
}

/* Does STORED, of the default scheme NAME, cost less than the policy's
 * parameters would make?  Schemes whose cost sasldir does not parse
 * (yescrypt, SSHA512) are never weaker by cost. */
static bool
cheaper_than_policy(const sd_secret_policy *policy, const char *name,
                    const char *stored)
{
    const sd_secret_params *p = &policy->params;
    if (strcmp(name, "argon2id") == 0)
        return number_after(stored, "m=") < p->argon2_memory_kib
            || number_after(stored, "t=") < p->argon2_time;
    if (strcmp(name, "bcrypt") == 0)
        return strlen(stored) > 6
            && g_ascii_strtoull(stored + 4, NULL, 10) < p->bcrypt_cost;
    if (strcmp(name, "sha512-crypt") == 0) {
        uint64_t rounds = number_after(stored, "rounds=");
        return (rounds != 0 ? rounds : 5000) < p->sha_crypt_rounds;
    }
    if (strcmp(name, "pbkdf2-sha256") == 0)
        return number_after(stored, "i=") < p->pbkdf2_sha256_rounds;
    if (strcmp(name, "pbkdf2-sha512") == 0)
        return number_after(stored, "i=") < p->pbkdf2_sha512_rounds;
    return false;
}

bool
sd_secret_is_weaker(const sd_secret_policy *policy, const char *stored)
{
    if (policy == NULL)
        policy = sd_secret_policy_default();
    if (g_str_has_prefix(stored, "$app$")) {
        const char *inner = strchr(stored + strlen("$app$"), '$');
        return inner != NULL && sd_secret_is_weaker(policy, inner + 1);
    }
    if (*stored == '\0' || g_str_has_prefix(stored, "$disabled$")
        || g_str_has_prefix(stored, "otpauth://"))
        return false;
    const char *name = sd_secret_scheme_name(stored);
    if (strcmp(name, "unknown") == 0)
        return false;
    if (g_ascii_strcasecmp(name, policy->default_scheme) != 0)
        return true;
    return cheaper_than_policy(policy, policy->default_scheme, stored);
}
