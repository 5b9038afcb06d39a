/*
 * test_cache.c - the lookup cache (common/sd_cache.c) on its own, with an
 * injected clock, and through a directory (common/sd_directory.c).
 *
 * The "threads" case is also run under Helgrind by cache-helgrind.test
 * (CK_RUN_CASE=threads, SD_CACHE_TEST_ROUNDS to keep it short there).
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sasldir.h"
#include "sd_check.h"
#include "sd_totp_code.h"

/* ------------------------------------------------------------------ */
/* A clock the tests move by hand                                      */
/* ------------------------------------------------------------------ */

static int64_t
fake_clock(void *context)
{
    return *(const int64_t *)context;
}

static int64_t now_us;

static sd_cache *
cache_new(uint64_t entries, uint64_t positive_ms, uint64_t negative_ms,
          unsigned shards)
{
    now_us = 1000000;
    sd_cache_config config = {
        .entries = entries,
        .ttl_positive_ms = positive_ms,
        .ttl_negative_ms = negative_ms,
        .shards = shards,
        .clock = fake_clock,
        .clock_context = &now_us,
    };
    return sd_cache_new(&config);
}

static void
put(sd_cache *cache, sd_cache_kind kind, const char *text, sd_result result,
    const char *value)
{
    sd_cache_key key;
    ck_assert(sd_cache_key_init(&key, kind, text, NULL));
    sd_cache_put(cache, &key, result, value,
                 value != NULL ? strlen(value) + 1 : 0);
}

/* The result cached for TEXT, or -1 on a miss; *VALUE (if given) gets
 * the value. */
static int
get(sd_cache *cache, sd_cache_kind kind, const char *text, char **value)
{
    sd_cache_key key;
    ck_assert(sd_cache_key_init(&key, kind, text, NULL));
    sd_result result;
    void *data = NULL;
    size_t len = 0;
    if (!sd_cache_get(cache, &key, &result, value != NULL ? &data : NULL,
                      &len))
        return -1;
    if (value != NULL)
        *value = data;
    return (int)result;
}

static sd_cache_stats
stats_of(sd_cache *cache, sd_cache_kind kind)
{
    sd_cache_stats stats;
    sd_cache_get_stats(cache, kind, &stats);
    return stats;
}

/* ------------------------------------------------------------------ */
/* LRU, capacity, TTL                                                  */
/* ------------------------------------------------------------------ */

/* sd_cache_peek: a hit counts once, a miss not at all (the caller asks
 * again with sd_cache_get, which counts it). */
START_TEST(test_peek_counts_hits_only)
{
    sd_cache *cache = cache_new(3, 60000, 60000, 1);
    put(cache, SD_CACHE_PRINCIPAL, "a", SD_OK, "A");
    put(cache, SD_CACHE_PRINCIPAL, "n", SD_NOTFOUND, NULL);
    sd_cache_key key;
    sd_result result = SD_ERROR;
    ck_assert(sd_cache_key_init(&key, SD_CACHE_PRINCIPAL, "a", NULL));
    ck_assert(sd_cache_peek(cache, &key, &result));
    ck_assert_int_eq(result, SD_OK);
    ck_assert(sd_cache_key_init(&key, SD_CACHE_PRINCIPAL, "n", NULL));
    ck_assert(sd_cache_peek(cache, &key, &result));
    ck_assert_int_eq(result, SD_NOTFOUND);
    ck_assert(sd_cache_key_init(&key, SD_CACHE_PRINCIPAL, "x", NULL));
    ck_assert(!sd_cache_peek(cache, &key, &result));
    sd_cache_stats stats = stats_of(cache, SD_CACHE_PRINCIPAL);
    ck_assert_uint_eq(stats.positive.hits, 1);
    ck_assert_uint_eq(stats.negative.hits, 1);
    ck_assert_uint_eq(stats.misses, 0);
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "x", NULL), -1);
    ck_assert_uint_eq(stats_of(cache, SD_CACHE_PRINCIPAL).misses, 1);
    sd_cache_free(cache);
}
END_TEST

START_TEST(test_lru_order)
{
    sd_cache *cache = cache_new(3, 60000, 60000, 1);
    put(cache, SD_CACHE_PRINCIPAL, "a", SD_OK, "A");
    put(cache, SD_CACHE_PRINCIPAL, "b", SD_OK, "B");
    put(cache, SD_CACHE_PRINCIPAL, "c", SD_OK, "C");
    /* a becomes the most recent; b is now the least recently used. */
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "a", NULL), SD_OK);
    put(cache, SD_CACHE_PRINCIPAL, "d", SD_OK, "D");
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "b", NULL), -1);
    char *value = NULL;
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "a", &value), SD_OK);
    ck_assert_str_eq(value, "A");
    g_free(value);
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "c", NULL), SD_OK);
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "d", NULL), SD_OK);
    /* Now a is the least recently used. */
    put(cache, SD_CACHE_PRINCIPAL, "e", SD_OK, "E");
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "a", NULL), -1);
    sd_cache_stats stats = stats_of(cache, SD_CACHE_PRINCIPAL);
    ck_assert_uint_eq(stats.positive.size, 3);
    ck_assert_uint_eq(stats.positive.evictions, 2);
    ck_assert_uint_eq(stats.positive.inserts, 5);
    ck_assert_uint_eq(stats.positive.hits, 4);
    ck_assert_uint_eq(stats.misses, 2);
    sd_cache_free(cache);
}
END_TEST

