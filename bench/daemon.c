/*
 * daemon.c - authentications per second and latency through daemons
 * that speak the saslauthd protocol, several of them in one run.
 *
 * Each case is LABEL=SOCKET: a UNIX socket where saslauthd or sasldird
 * listens.  N client threads each open a fresh connection per request,
 * as libsasl2 does for pwcheck_method saslauthd: connect, one write of
 * the four fields (each a 16-bit big-endian length and that many bytes:
 * login, password, service, realm), read one reply field, close.  The
 * users are userI with the password pw-I for I = 0 .. --users - 1, taken
 * in turn; the bench script makes the same users in every store.
 *
 * Before timing, every case must answer OK for every user and NO for a
 * wrong password, or the run stops: a daemon that says yes to anything
 * would otherwise look fast.  The cases then alternate, for each client
 * count, each --rounds times; the best rate of a case is reported with
 * the p50 and p99 latency of that same run, and every rate is divided by
 * the first case's (the peer) at the same client count.  A reply other
 * than OK while timing is counted and makes the exit status 1.
 *
 * --pid LABEL=PID names the daemon behind a case: its CPU time (user and
 * system, of the process and of its live children, from /proc) over all
 * rounds is divided by the requests it answered, so that what the daemon
 * costs per authentication is seen apart from the clients, which share
 * the machine's cores with it; the clients' own CPU per authentication
 * (getrusage of this process) is printed beside it.
 *
 * usage: bench/daemon [--users N] [--seconds S] [--rounds R]
 *            [--clients 1,8,32] [--realm R] [--service S]
 *            [--target LABEL:CLIENTS:RATIO] [--pid LABEL=PID]...
 *            PEER=SOCKET LABEL=SOCKET...
 *        bench/daemon --count N [--clients C] [--mix] LABEL=SOCKET
 *            (a fixed number of requests, no rounds: for soak runs;
 *            --mix: random users, 1 in 16 a wrong password and 1 in 16
 *            an unknown user, which must be answered NO)
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

enum { MAX_CASES = 16 };

typedef struct bench_case {
    char *label;
    char *socket;
    double best_rate[8];        /* by client-count index */
    double p50[8], p99[8];
    guint64 errors;
    int pid;                    /* the daemon, for CPU time; 0: unknown */
    double cpu_s[8];            /* its CPU seconds over every round */
    double client_cpu_s[8];     /* this process's, likewise */
    guint64 done[8];            /* requests answered over every round */
} bench_case;

/* One timed run: what every thread shares. */
typedef struct run {
    const bench_case *c;
    unsigned threads;
    double start, end;          /* monotonic seconds */
    guint64 count_limit;        /* 0: until END */
    gint next;                  /* with count_limit: requests handed out */
} run;

typedef struct worker {
    run *r;
    unsigned index;
    GArray *latency_us;         /* double */
    guint64 done;
    guint64 errors;
    char first_error[128];
} worker;

static unsigned users = 200;
static const char *realm = "";
static const char *service = "smtp";

G_GNUC_NORETURN G_GNUC_PRINTF(1, 2) static void
die(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    fputs("bench/daemon: ", stderr);
    vfprintf(stderr, format, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static double
now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
put_field(GByteArray *out, const char *s)
{
    size_t len = strlen(s);
    guint8 be[2] = { (guint8)(len >> 8), (guint8)(len & 0xff) };
    g_byte_array_append(out, be, 2);
    g_byte_array_append(out, (const guint8 *)s, (guint)len);
}

static bool
read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    return true;
}

static bool
write_full(int fd, const void *buf, size_t len)
{
    size_t put = 0;
    while (put < len) {
        ssize_t n = write(fd, (const char *)buf + put, len - put);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        put += (size_t)n;
    }
    return true;
}

/* One request on a fresh connection.  Returns false on a transport
 * error (ERROR says what); otherwise REPLY holds the reply text. */
static bool
ask(const char *path, const char *login, const char *password,
    char *reply, size_t reply_size, char *error, size_t error_size)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    g_strlcpy(addr.sun_path, path, sizeof addr.sun_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(error, error_size, "socket: %s", g_strerror(errno));
        return false;
    }
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        snprintf(error, error_size, "connect %s: %s", path, g_strerror(errno));
        close(fd);
        return false;
    }
    GByteArray *req = g_byte_array_sized_new(128);
    put_field(req, login);
    put_field(req, password);
    put_field(req, service);
    put_field(req, realm);
    bool ok = write_full(fd, req->data, req->len);
    g_byte_array_free(req, TRUE);
    guint8 be[2];
    if (!ok || !read_full(fd, be, 2)) {
        snprintf(error, error_size, "%s: no reply (%s)", path,
                 ok ? "connection closed" : g_strerror(errno));
        close(fd);
        return false;
    }
    size_t len = (size_t)be[0] << 8 | be[1];
    if (len >= reply_size || !read_full(fd, reply, len)) {
        snprintf(error, error_size, "%s: reply of %zu bytes unreadable", path, len);
        close(fd);
        return false;
    }
    reply[len] = '\0';
    close(fd);
    return true;
}

