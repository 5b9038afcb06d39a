/*
 * sd_address.h - e-mail addresses and domains as directories compare them.
 *
 * Offers: normalization (addresses and domains compare case-insensitively;
 * an internationalized domain is turned into its A-label form, so
 * "bücher.example" and "xn--bcher-kva.example" are one domain), and
 * sd_address_mapping, Stalwart's options.subaddressing and
 * options.catch-all: off, on, or a regular expression whose capture
 * groups fill a template ("${1}", "${2}"...).  Matching is GLib's GRegex
 * (PCRE); nothing here matches patterns by hand.
 *
 * Failure modes: normalization refuses what cannot be an address or a
 * domain (empty, control characters, no '@', an unconvertible domain,
 * longer than SD_ADDRESS_MAX) with a reason; a bad regular expression or
 * template is refused when the mapping is built, naming the problem.
 */
#ifndef SD_ADDRESS_H
#define SD_ADDRESS_H

#include <stdbool.h>
#include <glib.h>

G_BEGIN_DECLS

/* RFC 5321 limits a path to 256 octets; leave room for A-label growth. */
#define SD_ADDRESS_MAX 512

/*
 * Returns the comparison form of ADDRESS (local part lowercased, domain
 * in lowercase A-label form), or NULL with *ERROR set.  The local part
 * may be empty ("@example.org" is how a catch-all address is written).
 */
char *sd_address_normalize(const char *address, GError **error);

/* The same for a domain alone. */
char *sd_domain_normalize(const char *domain, GError **error);

typedef struct sd_address_mapping sd_address_mapping;

sd_address_mapping *sd_address_mapping_new_enabled(bool enabled);
/* A custom mapping: REGEX is matched against the address; TEMPLATE's
 * ${N} are replaced by capture N (${0}: the whole match). */
sd_address_mapping *sd_address_mapping_new_custom(const char *regex,
                                                  const char *template_text,
                                                  GError **error);
void sd_address_mapping_free(sd_address_mapping *mapping);

/* "off", "on", or "map" (custom). */
const char *sd_address_mapping_describe(const sd_address_mapping *mapping);

/*
 * Subaddressing: "user+tag@domain" -> "user@domain" when on; the
 * template's result when custom and the expression matches; otherwise a
 * copy of ADDRESS.  ADDRESS should be normalized; so is the result.
 */
char *sd_address_mapping_subaddress(const sd_address_mapping *mapping,
                                    const char *address);

/*
 * Catch-all: "user@domain" -> "@domain" when on; the template's result
 * when custom and the expression matches; NULL otherwise.
 */
char *sd_address_mapping_catch_all(const sd_address_mapping *mapping,
                                   const char *address);

G_END_DECLS

#endif