START_TEST(test_capacity_is_exact_across_shards)
{
    /* 20 entries over 16 shards: no side ever holds more than 20. */
    sd_cache *cache = cache_new(20, 60000, 60000, 16);
    ck_assert_uint_eq(sd_cache_get_config(cache)->shards, 16);
    for (int i = 0; i < 2000; i++) {
        char name[32];
        g_snprintf(name, sizeof name, "user%d", i);
        put(cache, SD_CACHE_PRINCIPAL, name, i % 2 ? SD_OK : SD_NOTFOUND,
            NULL);
        sd_cache_stats stats = stats_of(cache, SD_CACHE_PRINCIPAL);
        ck_assert_uint_le(stats.positive.size, 20);
        ck_assert_uint_le(stats.negative.size, 20);
    }
    sd_cache_stats stats = stats_of(cache, SD_CACHE_PRINCIPAL);
    /* With 1000 names per side every shard is full. */
    ck_assert_uint_eq(stats.positive.size, 20);
    ck_assert_uint_eq(stats.negative.size, 20);
    ck_assert_uint_eq(stats.positive.evictions, 1000 - 20);
    sd_cache_free(cache);

    /* By default a shard per 64 entries, 1 to 16. */
    const struct { uint64_t entries; unsigned shards; } defaults[] = {
        { 1, 1 }, { 127, 1 }, { 128, 2 }, { 500, 7 }, { 1024, 16 },
        { 100000, 16 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(defaults); i++) {
        cache = cache_new(defaults[i].entries, 1, 1, 0);
        ck_assert_uint_eq(sd_cache_get_config(cache)->shards,
                          defaults[i].shards);
        sd_cache_free(cache);
    }
    /* Fewer entries than shards asked for: one shard per entry. */
    cache = cache_new(1, 60000, 60000, 16);
    ck_assert_uint_eq(sd_cache_get_config(cache)->shards, 1);
    put(cache, SD_CACHE_DOMAIN, "a.example", SD_OK, NULL);
    put(cache, SD_CACHE_DOMAIN, "b.example", SD_OK, NULL);
    ck_assert_uint_eq(stats_of(cache, SD_CACHE_DOMAIN).positive.size, 1);
    ck_assert_int_eq(get(cache, SD_CACHE_DOMAIN, "b.example", NULL), SD_OK);
    sd_cache_free(cache);
}
END_TEST

START_TEST(test_ttl_expiry)
{
    sd_cache *cache = cache_new(10, 1000, 500, 1);
    put(cache, SD_CACHE_RCPT, "ok@example.org", SD_OK, "x");
    put(cache, SD_CACHE_RCPT, "no@example.org", SD_NOTFOUND, NULL);

    now_us += 499999;   /* 0.499999 s later */
    ck_assert_int_eq(get(cache, SD_CACHE_RCPT, "no@example.org", NULL),
                     SD_NOTFOUND);
    now_us += 1;        /* exactly the negative TTL */
    ck_assert_int_eq(get(cache, SD_CACHE_RCPT, "no@example.org", NULL), -1);
    ck_assert_int_eq(get(cache, SD_CACHE_RCPT, "ok@example.org", NULL),
                     SD_OK);
    now_us += 499999;   /* 0.999999 s after the put */
    ck_assert_int_eq(get(cache, SD_CACHE_RCPT, "ok@example.org", NULL),
                     SD_OK);
    now_us += 1;
    ck_assert_int_eq(get(cache, SD_CACHE_RCPT, "ok@example.org", NULL), -1);

    sd_cache_stats stats = stats_of(cache, SD_CACHE_RCPT);
    ck_assert_uint_eq(stats.positive.expirations, 1);
    ck_assert_uint_eq(stats.negative.expirations, 1);
    ck_assert_uint_eq(stats.positive.size, 0);
    ck_assert_uint_eq(stats.negative.size, 0);
    ck_assert_uint_eq(stats.misses, 2);
    /* A hit does not extend an entry's life. */
    put(cache, SD_CACHE_RCPT, "ok@example.org", SD_OK, "x");
    for (int i = 0; i < 10; i++) {
        now_us += 99999;
        ck_assert_int_eq(get(cache, SD_CACHE_RCPT, "ok@example.org", NULL),
                         SD_OK);
    }
    now_us += 10;
    ck_assert_int_eq(get(cache, SD_CACHE_RCPT, "ok@example.org", NULL), -1);
    sd_cache_free(cache);
}
END_TEST

START_TEST(test_expired_tail_counts_as_expiration)
{
    sd_cache *cache = cache_new(1, 1000, 1000, 1);
    put(cache, SD_CACHE_DOMAIN, "a.example", SD_OK, NULL);
    now_us += 2000000;
    put(cache, SD_CACHE_DOMAIN, "b.example", SD_OK, NULL);
    sd_cache_stats stats = stats_of(cache, SD_CACHE_DOMAIN);
    ck_assert_uint_eq(stats.positive.expirations, 1);
    ck_assert_uint_eq(stats.positive.evictions, 0);
    sd_cache_free(cache);
}
END_TEST

START_TEST(test_ttl_zero_disables_a_side)
{
    sd_cache *cache = cache_new(10, 1000, 0, 1);
    put(cache, SD_CACHE_PRINCIPAL, "gone", SD_NOTFOUND, NULL);
    put(cache, SD_CACHE_PRINCIPAL, "here", SD_OK, "v");
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "gone", NULL), -1);
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "here", NULL), SD_OK);
    ck_assert_uint_eq(stats_of(cache, SD_CACHE_PRINCIPAL).negative.inserts,
                      0);
    sd_cache_free(cache);

    cache = cache_new(10, 0, 1000, 1);
    put(cache, SD_CACHE_PRINCIPAL, "gone", SD_NOTFOUND, NULL);
    put(cache, SD_CACHE_PRINCIPAL, "here", SD_OK, "v");
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "gone", NULL),
                     SD_NOTFOUND);
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "here", NULL), -1);
    sd_cache_free(cache);
}
END_TEST

