/*
 * sd_cache.h - the lookup and credential cache of one directory.
 *
 * Offers: sd_cache, a bounded, thread-safe cache of definite answers,
 * in the spirit of Dovecot's auth cache: it knows nothing of backends.
 * Four kinds of query are kept apart (principal by name, credentials,
 * rcpt, local domain); each kind has a positive side (SD_OK answers,
 * kept for ttl_positive) and a negative side (SD_NOTFOUND and
 * SD_MISMATCH, kept for ttl_negative), and each side is an LRU of at
 * most `entries` entries.  SD_TEMPFAIL and SD_ERROR are never stored.
 * A TTL of 0 turns that side off.
 *
 * Keys: for the credentials kind, HMAC-SHA-256 under a random key made
 * once per process (RAND_bytes) over a length-prefixed encoding of name
 * and password; neither the password nor any reversible form of it is
 * stored.  For the other kinds, the key text itself (a casefolded name,
 * a normalized address or domain).  Values are opaque bytes the caller
 * packs; the cache copies them in and hands out copies.
 *
 * Concurrency: the entries are spread over shards (one per 64 entries,
 * 1 to 16) by a hash of the name, each with its own mutex, hash tables
 * and LRU lists, so threads working on different names rarely meet; no
 * lock is held while the caller talks to a backend (the caller does
 * that between sd_cache_get and sd_cache_put).  The capacity `entries`
 * is split exactly between the shards (a cache never holds more than
 * `entries` per side and kind); eviction is least-recently-used within
 * a shard.
 * All of one name's entries (its principal and every credential entry
 * for it) live in one shard, so flushing a name touches one shard.
 *
 * Time: a monotonic clock in microseconds (g_get_monotonic_time unless
 * the configuration names another, as tests do).  An entry inserted at
 * T with TTL D answers until T + D and not at or after it.
 */
#ifndef SD_CACHE_H
#define SD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "sd_result.h"

G_BEGIN_DECLS

typedef enum sd_cache_kind {
    SD_CACHE_PRINCIPAL = 0, /* principal by name (resolved, no secrets) */
    SD_CACHE_CREDENTIALS,   /* name + password -> verified or refused */
    SD_CACHE_RCPT,          /* recipient address -> owner, matched form */
    SD_CACHE_DOMAIN,        /* domain -> local or not */
    SD_CACHE_KINDS          /* the number of kinds; also "every kind" */
} sd_cache_kind;

#define SD_CACHE_ANY_KIND SD_CACHE_KINDS

/* The most shards a cache is split into, and by default one shard per
 * this many entries. */
#define SD_CACHE_MAX_SHARDS 16
#define SD_CACHE_SHARD_ENTRIES 64
/* Keys longer than this (in bytes) are never cached. */
#define SD_CACHE_KEY_MAX 1024

/* "principal", "credentials", "rcpt", "domain". */
const char *sd_cache_kind_name(sd_cache_kind kind);
/* The reverse of sd_cache_kind_name(); false for an unknown name. */
bool sd_cache_kind_parse(const char *text, sd_cache_kind *kind);

/* Monotonic microseconds. */
typedef int64_t (*sd_cache_clock_fn)(void *context);

typedef struct sd_cache_config {
    uint64_t entries;           /* per kind and side, at least 1 */
    uint64_t ttl_positive_ms;   /* 0: no positive entries */
    uint64_t ttl_negative_ms;   /* 0: no negative entries */
    unsigned shards;            /* 0: entries / 64, from 1 to 16 */
    sd_cache_clock_fn clock;    /* NULL: g_get_monotonic_time() */
    void *clock_context;
} sd_cache_config;

typedef struct sd_cache sd_cache;

sd_cache *sd_cache_new(const sd_cache_config *config);
void sd_cache_free(sd_cache *cache);
/* The configuration in effect (shards filled in). */
const sd_cache_config *sd_cache_get_config(const sd_cache *cache);

/*
 * A key, computed once and used for a get and the put that follows a
 * miss.  It lives on the caller's stack; it never holds the password.
 */
