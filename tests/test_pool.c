/*
 * test_pool.c - the generic connection pool with fake connections:
 * reuse, the max-connections bound under 32 threads, wait and create
 * timeouts, validation after timeout.recycle, broken connections,
 * fork safety and the [pool] settings.
 */
#include "config.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sd_check.h"
#include "sd_pool.h"

/* A fake server: counts what the pool does to it. */
typedef struct fake {
    gint live;          /* connections open now */
    gint max_live;      /* most open at once */
    gint created;
    gint destroyed;
    gint validated;
    gboolean fail_create;
    gboolean fail_validate;
    guint create_delay_ms;
} fake;

typedef struct fake_conn {
    int id;
    pid_t pid;
} fake_conn;

static void *
fake_create(void *context, uint64_t timeout_ms, GError **error)
{
    fake *f = context;
    ck_assert_uint_gt(timeout_ms, 0);
    if (f->create_delay_ms > 0)
        g_usleep(f->create_delay_ms * 1000);
    if (f->fail_create) {
        g_set_error(error, SD_ERROR_DOMAIN, SD_TEMPFAIL, "refused");
        return NULL;
    }
    gint now = g_atomic_int_add(&f->live, 1) + 1;
    gint seen;
    while ((seen = g_atomic_int_get(&f->max_live)) < now
           && !g_atomic_int_compare_and_exchange(&f->max_live, seen, now))
        ;
    fake_conn *c = g_new0(fake_conn, 1);
    c->id = g_atomic_int_add(&f->created, 1) + 1;
    c->pid = getpid();
    return c;
}

static bool
fake_validate(void *context, void *connection)
{
    fake *f = context;
    (void)connection;
    g_atomic_int_inc(&f->validated);
    return !f->fail_validate;
}

static void
fake_destroy(void *context, void *connection)
{
    fake *f = context;
    g_atomic_int_add(&f->live, -1);
    g_atomic_int_inc(&f->destroyed);
    g_free(connection);
}

static const sd_pool_ops fake_ops = {
    .create = fake_create,
    .validate = fake_validate,
    .destroy = fake_destroy,
};

static sd_pool *
make_pool(fake *f, unsigned max, uint64_t wait_ms, uint64_t recycle_ms)
{
    sd_pool_settings settings;
    sd_pool_settings_default(&settings);
    settings.max_connections = max;
    settings.timeout_wait_ms = wait_ms;
    settings.timeout_recycle_ms = recycle_ms;
    return sd_pool_new("test", &fake_ops, f, &settings);
}

START_TEST(reuses_idle_connection)
{
    fake f = { 0 };
    sd_pool *pool = make_pool(&f, 4, 1000, 60000);
    void *a = NULL, *b = NULL;
    ck_assert_int_eq(sd_pool_acquire(pool, &a, NULL), SD_OK);
    sd_pool_release(pool, a, false);
    ck_assert_int_eq(sd_pool_acquire(pool, &b, NULL), SD_OK);
    ck_assert_ptr_eq(a, b);
    ck_assert_int_eq(f.created, 1);
    ck_assert_int_eq(f.validated, 0);
    sd_pool_stats stats;
    sd_pool_get_stats(pool, &stats);
    ck_assert_uint_eq(stats.open, 1);
    ck_assert_uint_eq(stats.in_use, 1);
    ck_assert_uint_eq(stats.idle, 0);
    sd_pool_release(pool, b, false);
    sd_pool_get_stats(pool, &stats);
    ck_assert_uint_eq(stats.idle, 1);
    ck_assert_uint_eq(stats.in_use, 0);
    sd_pool_free(pool);
    ck_assert_int_eq(f.destroyed, 1);
    ck_assert_int_eq(f.live, 0);
}
END_TEST

typedef struct worker_args {
    sd_pool *pool;
    gint failures;
} worker_args;

static gpointer
worker(gpointer data)
{
    worker_args *args = data;
    for (int i = 0; i < 20; i++) {
        void *c = NULL;
        if (sd_pool_acquire(args->pool, &c, NULL) != SD_OK) {
            g_atomic_int_inc(&args->failures);
            continue;
        }
        g_usleep(200);
        sd_pool_release(args->pool, c, i % 7 == 3);
    }
    return NULL;
}