START_TEST(test_only_definite_answers_are_kept)
{
    sd_cache *cache = cache_new(10, 1000, 1000, 1);
    put(cache, SD_CACHE_PRINCIPAL, "down", SD_TEMPFAIL, NULL);
    put(cache, SD_CACHE_PRINCIPAL, "broken", SD_ERROR, NULL);
    put(cache, SD_CACHE_PRINCIPAL, "wrong", SD_MISMATCH, NULL);
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "down", NULL), -1);
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "broken", NULL), -1);
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "wrong", NULL),
                     SD_MISMATCH);
    sd_cache_stats stats = stats_of(cache, SD_CACHE_PRINCIPAL);
    ck_assert_uint_eq(stats.positive.inserts + stats.negative.inserts, 1);
    sd_cache_free(cache);
}
END_TEST

START_TEST(test_kinds_and_sides_are_separate)
{
    sd_cache *cache = cache_new(10, 1000, 1000, 1);
    put(cache, SD_CACHE_PRINCIPAL, "same", SD_OK, "principal");
    put(cache, SD_CACHE_RCPT, "same", SD_NOTFOUND, NULL);
    put(cache, SD_CACHE_DOMAIN, "same", SD_OK, NULL);
    char *value = NULL;
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "same", &value), SD_OK);
    ck_assert_str_eq(value, "principal");
    g_free(value);
    ck_assert_int_eq(get(cache, SD_CACHE_RCPT, "same", NULL), SD_NOTFOUND);
    ck_assert_int_eq(get(cache, SD_CACHE_DOMAIN, "same", NULL), SD_OK);
    sd_cache_key credentials;
    sd_result result;
    ck_assert(sd_cache_key_init(&credentials, SD_CACHE_CREDENTIALS, "same",
                                "same"));
    ck_assert(!sd_cache_get(cache, &credentials, &result, NULL, NULL));

    /* A new answer for a key replaces the old one, whatever its side. */
    put(cache, SD_CACHE_RCPT, "same", SD_OK, "now deliverable");
    ck_assert_int_eq(get(cache, SD_CACHE_RCPT, "same", NULL), SD_OK);
    sd_cache_stats stats = stats_of(cache, SD_CACHE_RCPT);
    ck_assert_uint_eq(stats.negative.replaced, 1);
    ck_assert_uint_eq(stats.negative.size, 0);
    ck_assert_uint_eq(stats.positive.size, 1);

    /* A full negative side does not push out positive entries. */
    for (int i = 0; i < 50; i++) {
        char name[16];
        g_snprintf(name, sizeof name, "guess%d", i);
        put(cache, SD_CACHE_PRINCIPAL, name, SD_NOTFOUND, NULL);
    }
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "same", NULL), SD_OK);

    ck_assert_uint_eq(sd_cache_flush(cache, SD_CACHE_DOMAIN, NULL), 1);
    ck_assert_int_eq(get(cache, SD_CACHE_DOMAIN, "same", NULL), -1);
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "same", NULL), SD_OK);
    ck_assert_int_eq(get(cache, SD_CACHE_RCPT, "same", NULL), SD_OK);
    sd_cache_free(cache);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Credentials                                                         */
/* ------------------------------------------------------------------ */

static void
put_credentials(sd_cache *cache, const char *name, const char *password,
                sd_result result)
{
    sd_cache_key key;
    ck_assert(sd_cache_key_init(&key, SD_CACHE_CREDENTIALS, name, password));
    sd_cache_put(cache, &key, result, name, strlen(name) + 1);
}