static void
user_of(unsigned i, char *login, char *password)
{
    snprintf(login, 32, "user%u", i);
    snprintf(password, 40, "pw-%u", i);
}

static bool
is_ok(const char *reply)
{
    return strncmp(reply, "OK", 2) == 0;
}

/* Every user must pass and a wrong password must not. */
static void
check_case(const bench_case *c)
{
    char login[32], password[40], reply[512], error[256];
    for (unsigned i = 0; i < users; i++) {
        user_of(i, login, password);
        if (!ask(c->socket, login, password, reply, sizeof reply, error, sizeof error))
            die("%s: %s", c->label, error);
        if (!is_ok(reply))
            die("%s: %s with the right password answered \"%s\"", c->label, login, reply);
    }
    user_of(0, login, password);
    if (!ask(c->socket, login, "wrong-password", reply, sizeof reply, error, sizeof error))
        die("%s: %s", c->label, error);
    if (strncmp(reply, "NO", 2) != 0)
        die("%s: %s with a wrong password answered \"%s\"", c->label, login, reply);
}

/* With --mix (soak runs): users drawn at random, one request in 16 a
 * wrong password and one in 16 an unknown user, both expecting NO, so
 * that the failure paths and cache evictions run too. */
static gboolean mix;

static gpointer
worker_main(gpointer data)
{
    worker *w = data;
    run *r = w->r;
    char login[32], password[40], reply[512], error[256];
    unsigned u = w->index * (users / r->threads + 1);
    GRand *rand = g_rand_new_with_seed(w->index + 1);
    while (now_seconds() < r->start)
        g_usleep(100);
    for (;;) {
        if (r->count_limit != 0) {
            if ((guint64)(guint)g_atomic_int_add(&r->next, 1) >= r->count_limit)
                break;
        }
        double t0 = now_seconds();
        if (r->count_limit == 0 && t0 >= r->end)
            break;
        bool want_ok = true;
        if (mix) {
            gint32 kind = g_rand_int_range(rand, 0, 16);
            user_of((unsigned)g_rand_int_range(rand, 0, (gint32)users), login, password);
            if (kind == 0)
                g_strlcpy(password, "wrong-password", sizeof password);
            else if (kind == 1)
                g_strlcpy(login, "nobody-here", sizeof login);
            want_ok = kind > 1;
        } else {
            user_of(u++ % users, login, password);
        }
        bool ok = ask(r->c->socket, login, password, reply, sizeof reply, error, sizeof error);
        double us = (now_seconds() - t0) * 1e6;
        if (!ok || is_ok(reply) != want_ok || (!want_ok && strncmp(reply, "NO", 2) != 0)) {
            if (w->errors++ == 0)
                snprintf(w->first_error, sizeof w->first_error, "%.20s: %.100s",
                         login, ok ? reply : error);
            continue;
        }
        w->done++;
        g_array_append_val(w->latency_us, us);
    }
    g_rand_free(rand);
    return NULL;
}

static int
compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Runs C with THREADS clients; returns the rate, sets the percentiles
 * and adds the errors to the case. */
