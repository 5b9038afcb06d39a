/*
 * internal.c - bench/internal: the internal directory at scale.
 *
 * usage: bench/internal [PRINCIPALS [LOOKUPS]]   (1000000, 200000)
 *        environment SASLDIR: the sasldir tool (default tools/sasldir)
 *
 * In a temporary directory: generates a CSV file of PRINCIPALS
 * principals (name, one pre-computed {SSHA512} secret, one address),
 * imports it with "sasldir import --format csv" and reports principals/s
 * against the peer "sqlite3 .import" of the same file into one plain
 * table (no index, no constraint: the bare cost of SQLite writing those
 * bytes); then the database's bytes per principal; then the latency of
 * sd_directory_lookup() on a directory without a cache (so every call
 * reads the store) for LOOKUPS random existing and LOOKUPS random
 * missing names, p50 and p99, against the same two queries the driver
 * runs (principal row, then its parts) through bare sqlite3 on the same
 * file.  Targets (issue 6): import >= 50 000 principals/s, p99 <= 50 us.
 */
#include "config.h"

#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sasldir.h"

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void
percentiles(double *us, size_t n, double *p50, double *p99)
{
    qsort(us, n, sizeof *us, compare_double);
    *p50 = us[n / 2];
    *p99 = us[(size_t)((double)n * 0.99)];
}

/* {SSHA512} of "pw-I" with an 8-byte random salt. */
static void
ssha512(unsigned long i, char *out, size_t size)
{
    unsigned char buf[SHA512_DIGEST_LENGTH + 8];
    unsigned char input[40];
    int len = snprintf((char *)input, 32, "pw-%lu", i);
    RAND_bytes(buf + SHA512_DIGEST_LENGTH, 8);
    memcpy(input + len, buf + SHA512_DIGEST_LENGTH, 8);
    SHA512(input, (size_t)len + 8, buf);
    char *b64 = g_base64_encode(buf, sizeof buf);
    snprintf(out, size, "{SSHA512}%s", b64);
    g_free(b64);
}

static void
generate(const char *path, unsigned long n)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    fputs("name,secret,email\n", f);
    char secret[160];
    for (unsigned long i = 0; i < n; i++) {
        ssha512(i, secret, sizeof secret);
        fprintf(f, "user%07lu,%s,user%07lu@example.org\n", i, secret, i);
    }
    fclose(f);
}

static double
run_timed(char **argv, bool show)
{
    char *out = NULL, *err = NULL;
    int status = 0;
    GError *error = NULL;
    double t0 = now_s();
    if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                      &out, &err, &status, &error)) {
        fprintf(stderr, "%s: %s\n", argv[0], error->message);
        exit(1);
    }
    double seconds = now_s() - t0;
    if (show && out != NULL)
        fputs(out, stdout);
    if (!g_spawn_check_wait_status(status, NULL)) {
        fprintf(stderr, "%s failed:\n%s%s", argv[0], out, err);
        exit(1);
    }
    g_free(out);
    g_free(err);
    return seconds;
}

static off_t
file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : 0;
}

/* The driver's two read statements, through bare sqlite3. */
static const char lookup_sql[] =
    "SELECT id, name, type, description, quota FROM principals"
    " WHERE name_key = ?1";
static const char parts_sql[] =
    "SELECT 1, position, secret FROM secrets WHERE principal = ?1"
    " UNION ALL SELECT 2, position, value FROM auth_passwords"
    " WHERE principal = ?1"
    " UNION ALL SELECT 3, position, address FROM emails WHERE principal = ?1"
    " UNION ALL SELECT 4, position, address FROM list_members"
    " WHERE principal = ?1"
    " UNION ALL SELECT 5, position, group_name FROM member_of"
    " WHERE principal = ?1 ORDER BY 1, 2";

static sqlite3_stmt *begin_stmt, *commit_stmt;

