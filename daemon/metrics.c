/*
 * metrics.c - sasldird's counters and their Prometheus text rendering
 * (see metrics.h).
 *
 * Counting must cost nothing a worker would notice and never block, so
 * every counter is a C11 atomic incremented with relaxed order (each is
 * an independent count; a scrape that sees one a moment before another
 * is still a correct scrape).  Counters per directory live in a small
 * fixed table: a directory's slot is claimed once, under a mutex, and
 * found afterwards by a scan of the claimed slots without any lock
 * (the name pointer is published with release order after the slot is
 * ready).  Names come from the registry, so the table holds every
 * directory of any sane configuration; should a configuration have
 * more, the rest share one slot labelled "(other)" rather than grow the
 * table while workers read it.  Slots stay across reloads: Prometheus
 * counters must never go backwards.
 */
#include "config.h"

#include <stdatomic.h>
#include <string.h>

#include "metrics.h"
#include "sd_pool.h"

/* ------------------------------------------------------------------ */
/* The counters                                                        */
/* ------------------------------------------------------------------ */

#define RESULTS 5               /* SD_OK .. SD_ERROR */
#define DIRECTORY_SLOTS 64      /* the last one is "(other)" */
#define OTHER "(other)"

/* Upper bounds of the latency buckets, in microseconds: 100 us to 10 s. */
static const int64_t bucket_us[] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
    250000, 500000, 1000000, 2500000, 5000000, 10000000,
};
#define BUCKETS G_N_ELEMENTS(bucket_us)

typedef struct directory_slot {
    _Atomic(const char *) name;         /* interned; NULL = free */
    atomic_uint_least64_t auth[RESULTS];
    atomic_uint_least64_t bucket[BUCKETS + 1];  /* the last: over 10 s */
    atomic_uint_least64_t sum_us;
} directory_slot;

static directory_slot slots[DIRECTORY_SLOTS];
static atomic_uint slots_used;
static GMutex slots_lock;

static const char *const protocols[] = { "saslauthd", "socketmap",
                                         "control", "other" };
static atomic_uint_least64_t requests[G_N_ELEMENTS(protocols)][RESULTS];

static const char *const refusals[] = { "max-clients", "queue-full",
                                        "bad-frame", "timeout",
                                        "not-allowed", "other" };
static atomic_uint_least64_t refused[G_N_ELEMENTS(refusals)];

static atomic_uint_least64_t penalty_delayed;

static void
bump(atomic_uint_least64_t *counter, uint64_t by)
{
    atomic_fetch_add_explicit(counter, by, memory_order_relaxed);
}

static uint64_t
read_counter(atomic_uint_least64_t *counter)
{
    return atomic_load_explicit(counter, memory_order_relaxed);
}

/* The label value of RESULT (sd_result_name has spaces). */
static const char *
result_label(sd_result result)
{
    static const char *const labels[RESULTS] = {
        "ok", "notfound", "mismatch", "tempfail", "error",
    };
    return (unsigned)result < RESULTS ? labels[result] : "error";
}

static unsigned
result_index(sd_result result)
{
    return (unsigned)result < RESULTS ? (unsigned)result : SD_ERROR;
}

/* NAME's index in TABLE, or the last one ("other"). */
static size_t
label_index(const char *const *table, size_t n, const char *name)
{
    for (size_t i = 0; name != NULL && i + 1 < n; i++)
        if (strcmp(table[i], name) == 0)
            return i;
    return n - 1;
}

static directory_slot *
find_slot(const char *name, unsigned used)
{
    for (unsigned i = 0; i < used; i++) {
        const char *slot_name = atomic_load_explicit(&slots[i].name,
                                                     memory_order_acquire);
        if (slot_name != NULL && strcmp(slot_name, name) == 0)
            return &slots[i];
    }
    return NULL;
}

/* The slot of directory NAME, claimed on first use. */
static directory_slot *
slot_of(const char *name)
{
    if (name == NULL || *name == '\0')
        name = OTHER;
    unsigned used = atomic_load_explicit(&slots_used, memory_order_acquire);
    directory_slot *slot = find_slot(name, used);
    if (slot != NULL)
        return slot;
    g_mutex_lock(&slots_lock);
    used = atomic_load_explicit(&slots_used, memory_order_acquire);
    slot = find_slot(name, used);
    if (slot == NULL) {
        if (used + 1 >= DIRECTORY_SLOTS)
            name = OTHER;
        slot = find_slot(name, used);
    }
    if (slot == NULL) {
        slot = &slots[used];
        atomic_store_explicit(&slot->name, g_intern_string(name),
                              memory_order_release);
        atomic_store_explicit(&slots_used, used + 1, memory_order_release);
    }
    g_mutex_unlock(&slots_lock);
    return slot;
}

void
metrics_count_auth(const char *directory, sd_result result,
                   int64_t elapsed_us)
{
    directory_slot *slot = slot_of(directory);
    bump(&slot->auth[result_index(result)], 1);
    if (elapsed_us < 0)
        elapsed_us = 0;
    size_t b = 0;
    while (b < BUCKETS && elapsed_us > bucket_us[b])
        b++;
    bump(&slot->bucket[b], 1);
    bump(&slot->sum_us, (uint64_t)elapsed_us);
}