static int
get_credentials(sd_cache *cache, const char *name, const char *password)
{
    sd_cache_key key;
    ck_assert(sd_cache_key_init(&key, SD_CACHE_CREDENTIALS, name, password));
    sd_result result;
    return sd_cache_get(cache, &key, &result, NULL, NULL) ? (int)result : -1;
}

START_TEST(test_credential_keys)
{
    sd_cache_key a, b, c, d;
    ck_assert(sd_cache_key_init(&a, SD_CACHE_CREDENTIALS, "alice", "pw"));
    ck_assert(sd_cache_key_init(&b, SD_CACHE_CREDENTIALS, "alice", "pw"));
    ck_assert(sd_cache_key_init(&c, SD_CACHE_CREDENTIALS, "alice", "pW"));
    /* The lengths are part of what is hashed: "ab"+"c" is not "a"+"bc". */
    ck_assert(sd_cache_key_init(&d, SD_CACHE_CREDENTIALS, "alicep", "w"));
    ck_assert_uint_eq(a.len, 32);
    ck_assert_mem_eq(a.bytes, b.bytes, 32);
    ck_assert(memcmp(a.bytes, c.bytes, 32) != 0);
    ck_assert(memcmp(a.bytes, d.bytes, 32) != 0);
    ck_assert_ptr_null(memmem(a.bytes, a.len, "pw", 2));
    /* A credentials key needs a password. */
    ck_assert(!sd_cache_key_init(&a, SD_CACHE_CREDENTIALS, "alice", NULL));
    /* Too long to be a key: not cached. */
    char *long_text = g_strnfill(SD_CACHE_KEY_MAX + 1, 'x');
    ck_assert(!sd_cache_key_init(&a, SD_CACHE_PRINCIPAL, long_text, NULL));
    g_free(long_text);
}
END_TEST

START_TEST(test_flush_name_drops_every_credential_entry)
{
    sd_cache *cache = cache_new(100, 1000, 1000, 0);
    put(cache, SD_CACHE_PRINCIPAL, "alice", SD_OK, "p");
    put(cache, SD_CACHE_PRINCIPAL, "bob", SD_OK, "p");
    put_credentials(cache, "alice", "right", SD_OK);
    put_credentials(cache, "alice", "wrong1", SD_MISMATCH);
    put_credentials(cache, "alice", "wrong2", SD_MISMATCH);
    put_credentials(cache, "bob", "right", SD_OK);
    put_credentials(cache, "bob", "wrong", SD_MISMATCH);
    ck_assert_int_eq(get_credentials(cache, "alice", "wrong1"), SD_MISMATCH);

    ck_assert_uint_eq(sd_cache_flush(cache, SD_CACHE_CREDENTIALS, "alice"),
                      3);
    ck_assert_int_eq(get_credentials(cache, "alice", "right"), -1);
    ck_assert_int_eq(get_credentials(cache, "alice", "wrong1"), -1);
    ck_assert_int_eq(get_credentials(cache, "alice", "wrong2"), -1);
    ck_assert_int_eq(get_credentials(cache, "bob", "right"), SD_OK);
    ck_assert_int_eq(get_credentials(cache, "bob", "wrong"), SD_MISMATCH);
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "alice", NULL), SD_OK);

    ck_assert_uint_eq(sd_cache_flush(cache, SD_CACHE_ANY_KIND, "bob"), 3);
    ck_assert_int_eq(get(cache, SD_CACHE_PRINCIPAL, "bob", NULL), -1);
    ck_assert_int_eq(get_credentials(cache, "bob", "right"), -1);
    sd_cache_stats stats = stats_of(cache, SD_CACHE_CREDENTIALS);
    ck_assert_uint_eq(stats.positive.flushed, 2);
    ck_assert_uint_eq(stats.negative.flushed, 3);
    ck_assert_uint_eq(stats.positive.size + stats.negative.size, 0);

    ck_assert_uint_eq(sd_cache_flush(cache, SD_CACHE_ANY_KIND, NULL), 1);
    ck_assert_uint_eq(stats_of(cache, SD_CACHE_PRINCIPAL).positive.size, 0);
    sd_cache_free(cache);
}
END_TEST