static void
bare_lookup(sqlite3 *db, sqlite3_stmt *lookup, sqlite3_stmt *parts,
            const char *name)
{
    (void)db;
    sqlite3_step(begin_stmt);
    sqlite3_reset(begin_stmt);
    sqlite3_bind_text(lookup, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(lookup) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(lookup, 0);
        volatile const unsigned char *keep = sqlite3_column_text(lookup, 1);
        (void)keep;
        sqlite3_bind_int64(parts, 1, id);
        while (sqlite3_step(parts) == SQLITE_ROW)
            keep = sqlite3_column_text(parts, 2);
        sqlite3_reset(parts);
    }
    sqlite3_reset(lookup);
    sqlite3_step(commit_stmt);
    sqlite3_reset(commit_stmt);
}

typedef struct lookup_stats {
    double p50, p99, mean;
} lookup_stats;

/*
 * LOOKUPS random names (existing or missing), each asked of sasldir and
 * of the bare queries one after the other, so both see the same page
 * cache and the same load.
 */
static void
measure(sd_directory *directory, sqlite3 *db, sqlite3_stmt *lookup,
        sqlite3_stmt *parts, unsigned long n, unsigned long lookups,
        bool existing, lookup_stats *ours, lookup_stats *bare)
{
    double *us = g_new(double, lookups);
    double *bare_us = g_new(double, lookups);
    double total = 0, bare_total = 0;
    GRand *rand = g_rand_new_with_seed(existing ? 1 : 2);
    for (unsigned long i = 0; i < lookups; i++) {
        char name[32];
        unsigned long k = (unsigned long)g_rand_int_range(rand, 0, (gint32)n);
        snprintf(name, sizeof name, existing ? "user%07lu" : "nobody%07lu",
                 k);
        /* Alternate which goes first. */
        for (int round = 0; round < 2; round++) {
            bool do_bare = (round == 0) == (i % 2 == 0);
            double t0 = now_s();
            if (do_bare) {
                bare_lookup(db, lookup, parts, name);
            } else {
                sd_principal *p = NULL;
                sd_result r = sd_directory_lookup(directory, name, &p, NULL);
                if (r != (existing ? SD_OK : SD_NOTFOUND)) {
                    fprintf(stderr, "lookup %s: %s\n", name,
                            sd_result_name(r));
                    exit(1);
                }
                sd_principal_free(p);
            }
            double t = (now_s() - t0) * 1e6;
            if (do_bare) {
                bare_us[i] = t;
                bare_total += t;
            } else {
                us[i] = t;
                total += t;
            }
        }
    }
    percentiles(us, lookups, &ours->p50, &ours->p99);
    percentiles(bare_us, lookups, &bare->p50, &bare->p99);
    ours->mean = total / (double)lookups;
    bare->mean = bare_total / (double)lookups;
    g_free(us);
    g_free(bare_us);
    g_rand_free(rand);
}