void
metrics_count_request(const char *protocol, sd_result result)
{
    size_t p = label_index(protocols, G_N_ELEMENTS(protocols), protocol);
    bump(&requests[p][result_index(result)], 1);
}

void
metrics_count_refused(const char *reason)
{
    bump(&refused[label_index(refusals, G_N_ELEMENTS(refusals), reason)],
         1);
}

void
metrics_count_penalty(void)
{
    bump(&penalty_delayed, 1);
}

/* ------------------------------------------------------------------ */
/* Rendering                                                           */
/* ------------------------------------------------------------------ */

/* A label value: backslash, double quote and newline escaped. */
static void
append_label(GString *out, const char *name, const char *value)
{
    g_string_append_printf(out, "%s=\"", name);
    for (const char *c = value; *c != '\0'; c++) {
        if (*c == '\\')
            g_string_append(out, "\\\\");
        else if (*c == '"')
            g_string_append(out, "\\\"");
        else if (*c == '\n')
            g_string_append(out, "\\n");
        else
            g_string_append_c(out, *c);
    }
    g_string_append_c(out, '"');
}

static void
family(GString *out, const char *name, const char *type, const char *help)
{
    g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
                           name, type);
}

/* MICROSECONDS as seconds in FORMAT, with a '.' whatever the locale. */
static const char *
seconds(char *buffer, size_t size, const char *format, int64_t microseconds)
{
    return g_ascii_formatd(buffer, (gint)size, format,
                           (double)microseconds / 1e6);
}

static void
render_auth(GString *out)
{
    char number[G_ASCII_DTOSTR_BUF_SIZE];
    unsigned used = atomic_load_explicit(&slots_used, memory_order_acquire);
    family(out, "sasldird_auth_total", "counter",
           "saslauthd-protocol authentications by directory and result.");
    for (unsigned i = 0; i < used; i++) {
        const char *name = atomic_load_explicit(&slots[i].name,
                                                memory_order_acquire);
        for (unsigned r = 0; r < RESULTS; r++) {
            g_string_append(out, "sasldird_auth_total{");
            append_label(out, "directory", name);
            g_string_append_c(out, ',');
            append_label(out, "result", result_label((sd_result)r));
            g_string_append_printf(out, "} %" G_GUINT64_FORMAT "\n",
                                   read_counter(&slots[i].auth[r]));
        }
    }
    family(out, "sasldird_auth_duration_seconds", "histogram",
           "Authentication latency: from the client's arrival to the "
           "verdict, penalty delay excluded.");
    for (unsigned i = 0; i < used; i++) {
        const char *name = atomic_load_explicit(&slots[i].name,
                                                memory_order_acquire);
        uint64_t cumulative = 0;
        for (size_t b = 0; b <= BUCKETS; b++) {
            cumulative += read_counter(&slots[i].bucket[b]);
            g_string_append(out, "sasldird_auth_duration_seconds_bucket{");
            append_label(out, "directory", name);
            if (b < BUCKETS)
                g_string_append_printf(out, ",le=\"%s\"} ",
                                       seconds(number, sizeof number, "%g",
                                               bucket_us[b]));
            else
                g_string_append(out, ",le=\"+Inf\"} ");
            g_string_append_printf(out, "%" G_GUINT64_FORMAT "\n",
                                   cumulative);
        }
        g_string_append(out, "sasldird_auth_duration_seconds_sum{");
        append_label(out, "directory", name);
        g_string_append_printf(out, "} %s\n",
                               seconds(number, sizeof number, "%.6f",
                                       (int64_t)read_counter(&slots[i].sum_us)));
        g_string_append(out, "sasldird_auth_duration_seconds_count{");
        append_label(out, "directory", name);
        g_string_append_printf(out, "} %" G_GUINT64_FORMAT "\n", cumulative);
    }
}

static void
render_daemon(GString *out)
{
    family(out, "sasldird_requests_total", "counter",
           "socketmap and control requests by protocol and result.");
    for (size_t p = 0; p < G_N_ELEMENTS(protocols); p++)
        for (unsigned r = 0; r < RESULTS; r++) {
            g_string_append(out, "sasldird_requests_total{");
            append_label(out, "protocol", protocols[p]);
            g_string_append_c(out, ',');
            append_label(out, "result", result_label((sd_result)r));
            g_string_append_printf(out, "} %" G_GUINT64_FORMAT "\n",
                                   read_counter(&requests[p][r]));
        }
    family(out, "sasldird_refused_total", "counter",
           "Connections and requests refused, by reason.");
    for (size_t i = 0; i < G_N_ELEMENTS(refusals); i++) {
        g_string_append(out, "sasldird_refused_total{");
        append_label(out, "reason", refusals[i]);
        g_string_append_printf(out, "} %" G_GUINT64_FORMAT "\n",
                               read_counter(&refused[i]));
    }
    family(out, "sasldird_penalty_delayed_total", "counter",
           "Replies held back by the failed-login penalty.");
    g_string_append_printf(out, "sasldird_penalty_delayed_total %"
                           G_GUINT64_FORMAT "\n",
                           read_counter(&penalty_delayed));
}