START_TEST(test_changed_password)
{
    /* 10 shards of one entry per side: a name's entries share a shard,
     * so the new password's entry pushes out the old one's. */
    sd_cache *cache = cache_new(10, 1000, 1000, 10);
    put_credentials(cache, "alice", "old", SD_OK);
    put_credentials(cache, "alice", "new", SD_OK);
    ck_assert_int_eq(get_credentials(cache, "alice", "old"), -1);
    sd_cache_free(cache);

    cache = cache_new(10, 1000, 1000, 0);
    put_credentials(cache, "alice", "old", SD_OK);
    /* After the directory changed the password, the new one is not
     * answered by the old one's entry: it goes to the directory. */
    ck_assert_int_eq(get_credentials(cache, "alice", "new"), -1);
    put_credentials(cache, "alice", "new", SD_OK);
    ck_assert_int_eq(get_credentials(cache, "alice", "new"), SD_OK);
    /* The old one keeps working until its entry expires, not after. */
    now_us += 999999;
    ck_assert_int_eq(get_credentials(cache, "alice", "old"), SD_OK);
    now_us += 1;
    ck_assert_int_eq(get_credentials(cache, "alice", "old"), -1);
    sd_cache_free(cache);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Through a directory                                                 */
/* ------------------------------------------------------------------ */

static const char cache_config[] =
    "[directory.\"d\"]\n"
    "type = \"memory\"\n"
    "[directory.\"d\".options]\n"
    "superuser-group = \"admins\"\n"
    "[directory.\"d\".cache]\n"
    "entries = 100\n"
    "ttl = { positive = \"1h\", negative = \"10m\" }\n"
    "[[directory.\"d\".principals]]\n"
    "name = \"Alice\"\n"
    "class = \"individual\"\n"
    "secret = [\"{PLAIN}Wonderland-7f3a\", "
    "\"{SSHA512}nawfeIggsQLY4iBu8aDtHdkPZ8nWxqu3A1RWM14WHNoM92awHTnXE9oBzqYl"
    "9wO0Gh6Qp8Ix9ANLNPt7aAIC7FyEm0NB5Ry5\"]\n"
    "email = [\"alice@example.org\"]\n"
    "member-of = [\"admins\"]\n"
    "quota = 1000\n";

static sd_registry *
load(const char *text)
{
    GError *error = NULL;
    sd_registry *registry = sd_registry_load_data(text, strlen(text),
                                                  "cache.toml", &error);
    ck_assert_msg(registry != NULL, "%s", error ? error->message : "?");
    return registry;
}

START_TEST(test_directory_authenticate_is_cached)
{
    sd_registry *registry = load(cache_config);
    sd_directory *d = sd_registry_default(registry);
    sd_cache *cache = sd_directory_cache(d);
    ck_assert_ptr_nonnull(cache);

    for (int i = 0; i < 3; i++) {
        sd_principal *p = NULL;
        GError *error = NULL;
        ck_assert_int_eq(sd_directory_authenticate(d, i == 1 ? "ALICE"
                                                   : "alice",
                                                   "Wonderland-7f3a", &p,
                                                   &error), SD_OK);
        ck_assert_str_eq(p->name, "Alice");
        ck_assert(p->superuser);
        ck_assert_uint_eq(p->effective_quota, 1000);
        ck_assert_str_eq(g_ptr_array_index(p->emails, 0),
                         "alice@example.org");
        ck_assert_uint_eq(p->secrets->len, 0);
        sd_principal_free(p);
        ck_assert_int_eq(sd_directory_authenticate(d, "alice", "nope", NULL,
                                                   &error), SD_MISMATCH);
        ck_assert_ptr_nonnull(strstr(error->message, "wrong password"));
        g_clear_error(&error);
        ck_assert_int_eq(sd_directory_authenticate(d, "nobody", "x", NULL,
                                                   &error), SD_NOTFOUND);
        ck_assert_ptr_nonnull(strstr(error->message, "nobody"));
        g_clear_error(&error);
    }
    sd_cache_stats stats = stats_of(cache, SD_CACHE_CREDENTIALS);
    ck_assert_uint_eq(stats.misses, 3);
    ck_assert_uint_eq(stats.positive.hits, 2);
    ck_assert_uint_eq(stats.negative.hits, 4);
    ck_assert_uint_eq(stats.positive.size, 1);
    ck_assert_uint_eq(stats.negative.size, 2);

    /* What a writer does after resetting alice's password. */
    ck_assert_uint_eq(sd_directory_cache_flush_name(d, "ALICE"), 2);
    stats = stats_of(cache, SD_CACHE_CREDENTIALS);
    ck_assert_uint_eq(stats.positive.size + stats.negative.size, 1);
    sd_registry_unref(registry);
}
END_TEST

/*
 * A principal with a TOTP secret: its logins carry a code that is valid
 * for about a minute, so neither a right nor a wrong "password$code" may
 * be kept; a kept one would let a code be replayed for the entry's TTL.
 */
static const char totp_config[] =
    "[directory.\"d\"]\n"
    "type = \"memory\"\n"
    "[directory.\"d\".cache]\n"
    "ttl = { positive = \"1h\", negative = \"10m\" }\n"
    "[[directory.\"d\".principals]]\n"
    "name = \"otto\"\n"
    "secret = [\"{PLAIN}Otto-pass-1\", "
    "\"otpauth://totp/test:otto?secret=JBSWY3DPEHPK3PXP\"]\n";

static char *
otto_password_with_code(void)
{
    char *code = sd_test_totp_code("JBSWY3DPEHPK3PXP");
    char *password = g_strdup_printf("Otto-pass-1$%s", code);
    g_free(code);
    return password;
}

START_TEST(test_one_time_passwords_are_not_kept)
{
    sd_registry *registry = load(totp_config);
    sd_directory *d = sd_registry_default(registry);
    char *password = otto_password_with_code();
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(sd_directory_authenticate(d, "otto", password, NULL,
                                                   NULL), SD_OK);
        ck_assert_int_eq(sd_directory_authenticate(d, "otto",
                                                   "Otto-pass-1$000000x",
                                                   NULL, NULL), SD_MISMATCH);
    }
    g_free(password);
    sd_cache_stats stats = stats_of(sd_directory_cache(d),
                                    SD_CACHE_CREDENTIALS);
    ck_assert_uint_eq(stats.misses, 4);
    ck_assert_uint_eq(stats.positive.size + stats.negative.size, 0);
    ck_assert_uint_eq(stats.positive.hits + stats.negative.hits, 0);
    sd_registry_unref(registry);
}
END_TEST

