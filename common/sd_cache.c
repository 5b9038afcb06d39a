/*
 * sd_cache.c - sharded LRU caches with positive and negative TTLs (see
 * sd_cache.h).
 *
 * Layout: a cache is an array of shards; a shard holds, per kind, one
 * GHashTable (a set of entries, hashed by their key) and two LRU lists
 * (positive, negative) threaded through the entries themselves, so a
 * get, a put and an eviction are O(1) with no allocation besides the
 * entry.  An entry is one allocation: header, key bytes, value bytes.
 *
 * The shard locks are POSIX mutexes rather than GMutex: GLib implements
 * GMutex with raw futexes on Linux, which Helgrind and DRD cannot see,
 * and the concurrency test runs under Helgrind.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "sd_cache.h"
#include "sd_log.h"
#include "sd_secret.h"

enum { SIDE_POSITIVE = 0, SIDE_NEGATIVE = 1, SIDES = 2 };

typedef struct entry {
    struct entry *newer;        /* towards the head (most recent) */
    struct entry *older;
    int64_t expires;            /* monotonic microseconds */
    uint32_t hash;
    uint32_t name_hash;
    uint32_t value_len;
    uint16_t key_len;
    uint8_t side;
    uint8_t result;             /* an sd_result */
    /* key_len bytes of key, then value_len bytes of value */
} entry;

typedef struct lru {
    entry *head;                /* most recently used */
    entry *tail;
    uint64_t count;
} lru;

typedef struct kind_table {
    GHashTable *entries;        /* set of entry* */
    lru sides[SIDES];
    sd_cache_stats stats;       /* size fields are filled in on demand */
} kind_table;

typedef struct shard {
    pthread_mutex_t lock;
    uint64_t capacity;          /* per kind and side */
    kind_table kinds[SD_CACHE_KINDS];
} shard;

struct sd_cache {
    sd_cache_config config;
    shard *shards;
};

static const char *const kind_names[SD_CACHE_KINDS] = {
    "principal", "credentials", "rcpt", "domain",
};

const char *
sd_cache_kind_name(sd_cache_kind kind)
{
    return kind < SD_CACHE_KINDS ? kind_names[kind] : "any";
}

