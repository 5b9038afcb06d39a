/*
 * sd_pool.c - the generic connection pool (see sd_pool.h).
 *
 * One mutex guards everything; callbacks that may block (create,
 * validate, destroy) always run with it released, so a slow server never
 * holds up callers that could use an idle connection or give one back.
 * A slot is counted in `open` from the moment its creation starts, so
 * max-connections holds even while connections are being opened.
 */
#include "config.h"

#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "sd_pool.h"

#define DEFAULT_MAX_CONNECTIONS 10
#define DEFAULT_TIMEOUT_MS (30u * 1000u)
/* Far more than any server accepts from one client. */
#define MAX_CONNECTIONS_LIMIT 10000

typedef struct pool_slot {
    void *connection;
    gint64 checked_us;      /* last created, validated or used */
} pool_slot;

struct sd_pool {
    char *name;
    sd_pool_ops ops;
    void *context;
    sd_pool_settings settings;

    GMutex lock;
    GCond freed;            /* a slot became idle or open went down */
    pid_t pid;              /* the process the connections belong to */
    GQueue idle;            /* pool_slot*, most recently used first */
    GHashTable *in_use;     /* connection -> pool_slot* */
    sd_pool_stats stats;    /* open/idle/in_use kept up to date */
};

/* ------------------------------------------------------------------ */
/* Settings                                                            */
/* ------------------------------------------------------------------ */

void
sd_pool_settings_default(sd_pool_settings *settings)
{
    settings->max_connections = DEFAULT_MAX_CONNECTIONS;
    settings->min_connections = 0;
    settings->timeout_create_ms = DEFAULT_TIMEOUT_MS;
    settings->timeout_wait_ms = DEFAULT_TIMEOUT_MS;
    settings->timeout_recycle_ms = DEFAULT_TIMEOUT_MS;
}

