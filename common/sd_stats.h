/*
 * sd_stats.h - a directory's cache and pool statistics as text and JSON,
 * and flushing a cache with a report, for the two programs that show
 * them: the sasldir tool (its own process's cache and pools) and
 * sasldird's control socket (the daemon's, shared by the host).  One
 * home for these formats, so "sasldir cache stats" reads the same
 * whether the daemon or the tool answers.
 *
 * OWNER names whose cache it is, as it reads after "cache of"
 * ("this sasldir process", "sasldird"); SCOPE is the JSON "scope" value
 * ("process", "sasldird").  Every function appends to OUT.
 */
#ifndef SD_STATS_H
#define SD_STATS_H

#include <glib.h>

#include "sd_directory.h"

G_BEGIN_DECLS

/* "directory D: cache of OWNER: N entries per kind ..." then one block
 * per kind; or "directory D: no cache (...)". */
void sd_stats_cache_text(sd_directory *directory, const char *owner,
                         GString *out);
/* {"directory":"D","scope":SCOPE,"entries":..,"kinds":{..}} or
 * {"directory":"D","cache":null}. */
void sd_stats_cache_json(sd_directory *directory, const char *scope,
                         GString *out);
/* Drops KIND's entries (SD_CACHE_ANY_KIND: all), NAME's only when NAME
 * is not NULL, and appends "directory D: cache; flushed N entries from
 * OWNER's cache".  Returns N. */
uint64_t sd_stats_cache_flush(sd_directory *directory, sd_cache_kind kind,
                              const char *name, const char *owner,
                              GString *out);
/* "D: open N, idle N, ...; max-connections N, min-connections N" for a
 * directory with a pool; nothing for one without. */
void sd_stats_pool_text(sd_directory *directory, GString *out);

G_END_DECLS

#endif