START_TEST(never_exceeds_max_connections)
{
    fake f = { .create_delay_ms = 2 };
    sd_pool *pool = make_pool(&f, 3, 10000, 60000);
    worker_args args = { .pool = pool };
    GThread *threads[32];
    for (int i = 0; i < 32; i++)
        threads[i] = g_thread_new("worker", worker, &args);
    for (int i = 0; i < 32; i++)
        g_thread_join(threads[i]);
    ck_assert_int_eq(args.failures, 0);
    ck_assert_int_le(f.max_live, 3);
    ck_assert_int_ge(f.max_live, 1);
    sd_pool_stats stats;
    sd_pool_get_stats(pool, &stats);
    ck_assert_uint_le(stats.open, 3);
    ck_assert_uint_eq(stats.in_use, 0);
    ck_assert_uint_gt(stats.waits, 0);
    ck_assert_uint_gt(stats.discarded, 0);
    ck_assert_uint_eq(stats.created, (uint64_t)f.created);
    sd_pool_free(pool);
    ck_assert_int_eq(f.live, 0);
}
END_TEST

START_TEST(wait_timeout_is_tempfail)
{
    fake f = { 0 };
    sd_pool *pool = make_pool(&f, 1, 150, 60000);
    void *held = NULL, *other = NULL;
    ck_assert_int_eq(sd_pool_acquire(pool, &held, NULL), SD_OK);
    GError *error = NULL;
    gint64 start = g_get_monotonic_time();
    ck_assert_int_eq(sd_pool_acquire(pool, &other, &error), SD_TEMPFAIL);
    gint64 elapsed_ms = (g_get_monotonic_time() - start) / 1000;
    ck_assert_int_ge(elapsed_ms, 140);
    ck_assert_int_lt(elapsed_ms, 3000);
    ck_assert_ptr_nonnull(error);
    ck_assert_ptr_nonnull(strstr(error->message, "pool.timeout.wait"));
    ck_assert_ptr_nonnull(strstr(error->message, "test"));
    g_error_free(error);
    sd_pool_stats stats;
    sd_pool_get_stats(pool, &stats);
    ck_assert_uint_eq(stats.waits, 1);
    ck_assert_uint_eq(stats.wait_timeouts, 1);
    sd_pool_release(pool, held, false);
    sd_pool_free(pool);
}
END_TEST

typedef struct release_later {
    sd_pool *pool;
    void *connection;
} release_later;

static gpointer
release_after_delay(gpointer data)
{
    release_later *r = data;
    g_usleep(50 * 1000);
    sd_pool_release(r->pool, r->connection, false);
    return NULL;
}

START_TEST(waiter_gets_released_connection)
{
    fake f = { 0 };
    sd_pool *pool = make_pool(&f, 1, 5000, 60000);
    release_later r = { .pool = pool };
    ck_assert_int_eq(sd_pool_acquire(pool, &r.connection, NULL), SD_OK);
    GThread *thread = g_thread_new("release", release_after_delay, &r);
    void *got = NULL;
    ck_assert_int_eq(sd_pool_acquire(pool, &got, NULL), SD_OK);
    ck_assert_ptr_eq(got, r.connection);
    g_thread_join(thread);
    sd_pool_release(pool, got, false);
    ck_assert_int_eq(f.created, 1);
    sd_pool_free(pool);
}
END_TEST

START_TEST(create_failure_is_tempfail)
{
    fake f = { .fail_create = TRUE };
    sd_pool *pool = make_pool(&f, 2, 1000, 60000);
    void *c = NULL;
    GError *error = NULL;
    ck_assert_int_eq(sd_pool_acquire(pool, &c, &error), SD_TEMPFAIL);
    ck_assert_ptr_nonnull(strstr(error->message, "refused"));
    g_error_free(error);
    sd_pool_stats stats;
    sd_pool_get_stats(pool, &stats);
    ck_assert_uint_eq(stats.create_failures, 1);
    ck_assert_uint_eq(stats.open, 0);
    /* The failed slot was given back: the server recovers, so do we. */
    f.fail_create = FALSE;
    ck_assert_int_eq(sd_pool_acquire(pool, &c, NULL), SD_OK);
    sd_pool_release(pool, c, false);
    sd_pool_free(pool);
}
END_TEST