START_TEST(test_directory_lookup_keeps_no_secrets)
{
    sd_registry *registry = load(cache_config);
    sd_directory *d = sd_registry_default(registry);
    for (int i = 0; i < 2; i++) {
        sd_principal *p = NULL;
        ck_assert_int_eq(sd_directory_lookup(d, "alice", &p, NULL), SD_OK);
        ck_assert_str_eq(p->name, "Alice");
        ck_assert(p->superuser);
        ck_assert_uint_eq(p->secrets->len, 0);
        sd_principal_free(p);
    }
    sd_principal *p = NULL;
    ck_assert_int_eq(sd_directory_lookup_uncached(d, "alice", &p, NULL),
                     SD_OK);
    ck_assert_uint_eq(p->secrets->len, 2);
    sd_principal_free(p);
    GError *error = NULL;
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(sd_directory_lookup(d, "ghost", &p, &error),
                         SD_NOTFOUND);
        ck_assert_ptr_nonnull(strstr(error->message, "ghost"));
        g_clear_error(&error);
    }
    sd_cache_stats stats = stats_of(sd_directory_cache(d),
                                    SD_CACHE_PRINCIPAL);
    ck_assert_uint_eq(stats.positive.hits, 1);
    ck_assert_uint_eq(stats.negative.hits, 1);
    /* Only whether the name exists: from the directory, then the cache. */
    sd_directory_cache_flush(d, SD_CACHE_PRINCIPAL, NULL);
    ck_assert_int_eq(sd_directory_lookup(d, "alice", NULL, NULL), SD_OK);
    ck_assert_int_eq(sd_directory_lookup(d, "alice", NULL, NULL), SD_OK);
    stats = stats_of(sd_directory_cache(d), SD_CACHE_PRINCIPAL);
    ck_assert_uint_eq(stats.positive.hits, 2);
    sd_registry_unref(registry);
}
END_TEST

START_TEST(test_directory_rcpt_and_domain_are_cached)
{
    sd_registry *registry = load(cache_config);
    sd_directory *d = sd_registry_default(registry);
    for (int i = 0; i < 2; i++) {
        char *owner = NULL, *matched = NULL;
        ck_assert_int_eq(sd_directory_rcpt(d, "Alice@Example.org", &owner,
                                           &matched, NULL), SD_OK);
        ck_assert_str_eq(owner, "Alice");
        ck_assert_str_eq(matched, "alice@example.org");
        g_free(owner);
        g_free(matched);
        GError *error = NULL;
        ck_assert_int_eq(sd_directory_rcpt(d, "nobody@example.org", NULL,
                                           NULL, &error), SD_NOTFOUND);
        ck_assert_ptr_nonnull(strstr(error->message, "nobody@example.org"));
        g_clear_error(&error);
        ck_assert_int_eq(sd_directory_is_local_domain(d, "EXAMPLE.org",
                                                      NULL), SD_OK);
        ck_assert_int_eq(sd_directory_is_local_domain(d, "example.com",
                                                      &error), SD_NOTFOUND);
        ck_assert_ptr_nonnull(strstr(error->message, "example.com"));
        g_clear_error(&error);
    }
    sd_cache_stats rcpt = stats_of(sd_directory_cache(d), SD_CACHE_RCPT);
    sd_cache_stats domain = stats_of(sd_directory_cache(d), SD_CACHE_DOMAIN);
    ck_assert_uint_eq(rcpt.positive.hits + rcpt.negative.hits, 2);
    ck_assert_uint_eq(domain.positive.hits + domain.negative.hits, 2);
    ck_assert_uint_eq(rcpt.misses + domain.misses, 4);

    /* A flush by name finds the entries under the form the operations
     * keyed them by, whatever the case the caller writes. */
    ck_assert_uint_eq(sd_directory_cache_flush(d, SD_CACHE_RCPT,
                                               "ALICE@example.ORG"), 1);
    ck_assert_uint_eq(sd_directory_cache_flush(d, SD_CACHE_ANY_KIND,
                                               "Example.COM"), 1);
    ck_assert_uint_eq(sd_directory_cache_flush(d, SD_CACHE_DOMAIN,
                                               "example.com"), 0);
    ck_assert_uint_eq(sd_directory_cache_flush(d, SD_CACHE_ANY_KIND, NULL),
                      2);
    sd_registry_unref(registry);
}
END_TEST

