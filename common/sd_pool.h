/*
 * sd_pool.h - a generic, bounded, thread-safe and fork-safe pool of
 * connections to one server, shared by every directory type that talks
 * to a server (sql today; ldap and smtp/lmtp/imap later).
 *
 * Offers: sd_pool, created with three callbacks (create, validate,
 * destroy) that know the protocol; the pool itself knows nothing of it.
 * sd_pool_acquire() hands out a connection, sd_pool_release() gives it
 * back (saying whether it broke).  Settings follow Stalwart's
 * [directory."<name>".pool] keys, read by sd_pool_settings_read():
 *
 *   max-connections  never more than this many open at once (default 10)
 *   min-connections  this many are kept open when idle (default 0)
 *   timeout.create   a connection is made within this or the caller gets
 *                    SD_TEMPFAIL (the create callback enforces it)
 *   timeout.wait     how long a caller waits for a free connection when
 *                    max-connections are busy, then SD_TEMPFAIL
 *   timeout.recycle  a connection idle or unchecked for longer is
 *                    validated (ping) before reuse, and replaced if the
 *                    check fails; idle ones above min-connections are
 *                    closed instead
 *
 * Fork safety: the pool remembers the pid that opened each connection.
 * When a child process (new pid) uses the pool, every inherited
 * connection is forgotten without being closed (closing would send a
 * protocol goodbye on a socket the parent still uses) and the counters
 * start again from zero; the child then opens its own.
 *
 * Results: sd_pool_acquire() returns SD_OK, or SD_TEMPFAIL with *ERROR
 * naming the pool when no connection could be had in time.
 */
#ifndef SD_POOL_H
#define SD_POOL_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "sd_config.h"
#include "sd_result.h"

G_BEGIN_DECLS

typedef struct sd_pool sd_pool;

typedef struct sd_pool_ops {
    /* Opens a connection within TIMEOUT_MS; NULL with *ERROR if not. */
    void *(*create)(void *context, uint64_t timeout_ms, GError **error);
    /* Is CONNECTION still usable (a ping)?  NULL: always assumed so. */
    bool (*validate)(void *context, void *connection);
    /* Closes CONNECTION and frees it. */
    void (*destroy)(void *context, void *connection);
} sd_pool_ops;

typedef struct sd_pool_settings {
    unsigned max_connections;
    unsigned min_connections;
    uint64_t timeout_create_ms;
    uint64_t timeout_wait_ms;
    uint64_t timeout_recycle_ms;
} sd_pool_settings;

/* Counters of one pool; the first three are a snapshot, the others
 * count events since the pool was made (or since a fork). */
typedef struct sd_pool_stats {
    unsigned open;          /* open or being opened */
    unsigned idle;
    unsigned in_use;
    uint64_t created;       /* connections opened */
    uint64_t waits;         /* callers that had to wait */
    uint64_t wait_timeouts; /* callers that waited in vain */
    uint64_t create_failures;
    uint64_t discarded;     /* broken or failed validation */
} sd_pool_stats;

/* Stalwart's defaults: 10, 0, and 30 s for each timeout. */
void sd_pool_settings_default(sd_pool_settings *settings);
/*
 * Reads [SECTION.pool] into SETTINGS (defaults for what is absent);
 * problems are recorded as configuration errors.
 */
void sd_pool_settings_read(sd_cfg_table *section, sd_pool_settings *settings);

/* NAME (copied) names the pool in messages, e.g. the directory name. */
sd_pool *sd_pool_new(const char *name, const sd_pool_ops *ops, void *context,
                     const sd_pool_settings *settings);
/* Destroys every idle connection; none may be in use. */
void sd_pool_free(sd_pool *pool);

const char *sd_pool_name(const sd_pool *pool);
const sd_pool_settings *sd_pool_get_settings(const sd_pool *pool);

/* A free connection, or a new one; SD_OK or SD_TEMPFAIL. */
sd_result sd_pool_acquire(sd_pool *pool, void **connection, GError **error);
/* Gives CONNECTION back; BROKEN: it failed and must be destroyed. */
void sd_pool_release(sd_pool *pool, void *connection, bool broken);

void sd_pool_get_stats(sd_pool *pool, sd_pool_stats *stats);
/* "open N, idle N, in use N, ..." on one line (free it). */
char *sd_pool_stats_format(const sd_pool_stats *stats);

G_END_DECLS

#endif
