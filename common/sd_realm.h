/*
 * sd_realm.h - the realm rule: how a name that libsasl2 hands over,
 * possibly with "@realm" appended, finds its principal.
 *
 * libsasl2 appends "@REALM" to a bare name when the application set a
 * user realm, and passes a name that already holds '@' unchanged.  The
 * rule, used by every SASL-facing caller:
 *
 *   1. The name is looked up as given ("alice@example.org" may be a
 *      principal's name).
 *   2. Only when that is not found, and the text after its last '@' is
 *      the connection's realm (its user realm, or the server's host name
 *      when the application set none; compared without regard to case),
 *      the part before that '@' is tried ("alice@REALM" -> "alice").
 *
 * Storing (saslpasswd2): a bare name with a user realm set is stored as
 * "name@realm", so that what "saslpasswd2 -u REALM" creates is found by
 * a connection with that realm and by a client sending "name@realm".
 *
 * Results are those of sd_directory_lookup / sd_directory_authenticate;
 * a temporary failure of the first try is returned, never retried as
 * another name.
 */
#ifndef SD_REALM_H
#define SD_REALM_H

#include <stdbool.h>
#include <glib.h>

#include "sd_directory.h"

G_BEGIN_DECLS

/* NAME without "@REALM" or "@FQDN" (either may be NULL), or NULL when
 * NAME does not end in one of them (free it). */
char *sd_realm_strip(const char *name, const char *realm, const char *fqdn);

/* The name to store for NAME given with user realm REALM (free it). */
char *sd_realm_store_name(const char *name, const char *realm);

/* sd_directory_lookup (UNCACHED: sd_directory_lookup_uncached) with the
 * realm rule. */
sd_result sd_realm_lookup(sd_directory *directory, const char *name,
                          const char *realm, const char *fqdn,
                          bool uncached, sd_principal **principal,
                          GError **error);

/* sd_directory_authenticate with the realm rule. */
sd_result sd_realm_authenticate(sd_directory *directory, const char *name,
                                const char *realm, const char *fqdn,
                                const char *password,
                                sd_principal **principal, GError **error);

G_END_DECLS

#endif