void
sd_pool_settings_read(sd_cfg_table *section, sd_pool_settings *settings)
{
    sd_pool_settings_default(settings);
    sd_cfg_table pool;
    if (sd_cfg_get_table(section, "pool", &pool) != SD_CFG_FOUND)
        return;
    int64_t max = settings->max_connections, min = 0;
    sd_cfg_get_int(&pool, "max-connections", 1, MAX_CONNECTIONS_LIMIT, &max);
    if (sd_cfg_get_int(&pool, "min-connections", 0, MAX_CONNECTIONS_LIMIT,
                       &min) == SD_CFG_FOUND && min > max)
        sd_cfg_error(&pool, "min-connections", 0, "%" G_GINT64_FORMAT " is "
                     "more than max-connections (%" G_GINT64_FORMAT ")",
                     min, max);
    settings->max_connections = (unsigned)max;
    settings->min_connections = (unsigned)MIN(min, max);
    sd_cfg_table timeout;
    if (sd_cfg_get_table(&pool, "timeout", &timeout) == SD_CFG_FOUND) {
        sd_cfg_get_duration(&timeout, "create", &settings->timeout_create_ms);
        sd_cfg_get_duration(&timeout, "wait", &settings->timeout_wait_ms);
        sd_cfg_get_duration(&timeout, "recycle",
                            &settings->timeout_recycle_ms);
        sd_cfg_table_clear(&timeout);
    }
    sd_cfg_table_clear(&pool);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

sd_pool *
sd_pool_new(const char *name, const sd_pool_ops *ops, void *context,
            const sd_pool_settings *settings)
{
    sd_pool *pool = g_new0(sd_pool, 1);
    pool->name = g_strdup(name);
    pool->ops = *ops;
    pool->context = context;
    pool->settings = *settings;
    if (pool->settings.max_connections == 0)
        pool->settings.max_connections = 1;
    g_mutex_init(&pool->lock);
    g_cond_init(&pool->freed);
    pool->pid = getpid();
    g_queue_init(&pool->idle);
    pool->in_use = g_hash_table_new(g_direct_hash, g_direct_equal);
    return pool;
}

/*
 * Frees every slot, idle or lent out, and closes the idle connections
 * when CLOSE_IDLE.  Connections lent out are never closed here: a caller
 * may still be using them (or, after a fork, the parent is).
 */
static void
drop_slots(sd_pool *pool, bool close_idle)
{
    pool_slot *slot;
    while ((slot = g_queue_pop_head(&pool->idle)) != NULL) {
        if (close_idle)
            pool->ops.destroy(pool->context, slot->connection);
        g_free(slot);
    }
    GHashTableIter iter;
    gpointer value;
    g_hash_table_iter_init(&iter, pool->in_use);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        g_free(value);
    g_hash_table_remove_all(pool->in_use);
}

void
sd_pool_free(sd_pool *pool)
{
    if (pool == NULL)
        return;
    drop_slots(pool, pool->pid == getpid());
    g_hash_table_unref(pool->in_use);
    g_cond_clear(&pool->freed);
    g_mutex_clear(&pool->lock);
    g_free(pool->name);
    g_free(pool);
}

const char *
sd_pool_name(const sd_pool *pool)
{
    return pool->name;
}

const sd_pool_settings *
sd_pool_get_settings(const sd_pool *pool)
{
    return &pool->settings;
}

/*
 * Called with the lock held.  In a child of the process that opened the
 * connections, forgets them all without closing them: the parent still
 * talks over those sockets, and a protocol goodbye from the child would
 * end the parent's session.  Their memory is left behind on purpose.
 */
static void
forget_after_fork(sd_pool *pool)
{
    pid_t now = getpid();
    if (G_LIKELY(pool->pid == now))
        return;
    drop_slots(pool, false);
    memset(&pool->stats, 0, sizeof pool->stats);
    pool->pid = now;
}

/* With the lock held: one slot fewer is open; wake a waiter. */
static void
slot_closed(sd_pool *pool)
{
    pool->stats.open--;
    g_cond_signal(&pool->freed);
}

/* ------------------------------------------------------------------ */
/* Acquire and release                                                 */
/* ------------------------------------------------------------------ */

static bool
needs_check(const sd_pool *pool, const pool_slot *slot, gint64 now_us)
{
    return now_us - slot->checked_us
           > (gint64)pool->settings.timeout_recycle_ms * 1000;
}

/*
 * Called with the lock held and an idle slot popped (counted in use).
 * Checks it with the lock released if it has been idle too long.
 * Returns true when it may be handed out; otherwise it is gone.
 */
static bool
take_idle(sd_pool *pool, pool_slot *slot)
{
    gint64 now = g_get_monotonic_time();
    if (!needs_check(pool, slot, now))
        return true;
    /* Even above min-connections a ping beats opening a new one: the
     * caller needs a connection now. */
    g_mutex_unlock(&pool->lock);
    bool ok = pool->ops.validate == NULL
              || pool->ops.validate(pool->context, slot->connection);
    if (!ok)
        pool->ops.destroy(pool->context, slot->connection);
    g_mutex_lock(&pool->lock);
    if (ok) {
        slot->checked_us = g_get_monotonic_time();
        return true;
    }
    pool->stats.discarded++;
    pool->stats.in_use--;
    slot_closed(pool);
    g_free(slot);
    return false;
}

/* Called with the lock held and a slot reserved in `open`. */
static sd_result
create_slot(sd_pool *pool, pool_slot **out, GError **error)
{
    pool->stats.in_use++;
    g_mutex_unlock(&pool->lock);
    GError *create_error = NULL;
    void *connection = pool->ops.create(pool->context,
                                        pool->settings.timeout_create_ms,
                                        &create_error);
    g_mutex_lock(&pool->lock);
    if (connection == NULL) {
        pool->stats.create_failures++;
        pool->stats.in_use--;
        slot_closed(pool);
        sd_fail(error, SD_TEMPFAIL, "%s: cannot connect: %s", pool->name,
                create_error != NULL ? create_error->message
                                     : "unknown error");
        g_clear_error(&create_error);
        return SD_TEMPFAIL;
    }
    pool->stats.created++;
    pool_slot *slot = g_new0(pool_slot, 1);
    slot->connection = connection;
    slot->checked_us = g_get_monotonic_time();
    *out = slot;
    return SD_OK;
}

sd_result
sd_pool_acquire(sd_pool *pool, void **connection, GError **error)
{
    gint64 deadline = g_get_monotonic_time()
                      + (gint64)pool->settings.timeout_wait_ms * 1000;
    bool waited = false;
    sd_result result = SD_OK;
    pool_slot *slot = NULL;

    g_mutex_lock(&pool->lock);
    forget_after_fork(pool);
    while (slot == NULL) {
        if (pool->idle.length > 0) {
            slot = g_queue_pop_head(&pool->idle);
            pool->stats.idle--;
            pool->stats.in_use++;
            if (!take_idle(pool, slot))
                slot = NULL;
            continue;
        }
        if (pool->stats.open < pool->settings.max_connections) {
            pool->stats.open++;
            result = create_slot(pool, &slot, error);
            if (result != SD_OK)
                break;
            continue;
        }
        if (!waited) {
            waited = true;
            pool->stats.waits++;
        }
        if (!g_cond_wait_until(&pool->freed, &pool->lock, deadline)
            && pool->idle.length == 0
            && pool->stats.open >= pool->settings.max_connections) {
            pool->stats.wait_timeouts++;
            result = sd_fail(error, SD_TEMPFAIL, "%s: all %u connections "
                             "are busy and none was free within %" G_GUINT64_FORMAT
                             " ms (pool.timeout.wait)", pool->name,
                             pool->settings.max_connections,
                             pool->settings.timeout_wait_ms);
            break;
        }
    }
    if (slot != NULL)
        g_hash_table_insert(pool->in_use, slot->connection, slot);
    g_mutex_unlock(&pool->lock);
    if (slot != NULL)
        *connection = slot->connection;
    return result;
}

/* With the lock held: closes idle connections above min-connections
 * that have been idle longer than timeout.recycle; returns them in
 * DOOMED for destruction once the lock is released. */
static void
prune_idle(sd_pool *pool, GPtrArray *doomed)
{
    gint64 now = g_get_monotonic_time();
    while (pool->stats.open > pool->settings.min_connections
           && pool->idle.length > 0) {
        pool_slot *oldest = g_queue_peek_tail(&pool->idle);
        if (!needs_check(pool, oldest, now))
            break;
        g_queue_pop_tail(&pool->idle);
        pool->stats.idle--;
        slot_closed(pool);
        g_ptr_array_add(doomed, oldest->connection);
        g_free(oldest);
    }
}

void
sd_pool_release(sd_pool *pool, void *connection, bool broken)
{
    GPtrArray *doomed = g_ptr_array_new();
    g_mutex_lock(&pool->lock);
    forget_after_fork(pool);
    pool_slot *slot = g_hash_table_lookup(pool->in_use, connection);
    if (slot == NULL) {
        /* Opened by the parent before a fork: not ours to close. */
        g_mutex_unlock(&pool->lock);
        g_ptr_array_unref(doomed);
        return;
    }
    g_hash_table_remove(pool->in_use, connection);
    pool->stats.in_use--;
    if (broken) {
        pool->stats.discarded++;
        slot_closed(pool);
        g_ptr_array_add(doomed, connection);
        g_free(slot);
    } else {
        prune_idle(pool, doomed);
        slot->checked_us = g_get_monotonic_time();
        g_queue_push_head(&pool->idle, slot);
        pool->stats.idle++;
        g_cond_signal(&pool->freed);
    }
    g_mutex_unlock(&pool->lock);
    for (guint i = 0; i < doomed->len; i++)
        pool->ops.destroy(pool->context, g_ptr_array_index(doomed, i));
    g_ptr_array_unref(doomed);
}

void
sd_pool_get_stats(sd_pool *pool, sd_pool_stats *stats)
{
    g_mutex_lock(&pool->lock);
    forget_after_fork(pool);
    *stats = pool->stats;
    g_mutex_unlock(&pool->lock);
}

char *
sd_pool_stats_format(const sd_pool_stats *stats)
{
    return g_strdup_printf("open %u, idle %u, in use %u, created %"
                           G_GUINT64_FORMAT ", waits %" G_GUINT64_FORMAT
                           ", wait timeouts %" G_GUINT64_FORMAT
                           ", create failures %" G_GUINT64_FORMAT
                           ", discarded %" G_GUINT64_FORMAT,
                           stats->open, stats->idle, stats->in_use,
                           stats->created, stats->waits,
                           stats->wait_timeouts, stats->create_failures,
                           stats->discarded);
}