START_TEST(test_no_cache_section_no_cache)
{
    sd_registry *registry = load(
        "[directory.\"d\"]\ntype = \"memory\"\n"
        "[[directory.\"d\".principals]]\nname = \"a\"\n"
        "secret = \"{PLAIN}x\"\n");
    sd_directory *d = sd_registry_default(registry);
    ck_assert_ptr_null(sd_directory_cache(d));
    sd_principal *p = NULL;
    ck_assert_int_eq(sd_directory_lookup(d, "a", &p, NULL), SD_OK);
    ck_assert_uint_eq(p->secrets->len, 1);
    sd_principal_free(p);
    ck_assert_uint_eq(sd_directory_cache_flush_name(d, "a"), 0);
    sd_registry_unref(registry);
}
END_TEST

/* Counts the cache entries that hold NEEDLE anywhere in their memory. */
typedef struct scan {
    const char *needle;
    unsigned entries;
    unsigned found;
} scan;

static void
scan_entry(const void *memory, size_t len, void *context)
{
    scan *s = context;
    s->entries++;
    if (memmem(memory, len, s->needle, strlen(s->needle)) != NULL)
        s->found++;
}

START_TEST(test_no_password_in_cache_memory)
{
    sd_registry *registry = load(cache_config);
    sd_directory *d = sd_registry_default(registry);
    /* The right password, wrong ones, and every other kind. */
    ck_assert_int_eq(sd_directory_authenticate(d, "alice", "Wonderland-7f3a",
                                               NULL, NULL), SD_OK);
    ck_assert_int_eq(sd_directory_authenticate(d, "alice", "Wonderland-7f3b",
                                               NULL, NULL), SD_MISMATCH);
    ck_assert_int_eq(sd_directory_authenticate(d, "ghost", "Wonderland-7f3a",
                                               NULL, NULL), SD_NOTFOUND);
    sd_principal *p = NULL;
    ck_assert_int_eq(sd_directory_lookup(d, "alice", &p, NULL), SD_OK);
    sd_principal_free(p);
    ck_assert_int_eq(sd_directory_rcpt(d, "alice@example.org", NULL, NULL,
                                       NULL), SD_OK);

    const char *needles[] = {
        "Wonderland-7f3a", "Wonderland-7f3b", "Wonderland", "{PLAIN}",
        "{SSHA512}", "nawfeIggsQLY4iBu8aDt",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(needles); i++) {
        scan s = { .needle = needles[i] };
        sd_cache_foreach_memory(sd_directory_cache(d), scan_entry, &s);
        ck_assert_uint_eq(s.entries, 5);
        ck_assert_msg(s.found == 0, "'%s' is in %u cache entries",
                      needles[i], s.found);
    }
    /* The scan itself can see what entries hold. */
    scan control = { .needle = "alice@example.org" };
    sd_cache_foreach_memory(sd_directory_cache(d), scan_entry, &control);
    ck_assert_uint_ge(control.found, 2);
    sd_registry_unref(registry);
}
END_TEST