static double
timed_run(bench_case *c, unsigned threads, double seconds, guint64 count,
          double *p50, double *p99, guint64 *answered)
{
    run r = { .c = c, .threads = threads, .count_limit = count };
    worker *w = g_new0(worker, threads);
    GThread **t = g_new(GThread *, threads);
    r.start = now_seconds() + 0.05;
    r.end = r.start + seconds;
    for (unsigned i = 0; i < threads; i++) {
        w[i] = (worker){ .r = &r, .index = i,
                         .latency_us = g_array_new(FALSE, FALSE, sizeof(double)) };
        t[i] = g_thread_new("client", worker_main, &w[i]);
    }
    for (unsigned i = 0; i < threads; i++)
        g_thread_join(t[i]);
    double elapsed = now_seconds() - r.start;
    GArray *all = g_array_new(FALSE, FALSE, sizeof(double));
    guint64 done = 0;
    for (unsigned i = 0; i < threads; i++) {
        done += w[i].done;
        if (w[i].errors != 0) {
            fprintf(stderr, "bench/daemon: %s, %u clients: %" G_GUINT64_FORMAT
                    " requests failed, first: %s\n", c->label, threads,
                    w[i].errors, w[i].first_error);
            c->errors += w[i].errors;
        }
        g_array_append_vals(all, w[i].latency_us->data, w[i].latency_us->len);
        g_array_free(w[i].latency_us, TRUE);
    }
    *p50 = *p99 = 0;
    if (all->len > 0) {
        qsort(all->data, all->len, sizeof(double), compare_double);
        *p50 = g_array_index(all, double, all->len / 2);
        *p99 = g_array_index(all, double, (guint)((double)all->len * 0.99));
    }
    g_array_free(all, TRUE);
    g_free(w);
    g_free(t);
    *answered = done;
    return (double)done / elapsed;
}

/* User and system CPU seconds of process PID (all its threads), from
 * /proc/PID/stat; -1 when it cannot be read. */
static double
cpu_of(int pid, int *ppid)
{
    char path[64], *text = NULL;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return -1;
    /* The command name may hold spaces: fields count from its ')'. */
    const char *p = strrchr(text, ')');
    unsigned long long utime = 0, stime = 0;
    int parent = 0;
    int n = p == NULL ? 0 : sscanf(p + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                                   &parent, &utime, &stime);
    g_free(text);
    if (n != 3)
        return -1;
    if (ppid != NULL)
        *ppid = parent;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds of PID and of its live children: saslauthd answers in
 * the processes it forked, sasldird in its own threads. */
static double
daemon_cpu(int pid)
{
    double total = cpu_of(pid, NULL);
    if (total < 0)
        die("cannot read the CPU time of process %d", pid);
    GDir *dir = g_dir_open("/proc", 0, NULL);
    const char *name;
    while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
        guint64 child;
        int parent = 0;
        if (!g_ascii_string_to_unsigned(name, 10, 1, G_MAXINT, &child, NULL))
            continue;
        double t = cpu_of((int)child, &parent);
        if (t >= 0 && parent == pid)
            total += t;
    }
    if (dir != NULL)
        g_dir_close(dir);
    return total;
}

/* This process's user and system CPU seconds (the clients). */
static double
self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
        + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double
load_average(void)
{
    double load = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fscanf(f, "%lf", &load) != 1)
            load = -1;
        fclose(f);
    }
    return load;
}

static void
free_options(bench_case *cases, int n_cases, char *clients_opt, char *target,
             char *realm_opt, char *service_opt, char **pids)
{
    for (int i = 0; i < n_cases; i++)
        g_free(cases[i].label);
    g_free(clients_opt);
    g_free(target);
    g_free(realm_opt);
    g_free(service_opt);
    g_strfreev(pids);
}

