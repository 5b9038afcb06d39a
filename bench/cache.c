/*
 * cache.c - what the lookup cache buys, measured in one process.
 *
 * (a) sd_directory_authenticate() on a cache hit against the same call
 *     on a directory without a cache, for an {SSHA512}, an argon2id
 *     (sasldir's default scheme, default parameters) and a yescrypt
 *     secret, with and without the principal handed back;
 * (b) hit throughput of 1 and 2 threads (distinct names per thread);
 * (c) bytes per cached entry at 100 000 entries, from the allocator
 *     (mallinfo2 deltas), for credential entries holding a typical
 *     principal and for empty domain entries.
 *
 * usage: bench/cache [SECONDS-PER-THROUGHPUT-RUN]   (default 1)
 *        bench/cache --instructions   (for callgrind: see BENCHMARKS.md)
 * Prints one line per figure; ratios are against the uncached call
 * measured in the same run.  Each time is the best of several runs, so
 * that other processes on the machine disturb it less.
 */
#include "config.h"

#include <crypt.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sasldir.h"

#define NAMES 1024

static double
now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
    fprintf(stderr, "bench/cache: %s\n", what);
    exit(1);
}

/* {SSHA512}base64(SHA-512(password salt) salt) with an 8-byte salt. */
static char *
make_ssha512(const char *password)
{
    unsigned char buffer[64 + 8];
    if (RAND_bytes(buffer + 64, 8) != 1)
        die("RAND_bytes failed");
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha512(), NULL) != 1
        || EVP_DigestUpdate(md, password, strlen(password)) != 1
        || EVP_DigestUpdate(md, buffer + 64, 8) != 1
        || EVP_DigestFinal_ex(md, buffer, &len) != 1)
        die("SHA-512 failed");
    EVP_MD_CTX_free(md);
    char *encoded = g_base64_encode(buffer, sizeof buffer);
    char *secret = g_strconcat("{SSHA512}", encoded, NULL);
    g_free(encoded);
    return secret;
}

/* A yescrypt hash at libxcrypt's default cost. */
static char *
make_yescrypt(const char *password)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data data;
    memset(&data, 0, sizeof data);
    if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof setting) == NULL)
        die("crypt_gensalt_rn failed");
    const char *hash = crypt_rn(password, setting, &data, sizeof data);
    if (hash == NULL || hash[0] == '*')
        die("crypt_rn failed");
    return g_strdup(hash);
}

/* An argon2id hash with sasldir's default parameters. */
static char *
make_argon2id(const char *password)
{
    GError *error = NULL;
    char *hash = sd_secret_hash(NULL, "argon2id", password, &error);
    if (hash == NULL)
        die(error->message);
    return hash;
}

/*
 * Two directories with the same principals: "cached" has a cache
 * section, "plain" has none.  user0..user<NAMES-1> have {SSHA512}
 * secrets; "slow" has a yescrypt secret, "argon" an argon2id one.
 */
static sd_registry *
make_registry(bool with_slow)
{
    GString *principals = g_string_new("");
    for (int i = 0; i < NAMES; i++) {
        char *secret = make_ssha512("password");
        g_string_append_printf(principals,
            "[[directory.\"%%s\".principals]]\nname = \"user%d\"\n"
            "secret = \"%s\"\nemail = [\"user%d@example.org\"]\n"
            "member-of = [\"staff\"]\n", i, secret, i);
        g_free(secret);
    }
    if (with_slow) {
        char *slow = make_yescrypt("password");
        g_string_append_printf(principals,
            "[[directory.\"%%s\".principals]]\nname = \"slow\"\n"
            "secret = \"%s\"\n", slow);
        g_free(slow);
        char *argon = make_argon2id("password");
        g_string_append_printf(principals,
            "[[directory.\"%%s\".principals]]\nname = \"argon\"\n"
            "secret = \"%s\"\n", argon);
        sd_secret_free(argon);
    }

    GString *text = g_string_new("[storage]\ndirectory = \"cached\"\n"
        "[directory.\"cached\"]\ntype = \"memory\"\n"
        "[directory.\"cached\".cache]\nentries = 100000\n"
        "ttl = { positive = \"1h\", negative = \"10m\" }\n"
        "[directory.\"plain\"]\ntype = \"memory\"\n");
    const char *names[] = { "cached", "plain" };
    for (int d = 0; d < 2; d++) {
        /* The template's %s are the directory's name. */
        char **parts = g_strsplit(principals->str, "%s", -1);
        char *joined = g_strjoinv(names[d], parts);
        g_string_append(text, joined);
        g_free(joined);
        g_strfreev(parts);
    }
    g_string_free(principals, TRUE);
    GError *error = NULL;
    sd_registry *registry = sd_registry_load_data(text->str, text->len,
                                                  "bench.toml", &error);
    if (registry == NULL)
        die(error->message);
    g_string_free(text, TRUE);
    return registry;
}

