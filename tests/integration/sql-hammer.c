/*
 * sql-hammer.c - drives a directory from many threads, or for a while,
 * for the SQL integration tests (tests/integration/sql-*.test).
 *
 *   sql-hammer concurrent CONFIG NAME PASSWORD THREADS ROUNDS
 *       THREADS threads authenticate NAME ROUNDS times each; prints
 *       "ok=N tempfail=N mismatch=N notfound=N error=N" and the
 *       directory's pool statistics.  Exit 0 when every answer was OK.
 *
 *   sql-hammer follow CONFIG NAME PASSWORD SECONDS
 *       authenticates NAME every 100 ms for SECONDS, in one process
 *       (the pool survives server restarts); prints the same counts
 *       plus "last=<result> max_ms=<slowest answer>".
 *
 *   sql-hammer twice CONFIG NAME PASSWORD COMMAND
 *       authenticates NAME, runs the shell COMMAND (which breaks the
 *       pooled connection on the server side), authenticates again;
 *       prints both results and the pool statistics.  Exit 0 when both
 *       were OK.
 *
 *   sql-hammer outage CONFIG NAME PASSWORD READY-FILE GO-FILE
 *       for a directory with a cache, run while the server is stopped:
 *       authenticates NAME and looks it up (both should be temporary
 *       failures), creates READY-FILE, waits (at most 60 s) for GO-FILE
 *       (made once the server is back), then authenticates and looks
 *       up NAME again at once, in the same process; prints
 *       "down: auth=<result> lookup=<result>",
 *       "up: auth=<result> lookup=<result>" and, per cache kind,
 *       "cache <kind>: negative inserts=N size=N hits=N". Exit 0 when
 *       the answers were TEMPFAIL, TEMPFAIL, OK, OK.
 *
 * The password is taken from the command line: these are test
 * passwords, never real ones.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd_cache.h"
#include "sd_directory.h"
#include "sd_pool.h"

typedef struct counts {
    gint by_result[SD_ERROR + 1];
} counts;

typedef struct job {
    sd_directory *directory;
    const char *name;
    const char *password;
    int rounds;
    counts *counts;
} job;

static void
print_counts(const counts *c)
{
    printf("ok=%d tempfail=%d mismatch=%d notfound=%d error=%d\n",
           c->by_result[SD_OK], c->by_result[SD_TEMPFAIL],
           c->by_result[SD_MISMATCH], c->by_result[SD_NOTFOUND],
           c->by_result[SD_ERROR]);
}

static void
print_pool(sd_directory *directory)
{
    sd_pool *pool = sd_directory_pool(directory);
    if (pool == NULL)
        return;
    sd_pool_stats stats;
    sd_pool_get_stats(pool, &stats);
    char *line = sd_pool_stats_format(&stats);
    printf("pool: %s\n", line);
    g_free(line);
}

static gpointer
worker(gpointer data)
{
    job *j = data;
    for (int i = 0; i < j->rounds; i++) {
        GError *error = NULL;
        sd_result r = sd_directory_authenticate(j->directory, j->name,
                                                j->password, NULL, &error);
        if (r != SD_OK && error != NULL)
            fprintf(stderr, "sql-hammer: %s\n", error->message);
        g_clear_error(&error);
        g_atomic_int_inc(&j->counts->by_result[r]);
    }
    return NULL;
}

static int
concurrent(sd_directory *directory, char **argv)
{
    counts c = { { 0 } };
    job j = { directory, argv[0], argv[1], atoi(argv[3]), &c };
    int threads = atoi(argv[2]);
    GPtrArray *all = g_ptr_array_new();
    for (int i = 0; i < threads; i++)
        g_ptr_array_add(all, g_thread_new("hammer", worker, &j));
    for (guint i = 0; i < all->len; i++)
        g_thread_join(g_ptr_array_index(all, i));
    g_ptr_array_unref(all);
    print_counts(&c);
    print_pool(directory);
    return c.by_result[SD_OK] == threads * j.rounds ? 0 : 1;
}

static int
follow(sd_directory *directory, char **argv)
{
    counts c = { { 0 } };
    gint64 end = g_get_monotonic_time() + atoll(argv[2]) * G_USEC_PER_SEC;
    gint64 max_us = 0;
    sd_result last = SD_ERROR;
    while (g_get_monotonic_time() < end) {
        gint64 start = g_get_monotonic_time();
        GError *error = NULL;
        last = sd_directory_authenticate(directory, argv[0], argv[1], NULL,
                                         &error);
        gint64 took = g_get_monotonic_time() - start;
        max_us = MAX(max_us, took);
        if (last != SD_OK)
            fprintf(stderr, "sql-hammer: %s\n",
                    error != NULL ? error->message : "?");
        g_clear_error(&error);
        c.by_result[last]++;
        g_usleep(100 * 1000);
    }
    print_counts(&c);
    printf("last=%s max_ms=%" G_GINT64_FORMAT "\n", sd_result_name(last),
           max_us / 1000);
    print_pool(directory);
    return 0;
}

static sd_result
authenticate_once(sd_directory *directory, const char *name,
                  const char *password)
{
    GError *error = NULL;
    sd_result r = sd_directory_authenticate(directory, name, password, NULL,
                                            &error);
    if (r != SD_OK)
        fprintf(stderr, "sql-hammer: %s\n", error->message);
    g_clear_error(&error);
    return r;
}

static int
twice(sd_directory *directory, char **argv)
{
    sd_result first = authenticate_once(directory, argv[0], argv[1]);
    int status = system(argv[2]);
    sd_result second = authenticate_once(directory, argv[0], argv[1]);
    printf("first=%s command=%d second=%s\n", sd_result_name(first), status,
           sd_result_name(second));
    print_pool(directory);
    return first == SD_OK && second == SD_OK ? 0 : 1;
}

static sd_result
lookup_once(sd_directory *directory, const char *name)
{
    GError *error = NULL;
    sd_principal *principal = NULL;
    sd_result r = sd_directory_lookup(directory, name, &principal, &error);
    if (r != SD_OK)
        fprintf(stderr, "sql-hammer: %s\n",
                error != NULL ? error->message : "?");
    g_clear_error(&error);
    sd_principal_free(principal);
    return r;
}

static void
print_cache(sd_directory *directory)
{
    sd_cache *cache = sd_directory_cache(directory);
    if (cache == NULL) {
        printf("cache: none\n");
        return;
    }
    for (int k = 0; k < SD_CACHE_KINDS; k++) {
        sd_cache_stats stats;
        sd_cache_get_stats(cache, (sd_cache_kind)k, &stats);
        printf("cache %s: negative inserts=%" G_GUINT64_FORMAT " size=%"
               G_GUINT64_FORMAT " hits=%" G_GUINT64_FORMAT "\n",
               sd_cache_kind_name((sd_cache_kind)k), stats.negative.inserts,
               stats.negative.size, stats.negative.hits);
    }
}

static int
outage(sd_directory *directory, char **argv)
{
    const char *name = argv[0], *password = argv[1];
    sd_result down_auth = authenticate_once(directory, name, password);
    sd_result down_lookup = lookup_once(directory, name);
    printf("down: auth=%s lookup=%s\n", sd_result_name(down_auth),
           sd_result_name(down_lookup));
    fflush(stdout);
    if (!g_file_set_contents(argv[2], "", 0, NULL))
        return 2;
    gint64 end = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    while (!g_file_test(argv[3], G_FILE_TEST_EXISTS)) {
        if (g_get_monotonic_time() > end)
            return 2;
        g_usleep(50 * 1000);
    }
    sd_result up_auth = authenticate_once(directory, name, password);
    sd_result up_lookup = lookup_once(directory, name);
    printf("up: auth=%s lookup=%s\n", sd_result_name(up_auth),
           sd_result_name(up_lookup));
    print_cache(directory);
    return down_auth == SD_TEMPFAIL && down_lookup == SD_TEMPFAIL
           && up_auth == SD_OK && up_lookup == SD_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
    bool is_concurrent = argc == 7 && strcmp(argv[1], "concurrent") == 0;
    bool is_follow = argc == 6 && strcmp(argv[1], "follow") == 0;
    bool is_twice = argc == 6 && strcmp(argv[1], "twice") == 0;
    bool is_outage = argc == 7 && strcmp(argv[1], "outage") == 0;
    if (!is_concurrent && !is_follow && !is_twice && !is_outage) {
        fprintf(stderr, "usage: sql-hammer concurrent CONFIG NAME PASSWORD "
                "THREADS ROUNDS\n       sql-hammer follow CONFIG NAME "
                "PASSWORD SECONDS\n       sql-hammer twice CONFIG NAME "
                "PASSWORD COMMAND\n       sql-hammer outage CONFIG NAME "
                "PASSWORD READY-FILE GO-FILE\n");
        return 2;
    }
    GError *error = NULL;
    sd_registry *registry = sd_registry_load(argv[2], &error);
    if (registry == NULL) {
        fprintf(stderr, "sql-hammer: %s\n", error->message);
        g_error_free(error);
        return 2;
    }
    sd_directory *directory = sd_registry_default(registry);
    int status = is_concurrent ? concurrent(directory, argv + 3)
                 : is_follow ? follow(directory, argv + 3)
                 : is_outage ? outage(directory, argv + 3)
                 : twice(directory, argv + 3);
    sd_registry_unref(registry);
    return status;
}