int
main(int argc, char **argv)
{
    double seconds = 2;
    int rounds = 3;
    int n_users = 200;
    gint64 count = 0;
    char *clients_opt = NULL, *target = NULL, *realm_opt = NULL, *service_opt = NULL;
    char **pids = NULL;
    GOptionEntry entries[] = {
        { "users", 0, 0, G_OPTION_ARG_INT, &n_users, "users user0..userN-1 (200)", "N" },
        { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, "seconds per timed run (2)", "S" },
        { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds, "runs per case and client count; the best counts (3)", "R" },
        { "clients", 0, 0, G_OPTION_ARG_STRING, &clients_opt, "client counts (1,8,32)", "LIST" },
        { "realm", 0, 0, G_OPTION_ARG_STRING, &realm_opt, "the realm field (empty)", "R" },
        { "service", 0, 0, G_OPTION_ARG_STRING, &service_opt, "the service field (smtp)", "S" },
        { "target", 0, 0, G_OPTION_ARG_STRING, &target, "LABEL:CLIENTS:RATIO, a rate ratio to the peer to check", "T" },
        { "count", 0, 0, G_OPTION_ARG_INT64, &count, "one run of exactly N requests, no rounds", "N" },
        { "pid", 0, 0, G_OPTION_ARG_STRING_ARRAY, &pids, "LABEL=PID: the daemon serving LABEL, to report its CPU time per authentication (repeatable)", "LABEL=PID" },
        { "mix", 0, 0, G_OPTION_ARG_NONE, &mix, "random users, 1/16 wrong passwords, 1/16 unknown users", NULL },
        { NULL, 0, 0, 0, NULL, NULL, NULL }
    };
    GOptionContext *ctx = g_option_context_new("PEER=SOCKET [LABEL=SOCKET...]");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err))
        die("%s", err->message);
    g_option_context_free(ctx);
    if (n_users < 1 || seconds <= 0 || rounds < 1 || count < 0 || count > G_MAXINT)
        die("--users, --seconds, --rounds must be positive, --count 0..%d", G_MAXINT);
    users = (unsigned)n_users;
    if (realm_opt != NULL)
        realm = realm_opt;
    if (service_opt != NULL)
        service = service_opt;

    unsigned clients[8], n_clients = 0;
    char **parts = g_strsplit(clients_opt != NULL ? clients_opt : (count ? "1" : "1,8,32"), ",", -1);
    for (char **p = parts; *p != NULL; p++) {
        guint64 v;
        if (n_clients == G_N_ELEMENTS(clients)
            || !g_ascii_string_to_unsigned(*p, 10, 1, 1024, &v, NULL))
            die("--clients: \"%s\" is not a list of up to 8 counts 1..1024", clients_opt);
        clients[n_clients++] = (unsigned)v;
    }
    g_strfreev(parts);

    bench_case cases[MAX_CASES];
    int n_cases = 0;
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq == NULL || eq == argv[i] || eq[1] == '\0' || n_cases == MAX_CASES)
            die("\"%s\": expected LABEL=SOCKET (at most %d)", argv[i], MAX_CASES);
        cases[n_cases++] = (bench_case){ .label = g_strndup(argv[i], (gsize)(eq - argv[i])),
                                         .socket = eq + 1 };
    }
    if (n_cases == 0)
        die("no LABEL=SOCKET given");
    for (char **p = pids; p != NULL && *p != NULL; p++) {
        char *eq = strrchr(*p, '=');
        guint64 v;
        int found = 0;
        if (eq == NULL || !g_ascii_string_to_unsigned(eq + 1, 10, 1, G_MAXINT, &v, NULL))
            die("--pid \"%s\": expected LABEL=PID", *p);
        for (int i = 0; i < n_cases; i++)
            if (strncmp(cases[i].label, *p, (size_t)(eq - *p)) == 0
                && cases[i].label[eq - *p] == '\0') {
                cases[i].pid = (int)v;
                found = 1;
            }
        if (!found)
            die("--pid \"%s\": no such case", *p);
    }

    for (int i = 0; i < n_cases; i++)
        check_case(&cases[i]);

    if (count != 0) {
        /* Soak mode: one run of COUNT requests per case. */
        for (int i = 0; i < n_cases; i++) {
            double p50, p99, t0 = now_seconds();
            guint64 answered;
            double rate = timed_run(&cases[i], clients[0], 0, (guint64)count, &p50, &p99, &answered);
            printf("%s: %" G_GINT64_FORMAT " requests, %u clients, %.1f s, %.0f auth/s, p50 %.0f us, p99 %.0f us, %" G_GUINT64_FORMAT " failed\n",
                   cases[i].label, count, clients[0], now_seconds() - t0, rate, p50, p99,
                   cases[i].errors);
        }
        int failed = cases[0].errors != 0;
        free_options(cases, n_cases, clients_opt, target, realm_opt, service_opt, pids);
        return failed;
    }

    printf("bench/daemon: %u users, %d rounds of %.1f s per case and client count, a connection per request; load average %.2f\n",
           users, rounds, seconds, load_average());
    fflush(stdout);
    for (int r = 0; r < rounds; r++)
        for (unsigned k = 0; k < n_clients; k++)
            for (int i = 0; i < n_cases; i++) {
                /* Alternate the order so no case always follows the same one. */
                bench_case *c = &cases[(r % 2) ? n_cases - 1 - i : i];
                double p50, p99, cpu0 = c->pid ? daemon_cpu(c->pid) : 0;
                double self0 = self_cpu();
                guint64 answered;
                double rate = timed_run(c, clients[k], seconds, 0, &p50, &p99, &answered);
                c->client_cpu_s[k] += self_cpu() - self0;
                if (c->pid != 0)
                    c->cpu_s[k] += daemon_cpu(c->pid) - cpu0;
                c->done[k] += answered;
                if (rate > c->best_rate[k]) {
                    c->best_rate[k] = rate;
                    c->p50[k] = p50;
                    c->p99[k] = p99;
                }
            }

    size_t width = 0;
    for (int i = 0; i < n_cases; i++)
        width = MAX(width, strlen(cases[i].label));
    for (unsigned k = 0; k < n_clients; k++) {
        printf("%u client%s:\n", clients[k], clients[k] == 1 ? "" : "s");
        for (int i = 0; i < n_cases; i++) {
            bench_case *c = &cases[i];
            printf("  %-*s %9.0f auth/s  p50 %7.0f us  p99 %7.0f us", (int)width,
                   c->label, c->best_rate[k], c->p50[k], c->p99[k]);
            if (i > 0)
                printf("  %6.2fx %s", c->best_rate[k] / cases[0].best_rate[k],
                       cases[0].label);
            putchar('\n');
            if (c->done[k] != 0) {
                double client_us = c->client_cpu_s[k] * 1e6 / (double)c->done[k];
                printf("  %-*s   CPU per auth: clients %.1f us", (int)width, "", client_us);
                if (c->pid != 0) {
                    double us = c->cpu_s[k] * 1e6 / (double)c->done[k];
                    printf(", daemon %.1f us", us);
                    if (i > 0 && cases[0].pid != 0 && cases[0].done[k] != 0 && us > 0)
                        printf(" (%s's daemon uses %.2fx as much)", cases[0].label,
                               cases[0].cpu_s[k] * 1e6 / (double)cases[0].done[k] / us);
                }
                putchar('\n');
            }
        }
    }

    int status = 0;
    for (int i = 0; i < n_cases; i++)
        if (cases[i].errors != 0)
            status = 1;
    if (target != NULL) {
        char **t = g_strsplit(target, ":", 3);
        guint64 want_clients;
        double ratio = g_strv_length(t) == 3 ? g_ascii_strtod(t[2], NULL) : 0;
        if (g_strv_length(t) != 3 || ratio <= 0
            || !g_ascii_string_to_unsigned(t[1], 10, 1, 1024, &want_clients, NULL))
            die("--target: \"%s\" is not LABEL:CLIENTS:RATIO", target);
        int ci = -1;
        unsigned k = n_clients;
        for (int i = 0; i < n_cases; i++)
            if (strcmp(cases[i].label, t[0]) == 0)
                ci = i;
        for (unsigned j = 0; j < n_clients; j++)
            if (clients[j] == want_clients)
                k = j;
        if (ci < 0 || k == n_clients)
            die("--target: no case \"%s\" run with %s clients", t[0], t[1]);
        double got = cases[ci].best_rate[k] / cases[0].best_rate[k];
        printf("target: %s >= %.2fx %s at %s clients: %.2fx, %s\n", t[0], ratio,
               cases[0].label, t[1], got, got >= ratio ? "met" : "MISSED");
        g_strfreev(t);
    }
    printf("load average at the end %.2f\n", load_average());
    if (status != 0)
        printf("some requests failed (see standard error): these rates are not valid\n");
    free_options(cases, n_cases, clients_opt, target, realm_opt, service_opt, pids);
    return status;
}