/* N calls of sd_directory_authenticate() for NAME. */
static void
run_auth(sd_directory *d, const char *name, int n, bool want_principal)
{
    for (int i = 0; i < n; i++) {
        sd_principal *p = NULL;
        if (sd_directory_authenticate(d, name, "password",
                                      want_principal ? &p : NULL, NULL)
            != SD_OK)
            die("authentication failed");
        sd_principal_free(p);
    }
}

/* Seconds per call: the best of ROUNDS runs of N calls. */
static double
time_auth(sd_directory *d, const char *name, int n, bool want_principal,
          int rounds)
{
    double best = 1e9;
    for (int r = 0; r < rounds; r++) {
        double start = now_seconds();
        run_auth(d, name, n, want_principal);
        double per_call = (now_seconds() - start) / n;
        if (per_call < best)
            best = per_call;
    }
    return best;
}

static void
bench_hit_vs_uncached(sd_registry *registry)
{
    sd_directory *cached = sd_registry_get(registry, "cached");
    sd_directory *plain = sd_registry_get(registry, "plain");
    struct { const char *label, *name; int uncached_n; } cases[] = {
        { "{SSHA512}", "user1", 50000 },
        { "argon2id", "argon", 50 },
        { "yescrypt", "slow", 20 },
    };
    for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
        double uncached = time_auth(plain, cases[c].name,
                                    cases[c].uncached_n, false, 3);
        run_auth(cached, cases[c].name, 1, false);      /* fills the entry */
        double hit = time_auth(cached, cases[c].name, 200000, false, 5);
        double hit_principal = time_auth(cached, cases[c].name, 100000,
                                         true, 5);
        printf("(a) %-9s uncached %10.3f us   hit %.3f us (%.0fx faster)   "
               "hit with principal %.3f us (%.0fx faster)\n",
               cases[c].label, uncached * 1e6, hit * 1e6, uncached / hit,
               hit_principal * 1e6, uncached / hit_principal);
    }
}

typedef struct runner {
    sd_directory *directory;
    int first, count;           /* names user<first>..user<first+count-1> */
    double seconds;
    bool control;               /* pure computation, no cache */
    uint64_t done;
    double cpu_seconds;         /* what this thread was given */
} runner;

static double
thread_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
run_hits(void *data)
{
    runner *r = data;
    char names[NAMES][16];
    for (int i = 0; i < r->count; i++)
        g_snprintf(names[i], sizeof names[i], "user%d", r->first + i);
    double end = now_seconds() + r->seconds;
    double cpu_start = thread_cpu_seconds();
    uint64_t done = 0;
    volatile guint sink = 0;
    while (now_seconds() < end) {
        for (int i = 0; i < r->count; i++) {
            if (r->control) {
                /* About a hit's worth of work that shares nothing. */
                guint h = 0;
                for (int k = 0; k < 200; k++)
                    h += g_str_hash(names[(i + k) % r->count]);
                sink = sink + h;
            } else if (sd_directory_authenticate(r->directory, names[i],
                                                 "password", NULL, NULL)
                       != SD_OK) {
                die("authentication failed");
            }
        }
        done += (uint64_t)r->count;
    }
    r->done = done;
    r->cpu_seconds = thread_cpu_seconds() - cpu_start;
    return NULL;
}

