/*
 * sd_secret_impl.h - what the files of the secret module share, and no
 * one else sees: the policy's fields, the scheme entry, the verifiers of
 * each family, and the text decoders they use.
 *
 * sd_secret.c holds the one table of schemes and the selection;
 * sd_secret_kdf.c the argon2, PBKDF2, scrypt and SCRAM verifiers;
 * sd_secret_totp.c the TOTP verifier; sd_secret_policy.c the policy and
 * sd_secret_hash.c the generators.
 */
#ifndef SD_SECRET_IMPL_H
#define SD_SECRET_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "sd_result.h"
#include "sd_secret.h"

/* Costs a stored secret may ask for; beyond them: SD_ERROR, no work. */
typedef struct sd_secret_limits {
    uint64_t argon2_memory_kib;
    uint64_t argon2_time;
    uint64_t argon2_parallelism;
    uint64_t bcrypt_cost;
    uint64_t pbkdf2_rounds;
    uint64_t scrypt_memory;         /* bytes: 128 * r * N */
    uint64_t sha_crypt_rounds;
} sd_secret_limits;

/* Parameters of the secrets sd_secret_hash() makes. */
typedef struct sd_secret_params {
    uint64_t argon2_memory_kib;
    uint64_t argon2_time;
    uint64_t argon2_parallelism;
    uint64_t bcrypt_cost;
    uint64_t yescrypt_cost;
    uint64_t sha_crypt_rounds;
    uint64_t pbkdf2_sha256_rounds;
    uint64_t pbkdf2_sha512_rounds;
    uint64_t salt_length;           /* bytes, for PBKDF2, argon2, SSHA512 */
    uint64_t scram_iterations;      /* SCRAM credentials (authPassword) */
} sd_secret_params;

struct sd_secret_policy {
    char *default_scheme;
    sd_secret_limits limits;
    sd_secret_params params;
    /* A hash of random bytes in the default scheme, made on first use
     * by sd_secret_verify_dummy() (g_once_init_enter). */
    gsize dummy;
};

typedef struct password_scheme password_scheme;
typedef sd_result (*sd_verify_fn)(const sd_secret_policy *policy,
                                  const password_scheme *scheme,
                                  const char *encoded, const char *password,
                                  GError **error);

/* How a digest scheme's value is written when no suffix says. */
enum { SD_ENC_BASE64 = 0, SD_ENC_HEX = 1 };

struct password_scheme {
    const char *name;       /* as written in braces or as the $id$ */
    sd_verify_fn verify;
    const char *digest;     /* OpenSSL's name, for digest and KDF schemes */
    bool salted;
    bool plaintext;
    int encoding;           /* digest schemes: SD_ENC_* */
};

/* Verifiers, one per family (the table in sd_secret.c names them). */
sd_result sd_verify_argon2(const sd_secret_policy *, const password_scheme *,
                           const char *, const char *, GError **);
sd_result sd_verify_pbkdf2_phc(const sd_secret_policy *,
                               const password_scheme *, const char *,
                               const char *, GError **);
sd_result sd_verify_pbkdf2_ldap(const sd_secret_policy *,
                                const password_scheme *, const char *,
                                const char *, GError **);
sd_result sd_verify_scrypt(const sd_secret_policy *, const password_scheme *,
                           const char *, const char *, GError **);
sd_result sd_verify_scram(const sd_secret_policy *, const password_scheme *,
                          const char *, const char *, GError **);
sd_result sd_verify_totp(const sd_secret_policy *, const password_scheme *,
                         const char *, const char *, GError **);

/* Checks an argon2 string's m, t and p against the limits. */
sd_result sd_check_argon2_cost(const sd_secret_limits *limits,
                               const char *encoded, GError **error);

/*
 * Decoders: a new buffer (g_free, after sd_memwipe if secret), or NULL
 * when TEXT (LEN bytes) is not entirely valid.  base64 accepts padded or
 * unpadded text and passlib's "adapted" alphabet ('.' for '+').
 */
unsigned char *sd_decode_base64(const char *text, size_t len,
                                size_t *out_len);
unsigned char *sd_decode_base64_padded(const char *text, size_t *out_len);
unsigned char *sd_decode_hex(const char *text, size_t len, size_t *out_len);

/*
 * The same decoders writing into OUT (ROOM bytes) instead of a new
 * buffer, for callers that keep small values on the stack: false when
 * TEXT is not valid (same rules as above; base64 in padded form only) or
 * decodes to more than ROOM bytes.
 */
bool sd_decode_base64_padded_into(const char *text, size_t len,
                                  unsigned char *out, size_t room,
                                  size_t *out_len);
bool sd_decode_hex_into(const char *text, size_t len, unsigned char *out,
                        size_t room, size_t *out_len);

/* Fills LEN bytes from the OpenSSL CSPRNG; aborts if it has no entropy. */
void sd_random_bytes(void *out, size_t len);

#endif