/* One sample of a cache family: {directory,kind[,side]} VALUE. */
static void
cache_sample(GString *out, const char *metric, const char *directory,
             sd_cache_kind kind, const char *side, uint64_t value)
{
    g_string_append_printf(out, "%s{", metric);
    append_label(out, "directory", directory);
    g_string_append_c(out, ',');
    append_label(out, "kind", sd_cache_kind_name(kind));
    if (side != NULL) {
        g_string_append_c(out, ',');
        append_label(out, "side", side);
    }
    g_string_append_printf(out, "} %" G_GUINT64_FORMAT "\n", value);
}

/* The fields of sd_cache_side_stats the cache families show. */
enum side_field { HITS, EVICTIONS, EXPIRATIONS, ENTRIES };

static uint64_t
side_field(const sd_cache_side_stats *side, enum side_field field)
{
    switch (field) {
    case HITS:        return side->hits;
    case EVICTIONS:   return side->evictions;
    case EXPIRATIONS: return side->expirations;
    case ENTRIES:     return side->size;
    }
    return 0;
}

static void
render_cache(GString *out, const GPtrArray *directories)
{
    static const struct {
        const char *name, *type, *help;
        int field;              /* an enum side_field, or -1: misses */
    } families[] = {
        { "sasldir_cache_hits_total", "counter",
          "Cache answers, by directory, kind and side.", HITS },
        { "sasldir_cache_misses_total", "counter",
          "Cache lookups that found nothing valid.", -1 },
        { "sasldir_cache_evictions_total", "counter",
          "Entries dropped to make room.", EVICTIONS },
        { "sasldir_cache_expirations_total", "counter",
          "Entries dropped because their TTL ran out.", EXPIRATIONS },
        { "sasldir_cache_entries", "gauge",
          "Entries held now.", ENTRIES },
    };
    for (size_t f = 0; f < G_N_ELEMENTS(families); f++) {
        family(out, families[f].name, families[f].type, families[f].help);
        for (guint i = 0; i < directories->len; i++) {
            sd_directory *directory = g_ptr_array_index(directories, i);
            sd_cache *cache = sd_directory_cache(directory);
            if (cache == NULL)
                continue;
            const char *name = sd_directory_name(directory);
            for (int k = 0; k < SD_CACHE_KINDS; k++) {
                sd_cache_stats stats;
                sd_cache_get_stats(cache, (sd_cache_kind)k, &stats);
                if (families[f].field < 0) {
                    cache_sample(out, families[f].name, name,
                                 (sd_cache_kind)k, NULL, stats.misses);
                    continue;
                }
                enum side_field field = (enum side_field)families[f].field;
                cache_sample(out, families[f].name, name, (sd_cache_kind)k,
                             "positive", side_field(&stats.positive, field));
                cache_sample(out, families[f].name, name, (sd_cache_kind)k,
                             "negative", side_field(&stats.negative, field));
            }
        }
    }
}

static void
render_pool(GString *out, const GPtrArray *directories)
{
    static const struct {
        const char *name, *type, *help;
    } families[] = {
        { "sasldir_pool_open", "gauge", "Connections open or opening." },
        { "sasldir_pool_idle", "gauge", "Connections idle in the pool." },
        { "sasldir_pool_in_use", "gauge", "Connections lent out." },
        { "sasldir_pool_waits_total", "counter",
          "Callers that had to wait for a connection." },
        { "sasldir_pool_wait_timeouts_total", "counter",
          "Callers that waited in vain." },
        { "sasldir_pool_create_failures_total", "counter",
          "Connections that could not be opened." },
    };
    for (size_t f = 0; f < G_N_ELEMENTS(families); f++) {
        family(out, families[f].name, families[f].type, families[f].help);
        for (guint i = 0; i < directories->len; i++) {
            sd_directory *directory = g_ptr_array_index(directories, i);
            sd_pool *pool = sd_directory_pool(directory);
            if (pool == NULL)
                continue;
            sd_pool_stats stats;
            sd_pool_get_stats(pool, &stats);
            const uint64_t values[] = {
                stats.open, stats.idle, stats.in_use, stats.waits,
                stats.wait_timeouts, stats.create_failures,
            };
            g_string_append_printf(out, "%s{", families[f].name);
            append_label(out, "directory", sd_directory_name(directory));
            g_string_append_printf(out, "} %" G_GUINT64_FORMAT "\n",
                                   values[f]);
        }
    }
}

void
metrics_render(sd_registry *registry, GString *out)
{
    render_auth(out);
    render_daemon(out);
    if (registry == NULL)
        return;
    const GPtrArray *directories = sd_registry_directories(registry);
    render_cache(out, directories);
    render_pool(out, directories);
}