/* Hits per second of wall time; *PER_CPU: hits per CPU-second. */
static double
throughput(sd_directory *d, int threads, double seconds, bool control,
           double *per_cpu)
{
    pthread_t ids[2];
    runner runners[2];
    int share = NAMES / threads;
    for (int t = 0; t < threads; t++) {
        runners[t] = (runner){ d, t * share, share, seconds, control, 0, 0 };
        pthread_create(&ids[t], NULL, run_hits, &runners[t]);
    }
    uint64_t total = 0;
    double cpu = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        total += runners[t].done;
        cpu += runners[t].cpu_seconds;
    }
    *per_cpu = (double)total / cpu;
    return (double)total / seconds;
}

static void
bench_threads(sd_registry *registry, double seconds)
{
    sd_directory *cached = sd_registry_get(registry, "cached");
    for (int i = 0; i < NAMES; i++) {
        char name[16];
        g_snprintf(name, sizeof name, "user%d", i);
        sd_directory_authenticate(cached, name, "password", NULL, NULL);
    }
    /* Alternated, best of three each: the machine is shared.  Hits per
     * CPU-second tell contention (cache lines and locks that the two
     * threads fight over) apart from cores that other processes hold:
     * without contention they stay the same with two threads. */
    double one = 0, two = 0, cpu_one = 0, cpu_two = 0;
    double peer_one = 0, peer_two = 0;
    for (int round = 0; round < 3; round++) {
        double c1, c2, unused;
        double t1 = throughput(cached, 1, seconds, false, &c1);
        double t2 = throughput(cached, 2, seconds, false, &c2);
        double p1 = throughput(cached, 1, seconds, true, &unused);
        double p2 = throughput(cached, 2, seconds, true, &unused);
        one = t1 > one ? t1 : one;
        two = t2 > two ? t2 : two;
        cpu_one = c1 > cpu_one ? c1 : cpu_one;
        cpu_two = c2 > cpu_two ? c2 : cpu_two;
        peer_one = p1 > peer_one ? p1 : peer_one;
        peer_two = p2 > peer_two ? p2 : peer_two;
    }
    double load[1] = { 0 };
    getloadavg(load, 1);
    printf("(b) hits/s: 1 thread %.0f, 2 threads %.0f: %.2fx "
           "(best of 3 runs of %g s each, %d names, %u shards, load "
           "average %.2f)\n", one, two, two / one,
           seconds, NAMES,
           sd_cache_get_config(sd_directory_cache(cached))->shards, load[0]);
    printf("(b) peer, a loop that shares nothing, in the same threads: "
           "2 threads give %.2fx one (what the machine offers now)\n",
           peer_two / peer_one);
    printf("(b) hits per CPU-second: 1 thread %.0f, 2 threads %.0f: %.2f "
           "(1.00 = no contention; 2 free cores would give %.2fx)\n",
           cpu_one, cpu_two, cpu_two / cpu_one, 2 * cpu_two / cpu_one);
    sd_cache_stats stats;
    sd_cache_get_stats(sd_directory_cache(cached), SD_CACHE_CREDENTIALS,
                       &stats);
    printf("(b) shard lock found held by the other thread: %" G_GUINT64_FORMAT
           " of %" G_GUINT64_FORMAT " lookups (%.3f%%)\n", stats.lock_waits,
           stats.positive.hits,
           100.0 * (double)stats.lock_waits / (double)stats.positive.hits);
}

static size_t
heap_in_use(void)
{
    malloc_trim(0);
    return mallinfo2().uordblks;
}

