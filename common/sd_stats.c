/*
 * sd_stats.c - cache and pool statistics as the sasldir tool and
 * sasldird's control socket show them (see sd_stats.h).
 */
#include "config.h"

#include <string.h>

#include "sd_json.h"
#include "sd_pool.h"
#include "sd_stats.h"

static void
side_text(GString *out, const char *name, const sd_cache_side_stats *side)
{
    g_string_append_printf(out, "  %-9s hits %" G_GUINT64_FORMAT ", inserts %"
                           G_GUINT64_FORMAT ", evictions %" G_GUINT64_FORMAT
                           ", expirations %" G_GUINT64_FORMAT ", replaced %"
                           G_GUINT64_FORMAT ", flushed %" G_GUINT64_FORMAT
                           ", size %" G_GUINT64_FORMAT "\n", name,
                           side->hits, side->inserts, side->evictions,
                           side->expirations, side->replaced, side->flushed,
                           side->size);
}

void
sd_stats_cache_text(sd_directory *directory, const char *owner,
                    GString *out)
{
    const char *name = sd_directory_name(directory);
    sd_cache *cache = sd_directory_cache(directory);
    if (cache == NULL) {
        g_string_append_printf(out, "directory %s: no cache (no "
                               "[directory.\"%s\".cache] section)\n", name,
                               name);
        return;
    }
    const sd_cache_config *config = sd_cache_get_config(cache);
    g_string_append_printf(out, "directory %s: cache of %s: %"
                           G_GUINT64_FORMAT " entries per kind and side, "
                           "ttl positive %" G_GUINT64_FORMAT " ms, negative %"
                           G_GUINT64_FORMAT " ms, %u shards\n", name, owner,
                           config->entries, config->ttl_positive_ms,
                           config->ttl_negative_ms, config->shards);
    for (int k = 0; k < SD_CACHE_KINDS; k++) {
        sd_cache_stats stats;
        sd_cache_get_stats(cache, (sd_cache_kind)k, &stats);
        g_string_append_printf(out, "%s: misses %" G_GUINT64_FORMAT
                               ", lock waits %" G_GUINT64_FORMAT "\n",
                               sd_cache_kind_name((sd_cache_kind)k),
                               stats.misses, stats.lock_waits);
        side_text(out, "positive", &stats.positive);
        side_text(out, "negative", &stats.negative);
    }
}

void
sd_stats_cache_json(sd_directory *directory, const char *scope,
                    GString *out)
{
    const char *name = sd_directory_name(directory);
    g_string_append(out, "{\"directory\":");
    sd_json_append_string(out, name, strlen(name));
    sd_cache *cache = sd_directory_cache(directory);
    if (cache == NULL) {
        g_string_append(out, ",\"cache\":null}");
        return;
    }
    const sd_cache_config *config = sd_cache_get_config(cache);
    g_string_append(out, ",\"scope\":");
    sd_json_append_string(out, scope, strlen(scope));
    g_string_append_printf(out, ",\"entries\":%" G_GUINT64_FORMAT
                           ",\"ttl_positive_ms\":%" G_GUINT64_FORMAT
                           ",\"ttl_negative_ms\":%" G_GUINT64_FORMAT
                           ",\"shards\":%u,\"kinds\":",
                           config->entries, config->ttl_positive_ms,
                           config->ttl_negative_ms, config->shards);
    sd_cache_stats_to_json(cache, out);
    g_string_append_c(out, '}');
}

uint64_t
sd_stats_cache_flush(sd_directory *directory, sd_cache_kind kind,
                     const char *name, const char *owner, GString *out)
{
    uint64_t dropped = sd_directory_cache_flush(directory, kind, name);
    g_string_append_printf(out, "directory %s: %s; flushed %"
                           G_GUINT64_FORMAT " entries from %s's cache\n",
                           sd_directory_name(directory),
                           sd_directory_cache(directory) != NULL
                           ? "cache" : "no cache", dropped, owner);
    return dropped;
}

void
sd_stats_pool_text(sd_directory *directory, GString *out)
{
    sd_pool *pool = sd_directory_pool(directory);
    if (pool == NULL)
        return;
    const sd_pool_settings *settings = sd_pool_get_settings(pool);
    sd_pool_stats stats;
    sd_pool_get_stats(pool, &stats);
    char *line = sd_pool_stats_format(&stats);
    g_string_append_printf(out, "%s: %s; max-connections %u, "
                           "min-connections %u\n",
                           sd_directory_name(directory), line,
                           settings->max_connections,
                           settings->min_connections);
    g_free(line);
}
