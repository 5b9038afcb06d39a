/*
 * sd_secret.h - verifying a password against stored secrets, and making
 * new stored secrets.
 *
 * Offers: sd_secret_verify(), which picks the scheme from the stored
 * secret's prefix in one table (as Dovecot's password-scheme table and
 * Stalwart's secret module do) and compares in constant time;
 * sd_secret_verify_any(), the rule for a principal's list of secrets
 * (disabled accounts, app passwords, TOTP); sd_secret_verify_dummy(), the
 * same work spent on a secret that cannot match, for names that do not
 * exist; sd_secret_hash(), which makes a new stored secret; and
 * sd_secret_policy, the limits and generation parameters read from the
 * [secret] table of the configuration.
 *
 * Selection, as Stalwart does it: "{SCHEME}rest" names a scheme (case
 * does not matter; an unknown one is an error, never a plaintext
 * comparison); "$argon2id$", "$pbkdf2-sha256$", "$scrypt$" and the other
 * PHC strings name theirs; other "$id$..." and "_..." are crypt(3)
 * strings; "$disabled$", "$app$LABEL$SECRET" and "otpauth://totp/" are
 * Stalwart's markers; anything else is a plaintext secret; an empty
 * secret never matches.
 *
 * Results: SD_OK (matches), SD_MISMATCH, or SD_ERROR with the reason (a
 * malformed or unsupported stored secret, or a cost beyond the policy's
 * limits, refused before any work).  Messages name the scheme, never the
 * secret or the password.
 *
 * A policy is immutable once configured and may be shared by threads.
 */
#ifndef SD_SECRET_H
#define SD_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "sd_config.h"
#include "sd_result.h"

G_BEGIN_DECLS

typedef struct sd_secret_policy sd_secret_policy;

/* The built-in policy (see README, "[secret]"): never freed. */
const sd_secret_policy *sd_secret_policy_default(void);
/* A new policy holding the built-in values. */
sd_secret_policy *sd_secret_policy_new(void);
/* A new policy with POLICY's values, to change (e.g. by --param). */
sd_secret_policy *sd_secret_policy_copy(const sd_secret_policy *policy);
void sd_secret_policy_free(sd_secret_policy *policy);
/*
 * Reads the [secret] table SECTION into POLICY.  Every problem is
 * recorded on SECTION's configuration as "FILE:LINE: KEY: ..."; returns
 * false when there was one.
 */
bool sd_secret_policy_configure(sd_secret_policy *policy,
                                sd_cfg_table *section);
/*
 * Sets one generation parameter of SCHEME from text, as "sasldir hash
 * --param KEY=VALUE" does (keys: memory, time, parallelism, cost, rounds,
 * salt-length).  SD_ERROR with the reason for an unknown key, a bad
 * value, or a value beyond the policy's limits.
 */
sd_result sd_secret_policy_set_param(sd_secret_policy *policy,
                                     const char *scheme, const char *key,
                                     const char *value, GError **error);
/* The scheme sd_secret_hash() uses when given NULL ("argon2id"). */
const char *sd_secret_policy_default_scheme(const sd_secret_policy *policy);

/* Checks PASSWORD against one stored secret under the built-in policy. */
sd_result sd_secret_verify(const char *stored, const char *password,
                           GError **error);
/* The same under POLICY (NULL: the built-in one). */
sd_result sd_secret_verify_policy(const sd_secret_policy *policy,
                                  const char *stored, const char *password,
                                  GError **error);

/*
 * Checks PASSWORD against the secrets (char *) of the principal NAME of
 * directory DIRECTORY (both for messages only):
 *  - any "$disabled$" secret: the account cannot log in (SD_MISMATCH);
 *  - "$app$LABEL$SECRET": an app password; a match logs in, TOTP or not;
 *  - when an "otpauth://totp/" secret is present, PASSWORD must be
 *    "PASSWORD$CODE": the part before the last '$' matches another
 *    secret and CODE is the current TOTP code (one step either side);
 *  - a malformed secret is logged and skipped; SD_ERROR only when every
 *    secret is malformed.
 */
sd_result sd_secret_verify_any(const sd_secret_policy *policy,
                               const GPtrArray *secrets,
                               const char *password, const char *directory,
                               const char *name, GError **error);