START_TEST(recycle_validates_and_replaces)
{
    fake f = { 0 };
    sd_pool *pool = make_pool(&f, 2, 1000, 20);
    void *a = NULL, *b = NULL;
    ck_assert_int_eq(sd_pool_acquire(pool, &a, NULL), SD_OK);
    sd_pool_release(pool, a, false);
    g_usleep(40 * 1000);
    ck_assert_int_eq(sd_pool_acquire(pool, &b, NULL), SD_OK);
    ck_assert_int_eq(f.validated, 1);
    ck_assert_ptr_eq(a, b);
    sd_pool_release(pool, b, false);
    /* A failed ping replaces the connection. */
    f.fail_validate = TRUE;
    g_usleep(40 * 1000);
    ck_assert_int_eq(sd_pool_acquire(pool, &b, NULL), SD_OK);
    ck_assert_int_eq(f.validated, 2);
    ck_assert_int_eq(f.created, 2);
    ck_assert_int_eq(f.destroyed, 1);
    sd_pool_release(pool, b, false);
    sd_pool_stats stats;
    sd_pool_get_stats(pool, &stats);
    ck_assert_uint_eq(stats.discarded, 1);
    ck_assert_uint_eq(stats.open, 1);
    sd_pool_free(pool);
}
END_TEST

START_TEST(idle_above_min_is_closed)
{
    fake f = { 0 };
    sd_pool *pool = make_pool(&f, 4, 1000, 20);
    void *a = NULL, *b = NULL;
    ck_assert_int_eq(sd_pool_acquire(pool, &a, NULL), SD_OK);
    ck_assert_int_eq(sd_pool_acquire(pool, &b, NULL), SD_OK);
    sd_pool_release(pool, a, false);
    g_usleep(40 * 1000);
    /* a has been idle too long and min-connections is 0: closed. */
    sd_pool_release(pool, b, false);
    ck_assert_int_eq(f.destroyed, 1);
    sd_pool_stats stats;
    sd_pool_get_stats(pool, &stats);
    ck_assert_uint_eq(stats.open, 1);
    ck_assert_uint_eq(stats.idle, 1);
    sd_pool_free(pool);
}
END_TEST

START_TEST(broken_connection_is_destroyed)
{
    fake f = { 0 };
    sd_pool *pool = make_pool(&f, 1, 1000, 60000);
    void *a = NULL, *b = NULL;
    ck_assert_int_eq(sd_pool_acquire(pool, &a, NULL), SD_OK);
    sd_pool_release(pool, a, true);
    ck_assert_int_eq(f.destroyed, 1);
    ck_assert_int_eq(sd_pool_acquire(pool, &b, NULL), SD_OK);
    ck_assert_int_eq(f.created, 2);
    sd_pool_release(pool, b, false);
    sd_pool_free(pool);
}
END_TEST

START_TEST(child_never_uses_parent_connection)
{
    fake f = { 0 };
    sd_pool *pool = make_pool(&f, 1, 1000, 60000);
    void *a = NULL;
    ck_assert_int_eq(sd_pool_acquire(pool, &a, NULL), SD_OK);
    sd_pool_release(pool, a, false);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        /* Exit codes say which check failed; Check's asserts would
         * report from the wrong process. */
        void *mine = NULL;
        if (sd_pool_acquire(pool, &mine, NULL) != SD_OK)
            _exit(10);
        if (mine == a || ((fake_conn *)mine)->pid != getpid())
            _exit(11);
        if (f.destroyed != 0)
            _exit(12);          /* the parent's one must not be closed */
        sd_pool_stats stats;
        sd_pool_get_stats(pool, &stats);
        if (stats.open != 1 || stats.created != 1)
            _exit(13);
        sd_pool_release(pool, mine, false);
        _exit(0);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    /* The parent still has its own connection, untouched. */
    void *again = NULL;
    ck_assert_int_eq(sd_pool_acquire(pool, &again, NULL), SD_OK);
    ck_assert_ptr_eq(again, a);
    sd_pool_release(pool, again, false);
    sd_pool_free(pool);
}
END_TEST