typedef struct sd_cache_key {
    sd_cache_kind kind;
    uint32_t hash;              /* of the key bytes */
    uint32_t name_hash;         /* of the name: picks the shard */
    size_t len;
    unsigned char bytes[SD_CACHE_KEY_MAX];
} sd_cache_key;

/*
 * Makes the key for TEXT (a name, an address or a domain, in the form
 * that identifies it: casefolded, normalized) and, for the
 * credentials kind, PASSWORD (NUL-terminated; NULL for other kinds).
 * False when the key is too long to be cached (or the HMAC failed):
 * then the caller goes to the backend and stores nothing.
 */
bool sd_cache_key_init(sd_cache_key *key, sd_cache_kind kind,
                       const char *text, const char *password);

/*
 * Looks KEY up.  On a hit returns true with *RESULT the answer stored
 * (SD_OK, SD_NOTFOUND or SD_MISMATCH) and, when VALUE is not NULL, a
 * g_malloc'd copy of the value in *VALUE (NULL for an empty one) and
 * its length in *VALUE_LEN.  An expired entry is dropped and is a miss.
 */
bool sd_cache_get(sd_cache *cache, const sd_cache_key *key,
                  sd_result *result, void **value, size_t *value_len);

/*
 * sd_cache_get without the value, for a caller that asks again with
 * sd_cache_get after a miss (sasldird answers hits in its main thread
 * and hands misses to a worker): a hit counts as one, a miss is not
 * counted, so each request still counts once.
 */
bool sd_cache_peek(sd_cache *cache, const sd_cache_key *key,
                   sd_result *result);

/*
 * Stores the answer RESULT for KEY with VALUE (copied; may be NULL when
 * LEN is 0), replacing any entry of that key on either side.  SD_OK
 * goes to the positive side, SD_NOTFOUND and SD_MISMATCH to the
 * negative side; any other result, and a side whose TTL is 0, store
 * nothing.  A full side drops its least recently used entry.
 */
void sd_cache_put(sd_cache *cache, const sd_cache_key *key,
                  sd_result result, const void *value, size_t len);

/*
 * Drops entries and returns how many: of KIND (SD_CACHE_ANY_KIND for
 * all), and when NAME is not NULL only those of that name: the entry
 * whose key text is NAME and, for the credentials kind, every entry of
 * that name whatever the password (matched through the name's hash; a
 * rare collision drops another name's entry too, which costs only a
 * backend query).  NAME is given in the form keys are made of.
 */
uint64_t sd_cache_flush(sd_cache *cache, sd_cache_kind kind,
                        const char *name);

typedef struct sd_cache_side_stats {
    uint64_t hits;
    uint64_t inserts;
    uint64_t evictions;         /* dropped to make room (still valid) */
    uint64_t expirations;       /* dropped because their TTL ran out */
    uint64_t replaced;          /* overwritten by a put of the same key */
    uint64_t flushed;
    uint64_t size;              /* held now (some may have expired) */
} sd_cache_side_stats;

typedef struct sd_cache_stats {
    uint64_t misses;            /* gets that found nothing valid */
    uint64_t lock_waits;        /* gets and puts that found their shard
                                 * locked by another thread */
    sd_cache_side_stats positive;
    sd_cache_side_stats negative;
} sd_cache_stats;

/* The statistics of KIND, summed over the shards. */
void sd_cache_get_stats(sd_cache *cache, sd_cache_kind kind,
                        sd_cache_stats *stats);

/* Appends the statistics of every kind as one JSON object to OUT. */
void sd_cache_stats_to_json(sd_cache *cache, GString *out);

/*
 * Calls FN on the memory of every entry the cache holds (each entry is
 * one allocation: header, key and value), under the shard's lock; FN
 * must not call back into the cache.  For tests and audits that check
 * what the cache keeps, such as the absence of a password.
 */
typedef void (*sd_cache_memory_fn)(const void *memory, size_t len,
                                   void *context);
void sd_cache_foreach_memory(sd_cache *cache, sd_cache_memory_fn fn,
                             void *context);

G_END_DECLS

#endif