/*
 * The same, also telling which secret matched: *MATCHED (when MATCHED
 * is not NULL) is set on SD_OK to the index in SECRETS of the secret
 * the password (without its TOTP code) matched.
 */
sd_result sd_secret_verify_any_matched(const sd_secret_policy *policy,
                                       const GPtrArray *secrets,
                                       const char *password,
                                       const char *directory,
                                       const char *name, guint *matched,
                                       GError **error);

/*
 * True when SECRETS hold a time-based one-time password: a login to such
 * a principal carries a code that is valid for a minute or so, so its
 * answer must not be remembered (a cached "password$code" would let the
 * code be replayed for the whole lifetime of the entry).
 */
bool sd_secret_is_one_time(const GPtrArray *secrets);
/* True when SECRETS hold a "$disabled$" secret: the account cannot log
 * in with any of them. */
bool sd_secret_is_disabled(const GPtrArray *secrets);

/*
 * Spends about the time of one real verification of POLICY's default
 * scheme (NULL: the built-in policy); the answer is always "no".
 */
void sd_secret_verify_dummy(const sd_secret_policy *policy,
                            const char *password);

/*
 * A new stored secret for PASSWORD in SCHEME (NULL: the policy's
 * default), with a salt from the OpenSSL CSPRNG and the policy's
 * parameters.  Free with sd_secret_free().  NULL with *ERROR set for a
 * scheme that cannot be generated.
 */
char *sd_secret_hash(const sd_secret_policy *policy, const char *scheme,
                     const char *password, GError **error);
/* The schemes sd_secret_hash() makes, NULL-terminated. */
const char *const *sd_secret_hash_schemes(void);

/* True when STORED is a plaintext secret ({PLAIN}, {CLEAR}, no prefix). */
bool sd_secret_is_plaintext(const char *stored);
/* The password a plaintext STORED holds (a pointer into STORED, after
 * its {PLAIN}/{CLEAR}/{CLEARTEXT} prefix), or NULL when STORED is not
 * plaintext. */
const char *sd_secret_plaintext(const char *stored);

/*
 * The scheme's name for logs and the CLI ("SSHA512", "sha512-crypt",
 * "argon2id", "plain"...); "unknown" when the prefix names no scheme.
 */
const char *sd_secret_scheme_name(const char *stored);

/* Lists the schemes sd_secret_verify() understands, one line each. */
const char *const *sd_secret_scheme_names(void);

/*
 * SCRAM credentials (RFC 5802) as RFC 5803 authPassword values,
 * "MECHANISM$ITERATIONS:SALT$STOREDKEY:SERVERKEY" (base64), for
 * MECHANISM "SCRAM-SHA-1" or "SCRAM-SHA-256": a new one for PASSWORD
 * (salt from the CSPRNG, iterations from [secret.scram] iterations;
 * free with sd_secret_free), a check that VALUE is well formed, and a
 * verification of PASSWORD against VALUE (SD_OK, SD_MISMATCH, SD_ERROR).
 */
char *sd_secret_scram_make(const sd_secret_policy *policy,
                           const char *mechanism, const char *password,
                           GError **error);
sd_result sd_secret_scram_check(const char *value, GError **error);
sd_result sd_secret_scram_verify(const sd_secret_policy *policy,
                                 const char *value, const char *password,
                                 GError **error);

/*
 * Is STORED weaker than what POLICY makes, so that a login should
 * replace it (options.rehash)?  The rule: a secret of any scheme other
 * than the policy's default-scheme is weaker (plaintext, {SSHA}, $1$,
 * sha512-crypt when the default is argon2id...); one of the default
 * scheme is weaker when its cost is below the policy's parameters
 * (argon2id memory or time, bcrypt cost, sha512-crypt rounds, PBKDF2
 * rounds).  An app password is judged by the secret it wraps; markers
 * ($disabled$, TOTP keys) and unknown schemes never are.
 */
bool sd_secret_is_weaker(const sd_secret_policy *policy, const char *stored);

/* Overwrites LEN bytes at P in a way the compiler cannot drop. */
void sd_memwipe(void *p, size_t len);
/* Wipes and frees a NUL-terminated secret; NULL is allowed. */
void sd_secret_free(char *secret);

G_END_DECLS

#endif