static void
bench_memory(void)
{
    enum { ENTRIES = 100000 };
    /* A typical resolved principal: name, one address, one group. */
    sd_principal *p = sd_principal_new("user12345", SD_PRINCIPAL_INDIVIDUAL);
    g_ptr_array_add(p->emails, g_strdup("user12345@example.org"));
    g_ptr_array_add(p->member_of, g_strdup("staff"));
    g_ptr_array_add(p->groups, g_strdup("staff"));
    p->resolved = true;
    size_t packed_len = 0;
    void *packed = sd_principal_pack(p, &packed_len);
    sd_principal_free(p);

    struct { const char *label; sd_cache_kind kind; } cases[] = {
        { "credentials (principal value)", SD_CACHE_CREDENTIALS },
        { "domain (empty value)", SD_CACHE_DOMAIN },
    };
    for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
        size_t before = heap_in_use();
        /* Room to spare: each of the 16 shards holds 1/16 of `entries`
         * and the names do not split exactly evenly. */
        sd_cache_config config = {
            .entries = 2 * ENTRIES, .ttl_positive_ms = 3600000,
            .ttl_negative_ms = 600000,
        };
        sd_cache *cache = sd_cache_new(&config);
        for (int i = 0; i < ENTRIES; i++) {
            char name[32];
            g_snprintf(name, sizeof name, "user%d.example", i);
            sd_cache_key key;
            if (!sd_cache_key_init(&key, cases[c].kind, name,
                                   cases[c].kind == SD_CACHE_CREDENTIALS
                                   ? "password" : NULL))
                die("key");
            bool with_value = cases[c].kind == SD_CACHE_CREDENTIALS;
            sd_cache_put(cache, &key, SD_OK, with_value ? packed : NULL,
                         with_value ? packed_len : 0);
        }
        sd_cache_stats stats;
        sd_cache_get_stats(cache, cases[c].kind, &stats);
        if (stats.positive.size != ENTRIES)
            die("the cache does not hold every entry");
        size_t after = heap_in_use();
        printf("(c) %-30s %d entries: %.1f bytes per entry (value %zu "
               "bytes, key %d)\n", cases[c].label, ENTRIES,
               (double)(after - before) / ENTRIES,
               cases[c].kind == SD_CACHE_CREDENTIALS ? packed_len : 0,
               cases[c].kind == SD_CACHE_CREDENTIALS ? 32 : 17);
        sd_cache_free(cache);
    }
    g_free(packed);
}

/* Fixed work for callgrind; the functions' inclusive counts divided by
 * the calls are instructions per call. */
#define COUNTED_CALLS 10000

__attribute__((noinline)) static void
count_uncached(sd_directory *d)
{
    /* Another name than count_hits', or the compiler folds the two
     * identical functions into one and callgrind cannot tell them. */
    run_auth(d, "user2", COUNTED_CALLS, false);
}

__attribute__((noinline)) static void
count_hits(sd_directory *d)
{
    run_auth(d, "user1", COUNTED_CALLS, false);
}

__attribute__((noinline)) static void
count_hits_with_principal(sd_directory *d)
{
    run_auth(d, "user1", COUNTED_CALLS, true);
}

static void
count_instructions(void)
{
    sd_registry *registry = make_registry(false);
    sd_directory *cached = sd_registry_get(registry, "cached");
    count_uncached(sd_registry_get(registry, "plain"));
    run_auth(cached, "user1", 1, false);
    count_hits(cached);
    count_hits_with_principal(cached);
    printf("%d calls each of count_uncached ({SSHA512}), count_hits and "
           "count_hits_with_principal\n", COUNTED_CALLS);
    sd_registry_unref(registry);
}

int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--instructions") == 0) {
        count_instructions();
        return 0;
    }
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    if (seconds <= 0)
        die("usage: bench/cache [SECONDS-PER-THROUGHPUT-RUN | "
            "--instructions]");
    sd_registry *registry = make_registry(true);
    bench_hit_vs_uncached(registry);
    bench_threads(registry, seconds);
    sd_registry_unref(registry);
    bench_memory();
    return 0;
}