START_TEST(test_principal_pack_round_trip)
{
    sd_principal *p = sd_principal_new("Zoë", SD_PRINCIPAL_ADMIN);
    p->description = g_strdup("desc");
    g_ptr_array_add(p->secrets, g_strdup("{PLAIN}secret"));
    g_ptr_array_add(p->emails, g_strdup("zoe@example.org"));
    g_ptr_array_add(p->emails, g_strdup("z@example.org"));
    g_ptr_array_add(p->lists, g_strdup("all@example.org"));
    g_ptr_array_add(p->member_of, g_strdup("g1"));
    g_ptr_array_add(p->groups, g_strdup("g1"));
    g_ptr_array_add(p->groups, g_strdup("g2"));
    p->quota = 5;
    p->resolved = true;
    p->superuser = true;
    p->effective_quota = 7;
    size_t len = 0;
    void *packed = sd_principal_pack(p, &len);
    ck_assert_ptr_null(memmem(packed, len, "secret", 6));
    sd_principal *q = sd_principal_unpack(packed, len);
    GString *a = g_string_new(""), *b = g_string_new("");
    g_ptr_array_set_size(p->secrets, 0);
    sd_principal_to_json(p, true, a);
    sd_principal_to_json(q, true, b);
    ck_assert_str_eq(a->str, b->str);
    g_string_free(a, TRUE);
    g_string_free(b, TRUE);
    sd_principal_free(q);
    /* Damaged bytes give no principal, or an odd one, never a crash. */
    memset(packed, 0xff, len);
    sd_principal_free(sd_principal_unpack(packed, len));
    sd_principal_free(sd_principal_unpack("", 0));
    g_free(packed);
    sd_principal_free(p);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Threads                                                             */
/* ------------------------------------------------------------------ */

#define THREADS 8

typedef struct worker {
    sd_cache *cache;
    int id;
    int rounds;
} worker;

static void *
work(void *data)
{
    worker *w = data;
    for (int i = 0; i < w->rounds; i++) {
        char name[32];
        /* Names shared between threads, so they meet on entries. */
        g_snprintf(name, sizeof name, "user%d", (i * 7 + w->id) % 97);
        sd_cache_kind kind = (sd_cache_kind)(i % SD_CACHE_KINDS);
        sd_cache_key key;
        ck_assert(sd_cache_key_init(&key, kind, name,
                                    kind == SD_CACHE_CREDENTIALS
                                    ? (i % 3 ? "right" : "wrong") : NULL));
        sd_result result;
        void *value = NULL;
        size_t len = 0;
        if (sd_cache_get(w->cache, &key, &result, &value, &len)) {
            if (result == SD_OK)
                ck_assert_str_eq(value, name);
            g_free(value);
        } else {
            sd_cache_put(w->cache, &key, i % 5 ? SD_OK : SD_NOTFOUND, name,
                         strlen(name) + 1);
        }
        if (i % 101 == 0)
            sd_cache_flush(w->cache, SD_CACHE_ANY_KIND, name);
        if (i % 503 == 0) {
            sd_cache_stats stats;
            sd_cache_get_stats(w->cache, kind, &stats);
        }
    }
    return NULL;
}

static void
check_side(const sd_cache_side_stats *side, uint64_t entries)
{
    ck_assert_uint_le(side->size, entries);
    ck_assert_uint_eq(side->inserts, side->size + side->evictions
                      + side->expirations + side->replaced + side->flushed);
}

START_TEST(test_threads)
{
    const char *rounds_text = g_getenv("SD_CACHE_TEST_ROUNDS");
    int rounds = rounds_text != NULL ? atoi(rounds_text) : 20000;
    sd_cache_config config = {
        .entries = 40, .ttl_positive_ms = 1000, .ttl_negative_ms = 1000,
    };
    sd_cache *cache = sd_cache_new(&config);
    /* POSIX threads, not GThread: GLib's thread start-up uses lock-free
     * lazy initialisation that Helgrind would report as races. */
    pthread_t threads[THREADS];
    worker workers[THREADS];
    for (int t = 0; t < THREADS; t++) {
        workers[t] = (worker){ cache, t, rounds };
        ck_assert_int_eq(pthread_create(&threads[t], NULL, work,
                                        &workers[t]), 0);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    uint64_t gets = 0;
    for (int k = 0; k < SD_CACHE_KINDS; k++) {
        sd_cache_stats stats = stats_of(cache, (sd_cache_kind)k);
        check_side(&stats.positive, 40);
        check_side(&stats.negative, 40);
        gets += stats.misses + stats.positive.hits + stats.negative.hits;
    }
    ck_assert_uint_eq(gets, (uint64_t)THREADS * (uint64_t)rounds);
    sd_cache_free(cache);
}
END_TEST

static Suite *
cache_suite(void)
{
    Suite *suite = suite_create("cache");
    TCase *lru = tcase_create("lru");
    tcase_add_test(lru, test_lru_order);
    tcase_add_test(lru, test_peek_counts_hits_only);
    tcase_add_test(lru, test_capacity_is_exact_across_shards);
    tcase_add_test(lru, test_ttl_expiry);
    tcase_add_test(lru, test_expired_tail_counts_as_expiration);
    tcase_add_test(lru, test_ttl_zero_disables_a_side);
    tcase_add_test(lru, test_only_definite_answers_are_kept);
    tcase_add_test(lru, test_kinds_and_sides_are_separate);
    suite_add_tcase(suite, lru);
    TCase *credentials = tcase_create("credentials");
    tcase_add_test(credentials, test_credential_keys);
    tcase_add_test(credentials, test_flush_name_drops_every_credential_entry);
    tcase_add_test(credentials, test_changed_password);
    suite_add_tcase(suite, credentials);
    TCase *directory = tcase_create("directory");
    tcase_add_test(directory, test_directory_authenticate_is_cached);
    tcase_add_test(directory, test_one_time_passwords_are_not_kept);
    tcase_add_test(directory, test_directory_lookup_keeps_no_secrets);
    tcase_add_test(directory, test_directory_rcpt_and_domain_are_cached);
    tcase_add_test(directory, test_no_cache_section_no_cache);
    tcase_add_test(directory, test_no_password_in_cache_memory);
    tcase_add_test(directory, test_principal_pack_round_trip);
    suite_add_tcase(suite, directory);
    TCase *threads = tcase_create("threads");
    tcase_set_timeout(threads, 120);
    tcase_add_test(threads, test_threads);
    suite_add_tcase(suite, threads);
    return suite;
}

int
main(void)
{
    return sd_check_run(cache_suite());
}
