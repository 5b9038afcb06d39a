/*
 * sasl.c - the SASL plugins through the real libsasl2 API, against
 * Cyrus SASL's own sasldb, in one run.
 *
 * (a) sasl_checkpass() per second with pwcheck_method auxprop on
 *     plaintext users: the stock auxprop sasldb (Debian's
 *     libsasl2-modules-db, its file made with saslpasswd2 -f) against
 *     the auxprop sasldir on the same users in a memory directory and in
 *     an sql directory on SQLite (a local file, like sasldb), each with
 *     the directory's cache off and on.  Target: sasldir with the cache
 *     on takes at most 1.0 times sasldb's time per check.
 * (b) PLAIN exchanges per second, each what a daemon does per session:
 *     sasl_server_new, sasl_server_start("PLAIN") with the whole
 *     response, sasl_dispose.  sasldir's PLAIN on both directories with
 *     the cache off and on; the stock PLAIN over sasldb as the peer.
 *
 * Every case runs in a child process of its own (libsasl2 reads its
 * plugin path and loads its plugins once per process), the cases
 * alternating, each time the best of several runs, so that other
 * processes on the machine disturb the ratios less.  Options come from
 * a SASL_CB_GETOPT callback, as Cyrus IMAP passes its imapd.conf.
 *
 * usage: bench/sasl [--users N] [--seconds S] [--rounds R]
 *        bench/sasl --only CASE --count N    (one case, in this process,
 *                                             a fixed count: for callgrind)
 * The plugins are taken from this build tree (BENCH_PLUGIN_PATH), the
 * stock ones from the directory beside the libsasl2 in use.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sasl/sasl.h>

#define SERVER_FQDN "bench.localdomain"

typedef enum { CHECKPASS, PLAIN_EXCHANGE } bench_kind;

/* sasldir's directories: the same users in memory and in SQLite. */
typedef enum { NO_STORE, MEMORY, SQLITE } bench_store;

typedef struct bench_case {
    const char *name;           /* for --only */
    const char *label;
    bench_kind kind;
    const char *auxprop;        /* auxprop_plugin */
    bench_store store;          /* sasldir: which directory */
    bool cache;                 /* sasldir: that directory with a cache */
} bench_case;

/* The first case of each kind is the peer the others are divided by. */
static const bench_case cases[] = {
    { "checkpass-sasldb", "auxprop sasldb (stock)", CHECKPASS, "sasldb", NO_STORE, false },
    { "checkpass-memory", "auxprop sasldir, memory, cache off", CHECKPASS, "sasldir", MEMORY, false },
    { "checkpass-memory-cache", "auxprop sasldir, memory, cache on", CHECKPASS, "sasldir", MEMORY, true },
    { "checkpass-sqlite", "auxprop sasldir, SQLite, cache off", CHECKPASS, "sasldir", SQLITE, false },
    { "checkpass-sqlite-cache", "auxprop sasldir, SQLite, cache on", CHECKPASS, "sasldir", SQLITE, true },
    { "plain-stock", "stock PLAIN over sasldb", PLAIN_EXCHANGE, "sasldb", NO_STORE, false },
    { "plain-memory", "sasldir PLAIN, memory, cache off", PLAIN_EXCHANGE, "sasldir", MEMORY, false },
    { "plain-memory-cache", "sasldir PLAIN, memory, cache on", PLAIN_EXCHANGE, "sasldir", MEMORY, true },
    { "plain-sqlite", "sasldir PLAIN, SQLite, cache off", PLAIN_EXCHANGE, "sasldir", SQLITE, false },
    { "plain-sqlite-cache", "sasldir PLAIN, SQLite, cache on", PLAIN_EXCHANGE, "sasldir", SQLITE, true },
};

/* What every child needs: the files made by the parent. */
typedef struct bench_env {
    int users;
    char *dir;
    char *sasldb;
    char *sqlite;               /* the SQLite database */
    char *toml[3][2];           /* sasldir configuration by store, cache */
    char *sasldir_path;         /* SASL_PATH: this build's plugins */
    char *stock_path;           /* SASL_PATH: the stock plugins only */
} bench_env;

/* The options of the running case, handed out by getopt_cb. */
static const bench_case *current;
static const bench_env *env;
static bool quiet;              /* an expected failure: do not log it */
static pid_t parent;            /* the process that made the files */