static sd_cfg *
parse(const char *text)
{
    GError *error = NULL;
    sd_cfg *cfg = sd_cfg_parse(text, strlen(text), "p.toml", &error);
    ck_assert_msg(cfg != NULL, "%s", error ? error->message : "");
    return cfg;
}

/* Reads [d.pool] of TEXT into *S; the configuration is the caller's. */
static sd_cfg *
read_settings(const char *text, sd_pool_settings *s)
{
    sd_cfg *cfg = parse(text);
    sd_cfg_table root, d;
    sd_cfg_root(cfg, &root);
    ck_assert_int_eq(sd_cfg_get_table(&root, "d", &d), SD_CFG_FOUND);
    sd_pool_settings_read(&d, s);
    sd_cfg_table_clear(&d);
    sd_cfg_table_clear(&root);
    return cfg;
}

START_TEST(settings_defaults_and_values)
{
    sd_pool_settings s;
    sd_cfg *cfg = read_settings("[d]\n", &s);
    ck_assert_uint_eq(s.max_connections, 10);
    ck_assert_uint_eq(s.min_connections, 0);
    ck_assert_uint_eq(s.timeout_create_ms, 30000);
    ck_assert_uint_eq(s.timeout_wait_ms, 30000);
    ck_assert_uint_eq(s.timeout_recycle_ms, 30000);
    ck_assert(sd_cfg_finish(cfg, NULL));
    sd_cfg_free(cfg);

    cfg = read_settings("[d.pool]\nmax-connections = 4\nmin-connections = 2\n"
                        "timeout = { create = \"2s\", wait = \"500ms\", "
                        "recycle = \"1m\" }\n", &s);
    ck_assert_uint_eq(s.max_connections, 4);
    ck_assert_uint_eq(s.min_connections, 2);
    ck_assert_uint_eq(s.timeout_create_ms, 2000);
    ck_assert_uint_eq(s.timeout_wait_ms, 500);
    ck_assert_uint_eq(s.timeout_recycle_ms, 60000);
    ck_assert(sd_cfg_finish(cfg, NULL));
    sd_cfg_free(cfg);
}
END_TEST

START_TEST(settings_errors_name_the_key)
{
    sd_pool_settings s;
    sd_cfg *cfg = read_settings("[d.pool]\nmax-connections = 2\n"
                                "min-connections = 3\ntimeout.wait = 5\n",
                                &s);
    GError *error = NULL;
    ck_assert(!sd_cfg_finish(cfg, &error));
    ck_assert_ptr_nonnull(strstr(error->message,
        "p.toml:3: d.pool.min-connections: 3 is more than max-connections"));
    ck_assert_ptr_nonnull(strstr(error->message,
        "p.toml:4: d.pool.timeout.wait: a duration needs a unit"));
    g_error_free(error);
    sd_cfg_free(cfg);
}
END_TEST

static Suite *
pool_suite(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("pool");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, reuses_idle_connection);
    tcase_add_test(tc, never_exceeds_max_connections);
    tcase_add_test(tc, wait_timeout_is_tempfail);
    tcase_add_test(tc, waiter_gets_released_connection);
    tcase_add_test(tc, create_failure_is_tempfail);
    tcase_add_test(tc, recycle_validates_and_replaces);
    tcase_add_test(tc, idle_above_min_is_closed);
    tcase_add_test(tc, broken_connection_is_destroyed);
    tcase_add_test(tc, child_never_uses_parent_connection);
    tcase_add_test(tc, settings_defaults_and_values);
    tcase_add_test(tc, settings_errors_name_the_key);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return sd_check_run(pool_suite());
}
