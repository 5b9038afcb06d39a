/*
 * sd_secret.h - verifying a password against a stored secret.
 *
 * Offers: sd_secret_verify(), which picks the scheme from the stored
 * secret's prefix in one table (as Dovecot's password-scheme table and
 * Stalwart's secret module do) and compares in constant time;
 * sd_secret_verify_dummy(), the same work spent on a secret that cannot
 * match, for names that do not exist; helpers that wipe secrets.
 *
 * Selection, as Stalwart does it: "{SCHEME}rest" names a scheme (case
 * does not matter; an unknown one is an error, never a plaintext
 * comparison); "$id$..." and "_..." are crypt(3) strings; anything else
 * is a plaintext secret; an empty secret never matches.
 *
 * Results: SD_OK (matches), SD_MISMATCH, or SD_ERROR with the reason (a
 * malformed or unsupported stored secret, or a cost beyond the limits).
 * Messages name the scheme, never the secret or the password.
 */
#ifndef SD_SECRET_H
#define SD_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#include "sd_result.h"

G_BEGIN_DECLS

sd_result sd_secret_verify(const char *stored, const char *password,
                           GError **error);

/* Spends about the time of one real verification; the answer is "no". */
void sd_secret_verify_dummy(const char *password);

/* True when STORED is a plaintext secret ({PLAIN}, {CLEAR}, no prefix). */
bool sd_secret_is_plaintext(const char *stored);

/*
 * The scheme's name for logs and the CLI ("SSHA512", "crypt/sha512",
 * "plain"...); "unknown" when the prefix names no scheme known here.
 */
const char *sd_secret_scheme_name(const char *stored);

/* Lists the schemes sd_secret_verify() understands, one name each. */
const char *const *sd_secret_scheme_names(void);

/* Overwrites LEN bytes at P in a way the compiler cannot drop. */
void sd_memwipe(void *p, size_t len);
/* Wipes and frees a NUL-terminated secret; NULL is allowed. */
void sd_secret_free(char *secret);

/* Refused before any work is done: hostile stored costs (see README). */
#define SD_SECRET_MAX_BCRYPT_COST 16
#define SD_SECRET_MAX_SHACRYPT_ROUNDS 10000000ul

G_END_DECLS

#endif