static void env_cleanup(const bench_env *e);

static double
now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

G_GNUC_NORETURN G_GNUC_PRINTF(1, 2) static void
die(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    fputs("bench/sasl: ", stderr);
    vfprintf(stderr, format, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (env != NULL && getpid() == parent)
        env_cleanup(env);
    exit(1);
}

static int
getopt_cb(void *context, const char *plugin, const char *option,
          const char **result, unsigned *len)
{
    (void)context;
    (void)plugin;
    const char *value = NULL;
    if (strcmp(option, "pwcheck_method") == 0)
        value = "auxprop";
    else if (strcmp(option, "auxprop_plugin") == 0)
        value = current->auxprop;
    else if (strcmp(option, "mech_list") == 0)
        value = "PLAIN";
    else if (strcmp(option, "sasldb_path") == 0)
        value = env->sasldb;
    else if (strcmp(option, "sasldir_config") == 0)
        value = env->toml[current->store][current->cache];
    if (value == NULL)
        return SASL_FAIL;
    *result = value;
    if (len != NULL)
        *len = (unsigned)strlen(value);
    return SASL_OK;
}

/* libsasl2's and the plugins' warnings and errors, on stderr. */
static int
log_cb(void *context, int level, const char *message)
{
    (void)context;
    if (level <= SASL_LOG_WARN && !quiet)
        fprintf(stderr, "bench/sasl: libsasl2 (%s): %s\n", current->name,
                message);
    return SASL_OK;
}

/* sasl_callback_t holds every callback as int (*)(void); the detour
 * through void (*)(void) tells the compiler that the cast is meant. */
#define BENCH_CALLBACK(f) ((int (*)(void))(void (*)(void))(f))

static sasl_callback_t callbacks[] = {
    { SASL_CB_GETOPT, BENCH_CALLBACK(&getopt_cb), NULL },
    { SASL_CB_LOG, BENCH_CALLBACK(&log_cb), NULL },
    { SASL_CB_LIST_END, NULL, NULL },
};

static void
user_name(char *buffer, size_t size, int i)
{
    g_snprintf(buffer, size, "user%d", i);
}

static void
user_password(char *buffer, size_t size, int i)
{
    g_snprintf(buffer, size, "pw-%d-secret", i);
}

static sasl_conn_t *
new_conn(void)
{
    sasl_conn_t *conn = NULL;
    int r = sasl_server_new("bench", SERVER_FQDN, NULL, NULL, NULL, NULL, 0,
                            &conn);
    if (r != SASL_OK)
        die("%s: sasl_server_new: %s", current->name,
            sasl_errstring(r, NULL, NULL));
    return conn;
}

/* libsasl2's detail of the last failed attempt, for the error message. */
static char last_detail[256];

/*
 * One check of NAME and PASSWORD as the case makes it, on a connection
 * of its own, as a daemon has one per session.  (A connection reused
 * for many sasl_checkpass calls gets slower with each one in libsasl2
 * 2.1.28: with sasldb, 0.15 ms per check on average over 500 checks,
 * 3 ms over 6000; so reusing one would measure libsasl2, not the
 * auxprop.)
 */
static int
attempt(const char *name, const char *password)
{
    sasl_conn_t *session = new_conn();
    int r;
    if (current->kind == CHECKPASS) {
        r = sasl_checkpass(session, name, (unsigned)strlen(name), password,
                           (unsigned)strlen(password));
    } else {
        /* authzid (empty) NUL authcid NUL password (RFC 4616). */
        char response[80];
        size_t name_len = strlen(name), password_len = strlen(password);
        if (name_len + password_len + 2 > sizeof response)
            die("name or password too long");
        response[0] = '\0';
        memcpy(response + 1, name, name_len + 1);
        memcpy(response + 2 + name_len, password, password_len);
        const char *out = NULL;
        unsigned out_len = 0;
        r = sasl_server_start(session, "PLAIN", response,
                              (unsigned)(2 + name_len + password_len),
                              &out, &out_len);
    }
    if (r != SASL_OK)
        g_strlcpy(last_detail, sasl_errdetail(session), sizeof last_detail);
    sasl_dispose(&session);
    return r;
}

/* One operation of the case for user I; SASL_OK when it authenticated. */
static int
one_operation(int i)
{
    char name[32], password[32];
    user_name(name, sizeof name, i);
    user_password(password, sizeof password, i);
    return attempt(name, password);
}

static void
case_init(void)
{
    const char *path = strcmp(current->auxprop, "sasldir") == 0
        ? env->sasldir_path : env->stock_path;
    if (setenv("SASL_PATH", path, 1) != 0)
        die("setenv: %s", g_strerror(errno));
    int r = sasl_server_init(callbacks, "bench");
    if (r != SASL_OK)
        die("%s: sasl_server_init: %s", current->name,
            sasl_errstring(r, NULL, NULL));
}

/* Every user once: proves that each authenticates (a benchmark of
 * failures would be worthless) and fills the cache. */
static void
warm_up(void)
{
    for (int i = 0; i < env->users; i++) {
        int r = one_operation(i);
        if (r != SASL_OK)
            die("%s: user%d does not authenticate: %s (%s)", current->name,
                i, sasl_errstring(r, NULL, NULL), last_detail);
    }
    /* And a wrong password must fail, or the case measures nothing. */
    quiet = true;           /* libsasl2 logs the failure: expected */
    int r = attempt("user0", "wrong");
    quiet = false;
    if (r == SASL_OK)
        die("%s: a wrong password authenticates", current->name);
}

/* Seconds per operation over SECONDS of operations on every user. */
static double
timed_run(double seconds)
{
    long done = 0;
    double start = now_seconds(), end = start + seconds, t = start;
    while (t < end) {
        for (int i = 0; i < env->users; i++)
            if (one_operation(i) != SASL_OK)
                die("%s: user%d failed during the run", current->name, i);
        done += env->users;
        t = now_seconds();
    }
    return (t - start) / (double)done;
}

/* Runs case C in a child; its seconds per operation, or < 0. */
static double
run_child(const bench_case *c, double seconds)
{
    int fds[2];
    if (pipe(fds) != 0)
        die("pipe: %s", g_strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", g_strerror(errno));
    if (pid == 0) {
        close(fds[0]);
        current = c;
        case_init();
        warm_up();
        double per_op = timed_run(seconds);
        sasl_server_done();
        if (write(fds[1], &per_op, sizeof per_op) != sizeof per_op)
            _exit(1);
        _exit(0);
    }
    close(fds[1]);
    double per_op = -1;
    ssize_t n = read(fds[0], &per_op, sizeof per_op);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (n != sizeof per_op || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("case %s failed (see above)", c->name);
    return per_op;
}

/* --- the files every case reads ------------------------------------ */

static void
make_sasldb(bench_env *e)
{
    for (int i = 0; i < e->users; i++) {
        char name[32], password[32];
        user_name(name, sizeof name, i);
        user_password(password, sizeof password, i);
        char *command = g_strdup_printf(
            "saslpasswd2 -f '%s' -p -c -u " SERVER_FQDN " %s", e->sasldb,
            name);
        FILE *p = popen(command, "w");
        if (p == NULL)
            die("%s: %s", command, g_strerror(errno));
        fputs(password, p);
        if (pclose(p) != 0)
            die("%s failed (is sasl2-bin installed?)", command);
        g_free(command);
    }
}

/* The users as the rows of the sample SQL schema's accounts table. */
static void
make_sqlite(bench_env *e)
{
    char *schema = NULL;
    GError *error = NULL;
    if (!g_file_get_contents(BENCH_SQLITE_SCHEMA, &schema, NULL, &error))
        die("%s", error->message);
    char *command = g_strdup_printf("sqlite3 -bail '%s'", e->sqlite);
    FILE *p = popen(command, "w");
    if (p == NULL)
        die("%s: %s", command, g_strerror(errno));
    fputs(schema, p);
    fputs("BEGIN;\n", p);
    for (int i = 0; i < e->users; i++) {
        char name[32], password[32];
        user_name(name, sizeof name, i);
        user_password(password, sizeof password, i);
        fprintf(p, "INSERT INTO accounts (name, secret, type) VALUES "
                "('%s', '%s', 'individual');\n", name, password);
    }
    fputs("COMMIT;\n", p);
    if (pclose(p) != 0)
        die("%s failed (is sqlite3 installed?)", command);
    g_free(command);
    g_free(schema);
}

/* A sasldir configuration: the users in STORE, with a cache or not. */
static char *
write_toml(bench_env *e, bench_store store, bool cache)
{
    GString *text = g_string_new("[storage]\ndirectory = \"users\"\n");
    if (store == MEMORY) {
        g_string_append(text, "[directory.\"users\"]\ntype = \"memory\"\n");
        for (int i = 0; i < e->users; i++) {
            char name[32], password[32];
            user_name(name, sizeof name, i);
            user_password(password, sizeof password, i);
            /* No prefix: plaintext, as sasldb keeps it. */
            g_string_append_printf(text,
                "[[directory.\"users\".principals]]\n"
                "name = \"%s\"\nsecret = \"%s\"\n", name, password);
        }
    } else {
        /* The sample schema's own name query (conf/sql/sqlite.toml). */
        g_string_append_printf(text,
            "[directory.\"users\"]\ntype = \"sql\"\n"
            "address = \"sqlite://%s\"\n"
            "[directory.\"users\".columns]\nclass = \"type\"\n"
            "secret = \"secret\"\n"
            "[directory.\"users\".query]\n"
            "name = \"SELECT name, type, secret FROM accounts "
            "WHERE name = ? AND active = TRUE\"\n", e->sqlite);
    }
    if (cache)
        g_string_append(text, "[directory.\"users\".cache]\n"
                        "entries = 100000\n"
                        "ttl = { positive = \"1h\", negative = \"10m\" }\n");
    char *file = g_strdup_printf("%s-%s.toml",
                                 store == MEMORY ? "memory" : "sqlite",
                                 cache ? "cache" : "plain");
    char *path = g_build_filename(e->dir, file, NULL);
    g_free(file);
    GError *error = NULL;
    if (!g_file_set_contents(path, text->str, (gssize)text->len, &error))
        die("%s", error->message);
    g_string_free(text, TRUE);
    return path;
}

/* The stock plugin directory: "sasl2" beside the libsasl2 in use. */
static char *
stock_plugin_dir(void)
{
    Dl_info info;
    if (dladdr((void *)&sasl_server_init, &info) == 0 || info.dli_fname == NULL)
        die("cannot tell where libsasl2 is (dladdr)");
    char *libdir = g_path_get_dirname(info.dli_fname);
    char *dir = g_build_filename(libdir, "sasl2", NULL);
    g_free(libdir);
    char *probe = g_build_filename(dir, "libsasldb.so", NULL);
    if (!g_file_test(probe, G_FILE_TEST_EXISTS))
        die("%s: no stock sasldb plugin (install libsasl2-modules-db)", probe);
    g_free(probe);
    return dir;
}

static void
env_setup(bench_env *e)
{
    GError *error = NULL;
    e->dir = g_dir_make_tmp("sasldir-bench-sasl.XXXXXX", &error);
    if (e->dir == NULL)
        die("%s", error->message);
    e->sasldb = g_build_filename(e->dir, "sasldb2", NULL);
    make_sasldb(e);
    e->sqlite = g_build_filename(e->dir, "directory.db", NULL);
    make_sqlite(e);
    for (int cache = 0; cache < 2; cache++) {
        e->toml[MEMORY][cache] = write_toml(e, MEMORY, cache);
        e->toml[SQLITE][cache] = write_toml(e, SQLITE, cache);
    }
    e->stock_path = stock_plugin_dir();
    e->sasldir_path = g_strdup(BENCH_PLUGIN_PATH);
}

static void
env_cleanup(const bench_env *e)
{
    const char *files[] = { e->sasldb, e->sqlite, e->toml[MEMORY][0],
        e->toml[MEMORY][1], e->toml[SQLITE][0], e->toml[SQLITE][1] };
    for (size_t f = 0; f < G_N_ELEMENTS(files); f++)
        if (files[f] != NULL)
            g_unlink(files[f]);
    if (e->dir != NULL)
        g_rmdir(e->dir);
    env = NULL;
}

/* --- main ---------------------------------------------------------- */

static const bench_case *
find_case(const char *name)
{
    for (size_t c = 0; c < G_N_ELEMENTS(cases); c++)
        if (strcmp(cases[c].name, name) == 0)
            return &cases[c];
    die("no case %s", name);
}

/* --only: COUNT operations of one case in this process, for callgrind. */
static void
run_only(const char *name, long count)
{
    current = find_case(name);
    case_init();
    warm_up();
    double start = now_seconds();
    for (long n = 0; n < count; n++)
        if (one_operation((int)(n % env->users)) != SASL_OK)
            die("%s: failed during the run", name);
    printf("%s: %ld operations, %.3f us each\n", name, count,
           (now_seconds() - start) / (double)count * 1e6);
    sasl_server_done();
}

/* One line per case of KIND; ratios against its first case. */
static void
report(bench_kind kind, const double *best, const char *peer)
{
    size_t first = G_N_ELEMENTS(cases);
    for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
        if (cases[c].kind != kind)
            continue;
        if (first == G_N_ELEMENTS(cases))
            first = c;
        printf("    %-36s %9.0f /s %9.2f us", cases[c].label, 1.0 / best[c],
               best[c] * 1e6);
        if (c != first)
            printf("   %.3fx %s", best[c] / best[first], peer);
        putchar('\n');
    }
}

int
main(int argc, char **argv)
{
    int users = 200, rounds = 3;
    double seconds = 1.0;
    char *only = NULL;
    gint64 count = 100000;
    GOptionEntry entries[] = {
        { "users", 0, 0, G_OPTION_ARG_INT, &users, "plaintext users (200)", "N" },
        { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "seconds per run (1)", "S" },
        { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "runs per case, the best counts (3)", "R" },
        { "only", 0, 0, G_OPTION_ARG_STRING, &only, "one case, in this process", "CASE" },
        { "count", 0, 0, G_OPTION_ARG_INT64, &count, "operations for --only (100000)", "N" },
        G_OPTION_ENTRY_NULL
    };
    GOptionContext *options = g_option_context_new(
        "- the SASL plugins against sasldb, through libsasl2");
    g_option_context_add_main_entries(options, entries, NULL);
    GError *error = NULL;
    if (!g_option_context_parse(options, &argc, &argv, &error))
        die("%s", error->message);
    g_option_context_free(options);
    if (users < 1 || rounds < 1 || seconds <= 0 || count < 1)
        die("--users, --rounds, --seconds and --count must be positive");

    bench_env e = { .users = users };
    parent = getpid();
    env = &e;
    env_setup(&e);

    if (only != NULL) {
        run_only(only, count);
        env_cleanup(&e);
        return 0;
    }

    double best[G_N_ELEMENTS(cases)];
    for (size_t c = 0; c < G_N_ELEMENTS(cases); c++)
        best[c] = 1e9;
    for (int r = 0; r < rounds; r++)
        for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
            double per_op = run_child(&cases[c], seconds);
            if (per_op < best[c])
                best[c] = per_op;
        }
    env_cleanup(&e);

    double load[1] = { 0 };
    getloadavg(load, 1);
    printf("bench/sasl: %d plaintext users, best of %d runs of %g s per "
           "case, load average %.2f\n", users, rounds, seconds, load[0]);
    printf("(a) sasl_checkpass, pwcheck_method auxprop, a connection per "
           "check (ratio: time per check / sasldb's)\n");
    report(CHECKPASS, best, "sasldb");
    for (size_t c = 0; c < G_N_ELEMENTS(cases); c++)
        if (cases[c].kind == CHECKPASS && cases[c].cache)
            printf("    target: %s <= 1.00x sasldb: %s\n", cases[c].label,
                   best[c] / best[0] <= 1.0 ? "met" : "MISSED");
    printf("(b) PLAIN exchanges: sasl_server_new + sasl_server_start + "
           "sasl_dispose (ratio: time per exchange / the stock PLAIN's)\n");
    report(PLAIN_EXCHANGE, best, "stock");
    for (size_t c = 0; c < G_N_ELEMENTS(cases); c++)
        if (cases[c].kind == PLAIN_EXCHANGE && cases[c].cache)
            printf("    %s: cache on / cache off = %.2fx the time\n",
                   cases[c].store == MEMORY ? "memory" : "SQLite",
                   best[c] / best[c - 1]);
    return 0;
}