bool
sd_cache_kind_parse(const char *text, sd_cache_kind *kind)
{
    for (int i = 0; i < SD_CACHE_KINDS; i++) {
        if (strcmp(text, kind_names[i]) == 0) {
            *kind = (sd_cache_kind)i;
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------ */
/* Entries and LRU lists                                               */
/* ------------------------------------------------------------------ */

static unsigned char *
entry_key(const entry *e)
{
    return (unsigned char *)(e + 1);
}

static unsigned char *
entry_value(const entry *e)
{
    return entry_key(e) + e->key_len;
}

static size_t
entry_size(const entry *e)
{
    return sizeof(entry) + e->key_len + e->value_len;
}

static guint
entry_hash(gconstpointer p)
{
    return ((const entry *)p)->hash;
}

static gboolean
entry_equal(gconstpointer a, gconstpointer b)
{
    const entry *x = a, *y = b;
    return x->key_len == y->key_len
        && memcmp(entry_key(x), entry_key(y), x->key_len) == 0;
}

static void
lru_push_head(lru *list, entry *e)
{
    e->newer = NULL;
    e->older = list->head;
    if (list->head != NULL)
        list->head->newer = e;
    else
        list->tail = e;
    list->head = e;
    list->count++;
}

static void
lru_unlink(lru *list, entry *e)
{
    if (e->newer != NULL)
        e->newer->older = e->older;
    else
        list->head = e->older;
    if (e->older != NULL)
        e->older->newer = e->newer;
    else
        list->tail = e->newer;
    list->count--;
}

/* Frees E after wiping it: a credential key is a keyed hash, but an
 * HMAC of a password is still nothing to leave in freed memory. */
static void
entry_free(entry *e)
{
    sd_memwipe(e, entry_size(e));
    g_free(e);
}

/* Unlinks E from its table and list and frees it. */
static void
entry_drop(kind_table *table, entry *e)
{
    g_hash_table_remove(table->entries, e);
    lru_unlink(&table->sides[e->side], e);
    entry_free(e);
}

static sd_cache_side_stats *
side_stats(kind_table *table, unsigned side)
{
    return side == SIDE_POSITIVE ? &table->stats.positive
                                 : &table->stats.negative;
}

/* ------------------------------------------------------------------ */
/* Keys                                                                */
/* ------------------------------------------------------------------ */

/*
 * The process-wide HMAC key and, per thread, a MAC context keyed with
 * it: re-initialising a keyed HMAC context reuses its precomputed pads,
 * which is what keeps a credential lookup well under a microsecond.
 *
 * A thread's first key takes setup_lock (making the key, if no thread
 * did yet, and the thread's context); later ones only read their own
 * thread-local pointer.  A plain mutex rather than pthread_once, whose
 * lock-free fast path Helgrind cannot follow.
 *
 * The HMAC method object is shared; re-initialising a context takes and
 * drops references on it atomically.  A library context per thread,
 * which avoids that, measured no better (bench/cache, hits per
 * CPU-second with two threads), so the simpler form stays.
 */
static pthread_mutex_t setup_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char hmac_key[32];
static EVP_MAC *hmac_algorithm;
static bool hmac_setup_done, hmac_ready;
static pthread_key_t hmac_context_key;
static _Thread_local EVP_MAC_CTX *thread_context;

static void
hmac_context_free(void *context)
{
    EVP_MAC_CTX_free(context);
}

/* Called once, under setup_lock. */
static void
hmac_setup(void)
{
    hmac_setup_done = true;
    if (RAND_bytes(hmac_key, (int)sizeof hmac_key) != 1) {
        sd_log(SD_LOG_ERROR, "cache: no random bytes for the credential "
               "key; credentials will not be cached");
        return;
    }
    hmac_algorithm = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (hmac_algorithm == NULL
        || pthread_key_create(&hmac_context_key, hmac_context_free) != 0) {
        sd_log(SD_LOG_ERROR, "cache: HMAC is not available; credentials "
               "will not be cached");
        return;
    }
    hmac_ready = true;
}

/* Under setup_lock: this thread's keyed context, or NULL. */
static EVP_MAC_CTX *
hmac_context_new(void)
{
    if (!hmac_setup_done)
        hmac_setup();
    if (!hmac_ready)
        return NULL;
    EVP_MAC_CTX *context = EVP_MAC_CTX_new(hmac_algorithm);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                         (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    if (context == NULL
        || EVP_MAC_init(context, hmac_key, sizeof hmac_key, params) != 1
        || pthread_setspecific(hmac_context_key, context) != 0) {
        sd_log(SD_LOG_ERROR, "cache: HMAC-SHA-256 is not available; "
               "credentials will not be cached");
        EVP_MAC_CTX_free(context);
        return NULL;
    }
    return context;
}

static EVP_MAC_CTX *
hmac_context(void)
{
    if (thread_context == NULL) {
        pthread_mutex_lock(&setup_lock);
        thread_context = hmac_context_new();
        pthread_mutex_unlock(&setup_lock);
    }
    return thread_context;
}

static void
put_length(unsigned char *out, size_t len)
{
    out[0] = (unsigned char)(len >> 24);
    out[1] = (unsigned char)(len >> 16);
    out[2] = (unsigned char)(len >> 8);
    out[3] = (unsigned char)len;
}

/*
 * HMAC-SHA-256(key, len(name) name len(password) password) into OUT,
 * lengths as 4 bytes big-endian.  The password goes straight from the
 * caller's buffer into the MAC, no copy of it is made here, and
 * OpenSSL's SHA-256 wipes its block buffer when it finishes.
 */
static bool
credential_mac(const char *name, size_t name_len, const char *password,
               unsigned char out[32])
{
    EVP_MAC_CTX *context = hmac_context();
    if (context == NULL || name_len > SD_CACHE_KEY_MAX)
        return false;
    /* The name and both lengths in one update: fewer calls through the
     * provider, which is most of the cost of a short MAC. */
    unsigned char head[4 + SD_CACHE_KEY_MAX + 4];
    size_t password_len = strlen(password);
    put_length(head, name_len);
    memcpy(head + 4, name, name_len);
    put_length(head + 4 + name_len, password_len);
    size_t out_len = 0;
    return EVP_MAC_init(context, NULL, 0, NULL) == 1
        && EVP_MAC_update(context, head, 8 + name_len) == 1
        && EVP_MAC_update(context, (const unsigned char *)password,
                          password_len) == 1
        && EVP_MAC_final(context, out, &out_len, 32) == 1 && out_len == 32;
}

bool
sd_cache_key_init(sd_cache_key *key, sd_cache_kind kind, const char *text,
                  const char *password)
{
    size_t len = strlen(text);
    key->kind = kind;
    key->name_hash = g_str_hash(text);
    if (kind == SD_CACHE_CREDENTIALS) {
        if (password == NULL || !credential_mac(text, len, password,
                                                key->bytes))
            return false;
        key->len = 32;
        memcpy(&key->hash, key->bytes, sizeof key->hash);
        return true;
    }
    if (len > SD_CACHE_KEY_MAX)
        return false;
    memcpy(key->bytes, text, len);
    key->len = len;
    key->hash = key->name_hash;
    return true;
}

/* ------------------------------------------------------------------ */
/* The cache                                                           */
/* ------------------------------------------------------------------ */

static int64_t
monotonic_clock(void *context)
{
    (void)context;
    return g_get_monotonic_time();
}

sd_cache *
sd_cache_new(const sd_cache_config *config)
{
    sd_cache *cache = g_new0(sd_cache, 1);
    cache->config = *config;
    if (cache->config.entries == 0)
        cache->config.entries = 1;
    if (cache->config.clock == NULL)
        cache->config.clock = monotonic_clock;
    /* By default a shard per 64 entries: fewer, larger shards keep the
     * LRU order closer to the whole cache's and leave room in a shard
     * for a name's several entries (they share one); 16 are plenty for
     * the threads of one process. */
    unsigned shards = cache->config.shards;
    if (shards == 0)
        shards = (unsigned)MIN(cache->config.entries / SD_CACHE_SHARD_ENTRIES,
                               SD_CACHE_MAX_SHARDS);
    if (shards == 0 || shards > SD_CACHE_MAX_SHARDS)
        shards = shards == 0 ? 1 : SD_CACHE_MAX_SHARDS;
    /* Every shard holds at least one entry, and the shares add up to
     * exactly `entries`. */
    if (shards > cache->config.entries)
        shards = (unsigned)cache->config.entries;
    cache->config.shards = shards;
    cache->shards = g_new0(shard, shards);
    for (unsigned i = 0; i < shards; i++) {
        shard *s = &cache->shards[i];
        pthread_mutex_init(&s->lock, NULL);
        s->capacity = cache->config.entries / shards
            + (i < cache->config.entries % shards ? 1 : 0);
        for (int k = 0; k < SD_CACHE_KINDS; k++)
            s->kinds[k].entries = g_hash_table_new(entry_hash, entry_equal);
    }
    return cache;
}

static void
kind_table_clear(kind_table *table)
{
    for (int side = 0; side < SIDES; side++) {
        entry *e = table->sides[side].head;
        while (e != NULL) {
            entry *older = e->older;
            entry_free(e);
            e = older;
        }
        table->sides[side] = (lru){ 0 };
    }
    g_hash_table_remove_all(table->entries);
}

void
sd_cache_free(sd_cache *cache)
{
    if (cache == NULL)
        return;
    for (unsigned i = 0; i < cache->config.shards; i++) {
        shard *s = &cache->shards[i];
        for (int k = 0; k < SD_CACHE_KINDS; k++) {
            kind_table_clear(&s->kinds[k]);
            g_hash_table_unref(s->kinds[k].entries);
        }
        pthread_mutex_destroy(&s->lock);
    }
    g_free(cache->shards);
    g_free(cache);
}

const sd_cache_config *
sd_cache_get_config(const sd_cache *cache)
{
    return &cache->config;
}

static shard *
shard_of(const sd_cache *cache, uint32_t name_hash)
{
    /* Fibonacci hashing spreads djb2's weak low bits over the shards. */
    uint32_t mixed = name_hash * 2654435769u;
    return &cache->shards[(uint64_t)mixed * cache->config.shards >> 32];
}

/* Takes S's lock, counting in TABLE the times another thread held it:
 * the measure of how much the threads fight over the shards. */
static void
lock_counted(shard *s, kind_table *table)
{
    if (pthread_mutex_trylock(&s->lock) == 0)
        return;
    pthread_mutex_lock(&s->lock);
    table->stats.lock_waits++;
}

/* A stack entry holding KEY, to look it up in a hash table. */
typedef union probe {
    entry header;
    unsigned char bytes[sizeof(entry) + SD_CACHE_KEY_MAX];
} probe;

static const entry *
probe_init(probe *p, const sd_cache_key *key)
{
    memset(&p->header, 0, sizeof p->header);
    p->header.hash = key->hash;
    p->header.key_len = (uint16_t)key->len;
    memcpy(entry_key(&p->header), key->bytes, key->len);
    return &p->header;
}

static void
copy_value_out(const entry *e, void **value, size_t *value_len)
{
    if (value == NULL)
        return;
    *value = e->value_len > 0 ? g_memdup2(entry_value(e), e->value_len)
                              : NULL;
    if (value_len != NULL)
        *value_len = e->value_len;
}

static bool
cache_get(sd_cache *cache, const sd_cache_key *key, sd_result *result,
          void **value, size_t *value_len, bool count_miss)
{
    probe p;
    const entry *wanted = probe_init(&p, key);
    int64_t now = cache->config.clock(cache->config.clock_context);
    shard *s = shard_of(cache, key->name_hash);
    kind_table *table = &s->kinds[key->kind];

    lock_counted(s, table);
    entry *e = g_hash_table_lookup(table->entries, wanted);
    bool hit = false;
    if (e != NULL && now >= e->expires) {
        side_stats(table, e->side)->expirations++;
        entry_drop(table, e);
    } else if (e != NULL) {
        lru *list = &table->sides[e->side];
        lru_unlink(list, e);
        lru_push_head(list, e);
        side_stats(table, e->side)->hits++;
        *result = (sd_result)e->result;
        copy_value_out(e, value, value_len);
        hit = true;
    }
    if (!hit && count_miss)
        table->stats.misses++;
    pthread_mutex_unlock(&s->lock);
    sd_memwipe(&p, sizeof(entry) + key->len);
    return hit;
}

bool
sd_cache_get(sd_cache *cache, const sd_cache_key *key, sd_result *result,
             void **value, size_t *value_len)
{
    return cache_get(cache, key, result, value, value_len, true);
}

bool
sd_cache_peek(sd_cache *cache, const sd_cache_key *key, sd_result *result)
{
    return cache_get(cache, key, result, NULL, NULL, false);
}

static entry *
entry_new(const sd_cache_key *key, unsigned side, sd_result result,
          int64_t expires, const void *value, size_t len)
{
    entry *e = g_malloc(sizeof(entry) + key->len + len);
    e->newer = e->older = NULL;
    e->expires = expires;
    e->hash = key->hash;
    e->name_hash = key->name_hash;
    e->value_len = (uint32_t)len;
    e->key_len = (uint16_t)key->len;
    e->side = (uint8_t)side;
    e->result = (uint8_t)result;
    memcpy(entry_key(e), key->bytes, key->len);
    if (len > 0)
        memcpy(entry_value(e), value, len);
    return e;
}

/* Makes room for one entry on SIDE: the least recently used one goes. */
static void
make_room(kind_table *table, unsigned side, uint64_t capacity, int64_t now)
{
    lru *list = &table->sides[side];
    while (list->count >= capacity && list->tail != NULL) {
        entry *victim = list->tail;
        if (now >= victim->expires)
            side_stats(table, side)->expirations++;
        else
            side_stats(table, side)->evictions++;
        entry_drop(table, victim);
    }
}

void
sd_cache_put(sd_cache *cache, const sd_cache_key *key, sd_result result,
             const void *value, size_t len)
{
    unsigned side;
    uint64_t ttl_ms;
    if (result == SD_OK) {
        side = SIDE_POSITIVE;
        ttl_ms = cache->config.ttl_positive_ms;
    } else if (result == SD_NOTFOUND || result == SD_MISMATCH) {
        side = SIDE_NEGATIVE;
        ttl_ms = cache->config.ttl_negative_ms;
    } else {
        return;     /* only definite answers are kept */
    }
    if (ttl_ms == 0 || key->len > SD_CACHE_KEY_MAX || len > UINT32_MAX)
        return;
    int64_t now = cache->config.clock(cache->config.clock_context);
    uint64_t ttl_us = ttl_ms > UINT64_MAX / 1000 ? UINT64_MAX
                                                 : ttl_ms * 1000;
    int64_t expires = ttl_us > (uint64_t)(INT64_MAX - now)
        ? INT64_MAX : now + (int64_t)ttl_us;
    entry *fresh = entry_new(key, side, result, expires, value, len);

    shard *s = shard_of(cache, key->name_hash);
    kind_table *table = &s->kinds[key->kind];
    lock_counted(s, table);
    entry *old = g_hash_table_lookup(table->entries, fresh);
    if (old != NULL) {
        side_stats(table, old->side)->replaced++;
        entry_drop(table, old);
    }
    make_room(table, side, s->capacity, now);
    g_hash_table_add(table->entries, fresh);
    lru_push_head(&table->sides[side], fresh);
    side_stats(table, side)->inserts++;
    pthread_mutex_unlock(&s->lock);
}

/* Drops from TABLE the entries that NAME (with its hash) names. */
static uint64_t
flush_name_in(kind_table *table, sd_cache_kind kind, const char *name,
              size_t name_len, uint32_t name_hash)
{
    uint64_t dropped = 0;
    for (unsigned side = 0; side < SIDES; side++) {
        entry *e = table->sides[side].head;
        while (e != NULL) {
            entry *older = e->older;
            bool match = kind == SD_CACHE_CREDENTIALS
                ? e->name_hash == name_hash
                : e->key_len == name_len
                  && memcmp(entry_key(e), name, name_len) == 0;
            if (match) {
                side_stats(table, side)->flushed++;
                entry_drop(table, e);
                dropped++;
            }
            e = older;
        }
    }
    return dropped;
}

static uint64_t
flush_all_in(kind_table *table)
{
    uint64_t dropped = 0;
    for (unsigned side = 0; side < SIDES; side++) {
        side_stats(table, side)->flushed += table->sides[side].count;
        dropped += table->sides[side].count;
    }
    kind_table_clear(table);
    return dropped;
}

/*
 * Flushing a name walks that name's shard only: every entry of a name
 * is there.  The walk is linear in the shard's size, which is fine for
 * what calls it (administrators and directory writes, not logins); an
 * exact key is found by the hash table in the principal, rcpt and domain
 * kinds, but the credentials kind must look at every entry anyway.
 */
uint64_t
sd_cache_flush(sd_cache *cache, sd_cache_kind kind, const char *name)
{
    uint64_t dropped = 0;
    size_t name_len = name != NULL ? strlen(name) : 0;
    uint32_t name_hash = name != NULL ? g_str_hash(name) : 0;
    for (unsigned i = 0; i < cache->config.shards; i++) {
        shard *s = &cache->shards[i];
        if (name != NULL && s != shard_of(cache, name_hash))
            continue;
        pthread_mutex_lock(&s->lock);
        for (int k = 0; k < SD_CACHE_KINDS; k++) {
            if (kind != SD_CACHE_ANY_KIND && kind != (sd_cache_kind)k)
                continue;
            dropped += name != NULL
                ? flush_name_in(&s->kinds[k], (sd_cache_kind)k, name,
                                name_len, name_hash)
                : flush_all_in(&s->kinds[k]);
        }
        pthread_mutex_unlock(&s->lock);
    }
    return dropped;
}

static void
add_side(sd_cache_side_stats *sum, const sd_cache_side_stats *part,
         uint64_t size)
{
    sum->hits += part->hits;
    sum->inserts += part->inserts;
    sum->evictions += part->evictions;
    sum->expirations += part->expirations;
    sum->replaced += part->replaced;
    sum->flushed += part->flushed;
    sum->size += size;
}

void
sd_cache_get_stats(sd_cache *cache, sd_cache_kind kind, sd_cache_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    for (unsigned i = 0; i < cache->config.shards; i++) {
        shard *s = &cache->shards[i];
        pthread_mutex_lock(&s->lock);
        kind_table *table = &s->kinds[kind];
        stats->misses += table->stats.misses;
        stats->lock_waits += table->stats.lock_waits;
        add_side(&stats->positive, &table->stats.positive,
                 table->sides[SIDE_POSITIVE].count);
        add_side(&stats->negative, &table->stats.negative,
                 table->sides[SIDE_NEGATIVE].count);
        pthread_mutex_unlock(&s->lock);
    }
}

static void
side_to_json(const char *name, const sd_cache_side_stats *side, GString *out)
{
    g_string_append_printf(out,
        "\"%s\":{\"hits\":%" G_GUINT64_FORMAT ",\"inserts\":%"
        G_GUINT64_FORMAT ",\"evictions\":%" G_GUINT64_FORMAT
        ",\"expirations\":%" G_GUINT64_FORMAT ",\"replaced\":%"
        G_GUINT64_FORMAT ",\"flushed\":%" G_GUINT64_FORMAT ",\"size\":%"
        G_GUINT64_FORMAT "}", name, side->hits, side->inserts,
        side->evictions, side->expirations, side->replaced, side->flushed,
        side->size);
}

void
sd_cache_stats_to_json(sd_cache *cache, GString *out)
{
    g_string_append_c(out, '{');
    for (int k = 0; k < SD_CACHE_KINDS; k++) {
        sd_cache_stats stats;
        sd_cache_get_stats(cache, (sd_cache_kind)k, &stats);
        g_string_append_printf(out, "%s\"%s\":{\"misses\":%"
                               G_GUINT64_FORMAT ",\"lock_waits\":%"
                               G_GUINT64_FORMAT ",", k > 0 ? "," : "",
                               kind_names[k], stats.misses,
                               stats.lock_waits);
        side_to_json("positive", &stats.positive, out);
        g_string_append_c(out, ',');
        side_to_json("negative", &stats.negative, out);
        g_string_append_c(out, '}');
    }
    g_string_append_c(out, '}');
}

void
sd_cache_foreach_memory(sd_cache *cache, sd_cache_memory_fn fn,
                        void *context)
{
    for (unsigned i = 0; i < cache->config.shards; i++) {
        shard *s = &cache->shards[i];
        pthread_mutex_lock(&s->lock);
        for (int k = 0; k < SD_CACHE_KINDS; k++)
            for (unsigned side = 0; side < SIDES; side++)
                for (entry *e = s->kinds[k].sides[side].head; e != NULL;
                     e = e->older)
                    fn(e, entry_size(e), context);
        pthread_mutex_unlock(&s->lock);
    }
}
