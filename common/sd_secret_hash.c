/*
 * sd_secret_hash.c - new stored secrets (see sd_secret_hash() in
 * sd_secret.h): argon2id (libargon2), bcrypt, yescrypt and sha512-crypt
 * (libxcrypt's crypt_gensalt_rn and crypt_rn), PBKDF2-SHA256/512 in the
 * PHC form Stalwart writes, and {SSHA512}.  Salts come from the OpenSSL
 * CSPRNG; costs from the policy.  Every output is one that
 * sd_secret_verify() and the tool that knows the scheme accept.
 */
#include "config.h"

#include <crypt.h>
#include <inttypes.h>
#include <string.h>

#include <argon2.h>
#include <openssl/evp.h>

#include "sd_secret_impl.h"

typedef char *(*hash_fn)(const sd_secret_policy *policy, const char *scheme,
                         const char *password, GError **error);

static char *hash_argon2id(const sd_secret_policy *, const char *,
                           const char *, GError **);
static char *hash_crypt(const sd_secret_policy *, const char *, const char *,
                        GError **);
static char *hash_pbkdf2(const sd_secret_policy *, const char *,
                         const char *, GError **);
static char *hash_ssha512(const sd_secret_policy *, const char *,
                          const char *, GError **);

static const struct {
    const char *name;
    hash_fn hash;
} generators[] = {
    { "argon2id", hash_argon2id },
    { "bcrypt", hash_crypt },
    { "yescrypt", hash_crypt },
    { "sha512-crypt", hash_crypt },
    { "pbkdf2-sha256", hash_pbkdf2 },
    { "pbkdf2-sha512", hash_pbkdf2 },
    { "ssha512", hash_ssha512 },
};

const char *const *
sd_secret_hash_schemes(void)
{
    static const char *const names[G_N_ELEMENTS(generators) + 1] = {
        "argon2id", "bcrypt", "yescrypt", "sha512-crypt", "pbkdf2-sha256",
        "pbkdf2-sha512", "ssha512", NULL,
    };
    return names;
}

char *
sd_secret_hash(const sd_secret_policy *policy, const char *scheme,
               const char *password, GError **error)
{
    if (policy == NULL)
        policy = sd_secret_policy_default();
    if (scheme == NULL)
        scheme = policy->default_scheme;
    for (size_t i = 0; i < G_N_ELEMENTS(generators); i++)
        if (g_ascii_strcasecmp(generators[i].name, scheme) == 0)
            return generators[i].hash(policy, generators[i].name, password,
                                      error);
    char *known = g_strjoinv(", ", (char **)sd_secret_hash_schemes());
    sd_fail(error, SD_ERROR, "cannot generate scheme '%s' (known: %s)",
            scheme, known);
    g_free(known);
    return NULL;
}

/* Base64 without padding, as PHC strings write it. */
static char *
base64_unpadded(const unsigned char *data, size_t len)
{
    char *text = g_base64_encode(data, len);
    char *pad = strchr(text, '=');
    if (pad != NULL)
        *pad = '\0';
    return text;
}

static char *
hash_argon2id(const sd_secret_policy *policy, const char *scheme,
              const char *password, GError **error)
{
    (void)scheme;
    const sd_secret_params *p = &policy->params;
    unsigned char salt[64];
    sd_random_bytes(salt, p->salt_length);
    size_t size = argon2_encodedlen((uint32_t)p->argon2_time,
                                    (uint32_t)p->argon2_memory_kib,
                                    (uint32_t)p->argon2_parallelism,
                                    (uint32_t)p->salt_length, 32,
                                    Argon2_id);
    char *encoded = g_malloc0(size);
    int rc = argon2id_hash_encoded((uint32_t)p->argon2_time,
                                   (uint32_t)p->argon2_memory_kib,
                                   (uint32_t)p->argon2_parallelism, password,
                                   strlen(password), salt, p->salt_length,
                                   32, encoded, size);
    if (rc != ARGON2_OK) {
        g_free(encoded);
        sd_fail(error, SD_ERROR, "argon2id: %s", argon2_error_message(rc));
        return NULL;
    }
    return encoded;
}

