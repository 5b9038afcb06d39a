/*
 * sql.c - authentications per second through libsasldir's sql
 * directory, without and with its cache, against the bare client
 * library running the same query in the same run.
 *
 *   bench-sql SECONDS CONFIG-POOL-1 CONFIG-POOL-8 CONFIG-POOL-8-CACHED
 *             NAME PASSWORD BARE
 *
 * CONFIG-POOL-1 and CONFIG-POOL-8 are the same directory with
 * max-connections 1 and 8 and no cache; CONFIG-POOL-8-CACHED is
 * CONFIG-POOL-8 with a [directory.X.cache] section.  The uncached ones
 * are driven by 1, 4 and 16 threads for SECONDS, the cached one by 1
 * and 4 (after one warming authentication every answer is a hit).  BARE names the peer: "pgsql:<conninfo>" (libpq) or
 * "mysql:<host>:<port>:<user>:<password>:<database>" (libmariadb); one
 * thread runs the directory's name query with PQexecPrepared /
 * mysql_stmt_execute on one connection.  bench/sql.sh starts the
 * servers and calls this.
 *
 * Output: one line per run with authentications/s, the ratio to the
 * bare query rate, and for pool 8 the ratio to pool 1 at the same
 * thread count (above 1 when the pool lets threads overlap); then for
 * the cache, auth/s and the ratio cache on / cache off (pool 8, same
 * thread count).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd_directory.h"

#ifdef HAVE_PGSQL
#include <libpq-fe.h>
#endif
#ifdef HAVE_MYSQL
#include <mysql.h>
#endif

/* The name query of the sample configurations (conf/sql), with the
 * placeholders of the engine. */
#define NAME_QUERY_TAIL \
    " FROM accounts WHERE name = %s AND active = TRUE UNION ALL SELECT " \
    "a.name, a.type, p.secret, a.description, a.quota FROM accounts AS a " \
    "JOIN app_passwords AS p ON p.name = a.name WHERE a.name = %s AND " \
    "a.active = TRUE"
#define NAME_QUERY "SELECT name, type, secret, description, quota" \
    NAME_QUERY_TAIL

typedef struct run {
    sd_directory *directory;
    const char *name;
    const char *password;
    gint64 end;
    gint done;
    gint failed;
} run;

static gpointer
worker(gpointer data)
{
    run *r = data;
    while (g_get_monotonic_time() < r->end) {
        sd_result result = sd_directory_authenticate(r->directory, r->name,
                                                     r->password, NULL, NULL);
        g_atomic_int_inc(result == SD_OK ? &r->done : &r->failed);
    }
    return NULL;
}

static double
measure(const char *config, int threads, double seconds, const char *name,
        const char *password)
{
    GError *error = NULL;
    sd_registry *registry = sd_registry_load(config, &error);
    if (registry == NULL) {
        fprintf(stderr, "bench-sql: %s\n", error->message);
        exit(2);
    }
    run r = { sd_registry_default(registry), name, password, 0, 0, 0 };
    /* One authentication first, so connecting is not in the timing. */
    sd_directory_authenticate(r.directory, name, password, NULL, NULL);
    gint64 start = g_get_monotonic_time();
    r.end = start + (gint64)(seconds * G_USEC_PER_SEC);
    GThread *all[16];
    for (int i = 0; i < threads; i++)
        all[i] = g_thread_new("bench", worker, &r);
    for (int i = 0; i < threads; i++)
        g_thread_join(all[i]);
    double elapsed = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
    sd_registry_unref(registry);
    if (r.failed > 0) {
        fprintf(stderr, "bench-sql: %d authentications failed\n", r.failed);
        exit(1);
    }
    return r.done / elapsed;
}