int
main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    unsigned long lookups = argc > 2 ? strtoul(argv[2], NULL, 10) : 200000;
    const char *sasldir = g_getenv("SASLDIR");
    if (sasldir == NULL)
        sasldir = "tools/sasldir";
    if (n < 1 || lookups < 100) {
        fprintf(stderr, "usage: bench/internal [PRINCIPALS [LOOKUPS>=100]]\n");
        return 2;
    }
    GError *error = NULL;
    char *dir = g_dir_make_tmp("sasldir-bench-XXXXXX", &error);
    if (dir == NULL) {
        fprintf(stderr, "%s\n", error->message);
        return 1;
    }
    char *csv = g_build_filename(dir, "users.csv", NULL);
    char *db_path = g_build_filename(dir, "directory.db", NULL);
    char *conf = g_build_filename(dir, "sasldir.toml", NULL);
    char *peer = g_build_filename(dir, "peer.db", NULL);
    char *text = g_strdup_printf("[directory.\"default\"]\ntype = "
                                 "\"internal\"\nstore = \"%s\"\n", db_path);
    g_file_set_contents(conf, text, -1, NULL);
    g_free(text);

    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("bench/internal: %lu principals, %lu lookups each way, in %s\n",
           n, lookups, dir);
    double t0 = now_s();
    generate(csv, n);
    printf("generated %s (%lld bytes, {SSHA512} secrets) in %.1f s\n", csv,
           (long long)file_size(csv), now_s() - t0);

    char *import_argv[] = { (char *)sasldir, "-c", conf, "import",
                            "--format", "csv", csv, NULL };
    double seconds = run_timed(import_argv, true);
    double rate = (double)n / seconds;
    char *peer_sql = g_strdup_printf(".import --csv %s users", csv);
    char *peer_argv[] = { "sqlite3", peer, peer_sql, NULL };
    double peer_seconds = run_timed(peer_argv, false);
    double peer_rate = (double)n / peer_seconds;
    g_free(peer_sql);
    printf("import:  sasldir %.0f principals/s (%.2f s, wall clock of the "
           "command); peer sqlite3 .import into one plain table %.0f "
           "rows/s (%.2f s); ratio sasldir/peer %.3f; target >= 50000: %s\n",
           rate, seconds, peer_rate, peer_seconds, rate / peer_rate,
           rate >= 50000 ? "met" : "MISSED");

    /* Fold the WAL into the file, then measure what stays on disk. */
    sqlite3 *db = NULL;
    sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    off_t bytes = file_size(db_path);
    printf("on disk: %lld bytes, %.1f bytes per principal (one secret of "
           "%zu bytes, one address); peer plain table %.1f bytes per row\n",
           (long long)bytes, (double)bytes / (double)n,
           strlen("{SSHA512}") + 96, (double)file_size(peer) / (double)n);

    sd_registry *registry = sd_registry_load(conf, &error);
    if (registry == NULL) {
        fprintf(stderr, "%s\n", error->message);
        return 1;
    }
    sd_directory *directory = sd_registry_default(registry);
    sqlite3_stmt *lookup = NULL, *parts = NULL;
    sqlite3_prepare_v2(db, lookup_sql, -1, &lookup, NULL);
    sqlite3_prepare_v2(db, parts_sql, -1, &parts, NULL);
    sqlite3_prepare_v2(db, "BEGIN", -1, &begin_stmt, NULL);
    sqlite3_prepare_v2(db, "COMMIT", -1, &commit_stmt, NULL);
    /* Warm up: the whole file into the page cache, both code paths. */
    char *contents = NULL;
    gsize length = 0;
    if (g_file_get_contents(db_path, &contents, &length, NULL))
        g_free(contents);
    lookup_stats s, b;
    measure(directory, db, lookup, parts, n, 1000, true, &s, &b);
    static const char *const kinds[] = { "existing", "missing" };
    bool missed = false;
    double load[3] = { 0, 0, 0 };
    for (int k = 0; k < 2; k++) {
        measure(directory, db, lookup, parts, n, lookups, k == 0, &s, &b);
        printf("lookup %-8s sasldir p50 %.1f us, p99 %.1f us, mean %.1f us; "
               "peer bare sqlite3 (the driver's 2 queries, interleaved) p50 "
               "%.1f us, p99 %.1f us, mean %.1f us; ratio p99 sasldir/peer "
               "%.2f; target p99 <= 50 us: %s\n", kinds[k], s.p50, s.p99,
               s.mean, b.p50, b.p99, b.mean, s.p99 / b.p99,
               s.p99 <= 50 ? "met" : "MISSED");
        missed |= s.p99 > 50;
    }
    if (getloadavg(load, 3) == 3)
        printf("load average at the end: %.2f %.2f %.2f (%ld CPUs)\n",
               load[0], load[1], load[2], sysconf(_SC_NPROCESSORS_ONLN));
    sqlite3_finalize(lookup);
    sqlite3_finalize(parts);
    sqlite3_finalize(begin_stmt);
    sqlite3_finalize(commit_stmt);
    sqlite3_close(db);
    sd_registry_unref(registry);
    char *rm_argv[] = { "rm", "-rf", dir, NULL };
    run_timed(rm_argv, false);
    g_free(csv);
    g_free(db_path);
    g_free(conf);
    g_free(peer);
    g_free(dir);
    return rate >= 50000 && !missed ? 0 : 3;
}