static char *
hash_crypt(const sd_secret_policy *policy, const char *scheme,
           const char *password, GError **error)
{
    const sd_secret_params *p = &policy->params;
    const char *prefix = "$6$";
    unsigned long count = (unsigned long)p->sha_crypt_rounds;
    if (strcmp(scheme, "bcrypt") == 0) {
        prefix = "$2b$";
        count = (unsigned long)p->bcrypt_cost;
    } else if (strcmp(scheme, "yescrypt") == 0) {
        prefix = "$y$";
        count = (unsigned long)p->yescrypt_cost;
    }
    unsigned char random_bytes[16];
    sd_random_bytes(random_bytes, sizeof random_bytes);
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn(prefix, count, (const char *)random_bytes,
                         sizeof random_bytes, setting, sizeof setting)
        == NULL) {
        sd_fail(error, SD_ERROR, "%s: libxcrypt refused cost %lu", scheme,
                count);
        return NULL;
    }
    struct crypt_data *data = g_malloc0(sizeof *data);
    const char *hash = crypt_rn(password, setting, data, sizeof *data);
    char *copy = hash != NULL && hash[0] != '*' ? g_strdup(hash) : NULL;
    sd_memwipe(data, sizeof *data);
    g_free(data);
    if (copy == NULL)
        sd_fail(error, SD_ERROR, "%s: libxcrypt failed", scheme);
    return copy;
}

static char *
hash_pbkdf2(const sd_secret_policy *policy, const char *scheme,
            const char *password, GError **error)
{
    bool sha512 = strcmp(scheme, "pbkdf2-sha512") == 0;
    const EVP_MD *md = sha512 ? EVP_sha512() : EVP_sha256();
    uint64_t rounds = sha512 ? policy->params.pbkdf2_sha512_rounds
                             : policy->params.pbkdf2_sha256_rounds;
    size_t key_len = (size_t)EVP_MD_get_size(md);
    size_t salt_len = (size_t)policy->params.salt_length;
    unsigned char salt[64], key[EVP_MAX_MD_SIZE];
    sd_random_bytes(salt, salt_len);
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt,
                          (int)salt_len, (int)rounds, md, (int)key_len, key)
        != 1) {
        sd_fail(error, SD_ERROR, "%s: OpenSSL PBKDF2 failed", scheme);
        return NULL;
    }
    char *salt_text = base64_unpadded(salt, salt_len);
    char *key_text = base64_unpadded(key, key_len);
    char *out = g_strdup_printf("$%s$i=%" PRIu64 ",l=%zu$%s$%s", scheme,
                                rounds, key_len, salt_text, key_text);
    sd_memwipe(key, sizeof key);
    g_free(salt_text);
    sd_secret_free(key_text);
    return out;
}

static char *
hash_ssha512(const sd_secret_policy *policy, const char *scheme,
             const char *password, GError **error)
{
    size_t salt_len = (size_t)policy->params.salt_length;
    unsigned char buffer[64 + 64];
    unsigned int digest_len = 0;
    sd_random_bytes(buffer + 64, salt_len);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha512(), NULL)
        && EVP_DigestUpdate(ctx, password, strlen(password))
        && EVP_DigestUpdate(ctx, buffer + 64, salt_len)
        && EVP_DigestFinal_ex(ctx, buffer, &digest_len);
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        sd_fail(error, SD_ERROR, "%s: OpenSSL digest failed", scheme);
        return NULL;
    }
    char *text = g_base64_encode(buffer, 64 + salt_len);
    char *out = g_strconcat("{SSHA512}", text, NULL);
    sd_memwipe(buffer, sizeof buffer);
    sd_secret_free(text);
    return out;
}