#ifdef HAVE_PGSQL
static double
bare_pgsql(const char *conninfo, double seconds, const char *name)
{
    PGconn *conn = PQconnectdb(conninfo);
    char *sql = g_strdup_printf(NAME_QUERY, "$1", "$1");
    PGresult *prepared = PQprepare(conn, "q", sql, 1, NULL);
    if (PQresultStatus(prepared) != PGRES_COMMAND_OK) {
        fprintf(stderr, "bench-sql: %s", PQerrorMessage(conn));
        exit(2);
    }
    PQclear(prepared);
    g_free(sql);
    const char *values[1] = { name };
    long done = 0;
    gint64 start = g_get_monotonic_time();
    gint64 end = start + (gint64)(seconds * G_USEC_PER_SEC);
    while (g_get_monotonic_time() < end) {
        PGresult *result = PQexecPrepared(conn, "q", 1, values, NULL, NULL,
                                          0);
        if (PQresultStatus(result) != PGRES_TUPLES_OK || PQntuples(result) < 1)
            exit(1);
        PQclear(result);
        done++;
    }
    PQfinish(conn);
    return done / ((double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC);
}
#endif

#ifdef HAVE_MYSQL
static double
bare_mysql(const char *spec, double seconds, const char *name)
{
    char **part = g_strsplit(spec, ":", 5);
    if (g_strv_length(part) != 5) {
        fprintf(stderr, "bench-sql: mysql:HOST:PORT:USER:PASSWORD:DB\n");
        exit(2);
    }
    MYSQL *mysql = mysql_init(NULL);
    if (mysql_real_connect(mysql, part[0], part[2], part[3], part[4],
                           (unsigned)atoi(part[1]), NULL, 0) == NULL) {
        fprintf(stderr, "bench-sql: %s\n", mysql_error(mysql));
        exit(2);
    }
    char *sql = g_strdup_printf(NAME_QUERY, "?", "?");
    MYSQL_STMT *stmt = mysql_stmt_init(mysql);
    if (mysql_stmt_prepare(stmt, sql, strlen(sql)) != 0) {
        fprintf(stderr, "bench-sql: %s\n", mysql_stmt_error(stmt));
        exit(2);
    }
    g_free(sql);
    unsigned long length = strlen(name);
    MYSQL_BIND param[2];
    memset(param, 0, sizeof param);
    for (int i = 0; i < 2; i++) {
        param[i].buffer_type = MYSQL_TYPE_STRING;
        param[i].buffer = (void *)name;
        param[i].buffer_length = length;
        param[i].length = &length;
    }
    mysql_stmt_bind_param(stmt, param);
    long done = 0;
    gint64 start = g_get_monotonic_time();
    gint64 end = start + (gint64)(seconds * G_USEC_PER_SEC);
    while (g_get_monotonic_time() < end) {
        if (mysql_stmt_execute(stmt) != 0 || mysql_stmt_store_result(stmt))
            exit(1);
        mysql_stmt_free_result(stmt);
        done++;
    }
    mysql_stmt_close(stmt);
    mysql_close(mysql);
    g_strfreev(part);
    return done / ((double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC);
}
#endif

static double
bare(const char *spec, double seconds, const char *name)
{
#ifdef HAVE_PGSQL
    if (g_str_has_prefix(spec, "pgsql:"))
        return bare_pgsql(spec + 6, seconds, name);
#endif
#ifdef HAVE_MYSQL
    if (g_str_has_prefix(spec, "mysql:"))
        return bare_mysql(spec + 6, seconds, name);
#endif
    fprintf(stderr, "bench-sql: unknown or unbuilt peer '%s'\n", spec);
    exit(2);
}

int
main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: bench-sql SECONDS CONFIG-POOL-1 "
                "CONFIG-POOL-8 CONFIG-POOL-8-CACHED NAME PASSWORD BARE\n");
        return 2;
    }
    double seconds = atof(argv[1]);
    const char *name = argv[5], *password = argv[6];
    double floor = bare(argv[7], seconds, name);
    printf("bare client library, 1 thread, 1 connection: %.0f queries/s\n",
           floor);
    static const int threads[] = { 1, 4, 16 };
    double uncached[G_N_ELEMENTS(threads)];
    for (size_t i = 0; i < G_N_ELEMENTS(threads); i++) {
        double one = measure(argv[2], threads[i], seconds, name, password);
        double eight = measure(argv[3], threads[i], seconds, name, password);
        printf("%2d threads: pool 1 %7.0f auth/s (%.2fx bare), pool 8 "
               "%7.0f auth/s (%.2fx bare, %.2fx pool 1)\n", threads[i], one,
               one / floor, eight, eight / floor, eight / one);
        uncached[i] = eight;
    }
    /* The cache: 1 and 4 threads (16 adds nothing on 2 cores). */
    for (size_t i = 0; i < 2; i++) {
        double cached = measure(argv[4], threads[i], seconds, name,
                                password);
        printf("%2d threads: pool 8 + cache %9.0f auth/s (%.1fx bare, "
               "%.1fx cache off)\n", threads[i], cached, cached / floor,
               cached / uncached[i]);
    }
    return 0;
}
