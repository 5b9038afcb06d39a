/*
 * test_control.c - sasldird's control commands (daemon/control.c) and
 * metrics (daemon/metrics.c, daemon/metrics_http.c) without a daemon:
 * every command against a memory directory with a cache, through a
 * control_context whose callbacks the test provides; malformed
 * requests; SO_PEERCRED checks with a peer that really is another user
 * (as root only: the child process becomes nobody); the counters and
 * their Prometheus text; GET /metrics over libmicrohttpd fetched with
 * curl, an independent client.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>
#include <glib/gstdio.h>

#include "sd_check.h"
#include "control.h"
#include "metrics.h"

static const char config_text[] =
    "[storage]\n"
    "directory = \"d\"\n"
    "[directory.\"d\"]\n"
    "type = \"memory\"\n"
    "[directory.\"d\".cache]\n"
    "entries = 100\n"
    "ttl = { positive = \"1h\", negative = \"10m\" }\n"
    "[[directory.\"d\".principals]]\n"
    "name = \"alice\"\n"
    "secret = \"{PLAIN}Wonderland-7f3a\"\n"
    "email = [\"alice@example.org\"]\n"
    "[directory.\"plain\"]\n"
    "type = \"memory\"\n"
    "[[directory.\"plain\".principals]]\n"
    "name = \"bob\"\n"
    "secret = \"{PLAIN}x\"\n";

/* A stand-in for the daemon: its registry, reload and status. */
typedef struct fake_daemon {
    sd_registry *registry;
    const char *reload_text;    /* the configuration a reload reads */
    int reloads;
} fake_daemon;

static sd_registry *
fake_registry(void *self)
{
    fake_daemon *d = self;
    return d->registry != NULL ? sd_registry_ref(d->registry) : NULL;
}

static bool
fake_reload(void *self, GError **error)
{
    fake_daemon *d = self;
    sd_registry *fresh = sd_registry_load_data(d->reload_text,
                                               strlen(d->reload_text),
                                               "reloaded.toml", error);
    if (fresh == NULL)
        return false;
    sd_registry_unref(d->registry);
    d->registry = fresh;
    d->reloads++;
    return true;
}

static void
fake_status(void *self, GString *out)
{
    fake_daemon *d = self;
    g_string_append_printf(out, "reloads %d\n", d->reloads);
}

static sd_registry *
load(const char *text)
{
    GError *error = NULL;
    sd_registry *registry = sd_registry_load_data(text, strlen(text),
                                                  "control.toml", &error);
    ck_assert_msg(registry != NULL, "%s", error ? error->message : "?");
    return registry;
}

static fake_daemon daemon_state;
static control_context context;

static void
setup(void)
{
    daemon_state = (fake_daemon){ .registry = load(config_text),
                                  .reload_text = config_text };
    context = (control_context){ fake_registry, fake_reload, fake_status,
                                 &daemon_state };
}

static void
teardown(void)
{
    sd_registry_unref(daemon_state.registry);
    daemon_state.registry = NULL;
}

/* Asks LINE; checks the status; returns the body (free it). */
static char *
ask(const char *line, int expected_status)
{
    int status = -1;
    char *body = control_answer(&context, line, &status);
    ck_assert_ptr_nonnull(body);
    ck_assert_msg(status == expected_status, "'%s': status %d, expected %d; "
                  "body: %s", line, status, expected_status, body);
    return body;
}

static void
expect(const char *line, int expected_status, const char *contains)
{
    char *body = ask(line, expected_status);
    ck_assert_msg(strstr(body, contains) != NULL,
                  "'%s': body lacks '%s':\n%s", line, contains, body);
    g_free(body);
}

static void
authenticate(const char *name, const char *password, sd_result expected)
{
    sd_directory *d = sd_registry_get(daemon_state.registry, "d");
    ck_assert_int_eq(sd_directory_authenticate(d, name, password, NULL,
                                               NULL), expected);
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

START_TEST(test_status)
{
    expect("status", 0, "reloads 0\n");
    context.status = NULL;
    expect("status", 0, "not available");
}
END_TEST

START_TEST(test_cache_stats)
{
    authenticate("alice", "Wonderland-7f3a", SD_OK);
    authenticate("alice", "Wonderland-7f3a", SD_OK);
    authenticate("alice", "wrong", SD_MISMATCH);
    char *body = ask("cache stats", 0);
    ck_assert_msg(strstr(body, "directory d: cache of sasldird: 100 entries "
                         "per kind and side") != NULL, "%s", body);
    ck_assert_msg(strstr(body, "credentials: misses 2,") != NULL, "%s", body);
    ck_assert_msg(strstr(body, "  positive  hits 1, inserts 1,") != NULL,
                  "%s", body);
    ck_assert_msg(strstr(body, "directory plain: no cache") != NULL, "%s",
                  body);
    g_free(body);
    /* One directory only. */
    body = ask("cache stats plain", 0);
    ck_assert_str_eq(body, "directory plain: no cache (no "
                     "[directory.\"plain\".cache] section)\n");
    g_free(body);
    body = ask("cache stats --json d", 0);
    ck_assert_msg(g_str_has_prefix(body, "{\"directories\":[{\"directory\":"
                                   "\"d\",\"scope\":\"sasldird\","
                                   "\"entries\":100,"), "%s", body);
    ck_assert_msg(g_str_has_suffix(body, "}]}\n"), "%s", body);
    g_free(body);
    expect("cache stats nosuch", 1, "no enabled directory named 'nosuch'");
    expect("cache stats d extra", 2, "usage: cache stats");
}
END_TEST

/* The size of credentials' positive side in "cache stats d". */
static unsigned
credentials_size(void)
{
    char *body = ask("cache stats d", 0);
    const char *kind = strstr(body, "credentials:");
    ck_assert_ptr_nonnull(kind);
    const char *size = strstr(kind, "size ");
    ck_assert_ptr_nonnull(size);
    unsigned n = (unsigned)g_ascii_strtoull(size + 5, NULL, 10);
    g_free(body);
    return n;
}

START_TEST(test_cache_flush)
{
    authenticate("alice", "Wonderland-7f3a", SD_OK);
    ck_assert_uint_eq(credentials_size(), 1);
    /* Another name's flush leaves alice's entry. */
    expect("cache flush d carol", 0, "directory d: cache; flushed 0 "
           "entries from sasldird's cache");
    expect("cache flush --kind=domain * alice", 0, "flushed 0 entries");
    ck_assert_uint_eq(credentials_size(), 1);
    expect("cache flush --kind=credentials * alice", 0,
           "directory d: cache; flushed 1 entries");
    ck_assert_uint_eq(credentials_size(), 0);
    authenticate("alice", "Wonderland-7f3a", SD_OK);
    char *body = ask("cache flush", 0);
    ck_assert_msg(strstr(body, "directory d: cache; flushed 1 entries") !=
                  NULL, "%s", body);
    ck_assert_msg(strstr(body, "directory plain: no cache; flushed 0 "
                         "entries") != NULL, "%s", body);
    g_free(body);
    ck_assert_uint_eq(credentials_size(), 0);
    expect("cache flush --kind=bogus", 2, "unknown kind 'bogus'");
    expect("cache flush --kind", 2, "unknown kind ''");
    expect("cache flush nosuch", 1, "no enabled directory named 'nosuch'");
    expect("cache flush d alice more", 2, "usage: cache flush");
}
END_TEST

START_TEST(test_pool_stats)
{
    expect("pool stats", 0, "no directory of sasldird uses a connection "
           "pool\n");
    expect("pool stats nosuch", 1, "no enabled directory named 'nosuch'");
    expect("pool stats d x", 2, "usage: pool stats");
#ifdef HAVE_SQLITE
    /* An sql directory has a pool; nothing is opened before a query. */
    sd_registry_unref(daemon_state.registry);
    daemon_state.registry = load(
        "[directory.\"s\"]\ntype = \"sql\"\n"
        "address = \"sqlite:///nonexistent/control-test.db\"\n"
        "[directory.\"s\".pool]\nmax-connections = 3\n"
        "[directory.\"s\".query]\n"
        "name = \"SELECT name, type, secret, description, quota FROM a "
        "WHERE name = ?\"\n"
        "members = \"SELECT g FROM m WHERE name = ?\"\n");
    expect("pool stats", 0, "s: open 0, idle 0, in use 0, created 0, "
           "waits 0, wait timeouts 0, create failures 0, discarded 0; "
           "max-connections 3, min-connections 0\n");
    expect("pool stats s", 0, "max-connections 3");
#endif
}
END_TEST

START_TEST(test_reload)
{
    expect("reload", 0, "reloaded reloaded.toml");
    ck_assert_int_eq(daemon_state.reloads, 1);
    sd_registry *before = daemon_state.registry;
    daemon_state.reload_text = "[directory.\"x\"]\ntype = \"nonsense\"\n";
    char *body = ask("reload", 2);
    ck_assert_msg(g_str_has_prefix(body, "reload refused, the previous "
                                   "configuration stays in force:\n"),
                  "%s", body);
    ck_assert_msg(strstr(body, "reloaded.toml:") != NULL, "%s", body);
    g_free(body);
    ck_assert_ptr_eq(daemon_state.registry, before);
    ck_assert_int_eq(daemon_state.reloads, 1);
    context.reload = NULL;
    expect("reload", 75, "not available");
}
END_TEST

START_TEST(test_metrics_command)
{
    authenticate("alice", "Wonderland-7f3a", SD_OK);
    authenticate("alice", "Wonderland-7f3a", SD_OK);
    char *body = ask("metrics", 0);
    ck_assert_msg(strstr(body, "\nsasldir_cache_hits_total{directory=\"d\","
                         "kind=\"credentials\",side=\"positive\"} 1\n")
                  != NULL, "%s", body);
    ck_assert_msg(strstr(body, "\nsasldir_cache_misses_total{directory=\"d\","
                         "kind=\"credentials\"} 1\n") != NULL, "%s", body);
    ck_assert_msg(strstr(body, "\nsasldir_cache_entries{directory=\"d\","
                         "kind=\"credentials\",side=\"positive\"} 1\n")
                  != NULL, "%s", body);
    /* A directory without a cache has no cache samples. */
    ck_assert_ptr_null(strstr(body, "directory=\"plain\""));
    g_free(body);
    /* Every control request so far is counted: the "metrics" just
     * answered, and now this one is the second. */
    body = ask("metrics", 0);
    ck_assert_msg(strstr(body, "\nsasldird_requests_total{protocol="
                         "\"control\",result=\"ok\"} 1\n") != NULL, "%s",
                  body);
    g_free(body);
    expect("status bogus", 2, "unknown control request");
    body = ask("metrics", 0);
    ck_assert_msg(strstr(body, "\nsasldird_requests_total{protocol="
                         "\"control\",result=\"ok\"} 2\n") != NULL, "%s",
                  body);
    ck_assert_msg(strstr(body, "\nsasldird_requests_total{protocol="
                         "\"control\",result=\"error\"} 1\n") != NULL, "%s",
                  body);
    g_free(body);
    expect("metrics now", 2, "unknown control request 'metrics now'");
}
END_TEST

START_TEST(test_no_registry)
{
    sd_registry_unref(daemon_state.registry);
    daemon_state.registry = NULL;
    expect("cache stats", 75, "no configuration loaded");
    expect("metrics", 75, "no configuration loaded");
    expect("status", 0, "reloads 0");
}
END_TEST

START_TEST(test_malformed)
{
    expect("", 2, "empty request");
    expect(" ", 2, "single spaces");
    expect("cache  stats", 2, "single spaces");
    expect("cache stats ", 2, "single spaces");
    expect("cache", 2, "unknown control request 'cache'");
    expect("cache show", 2, "unknown control request 'cache show'");
    expect("pool flush", 2, "unknown control request 'pool flush'");
    expect("shutdown", 2, "unknown control request 'shutdown'");
    expect("STATUS", 2, "unknown control request");
    expect("status\nreload", 2, "without a newline");
    expect("status\r", 2, "without a newline");
    char *line = g_strnfill(CONTROL_LINE_MAX + 1, 'x');
    expect(line, 2, "request longer than 4096 bytes");
    g_free(line);
    int status = -1;
    char *body = control_answer(&context, NULL, &status);
    ck_assert_int_eq(status, 2);
    g_free(body);
    /* Exactly the limit is read as a request. */
    line = g_strnfill(CONTROL_LINE_MAX, 'y');
    expect(line, 2, "unknown control request");
    g_free(line);
}
END_TEST

START_TEST(test_refusal)
{
    int status = -1;
    char *body = control_refusal("uid 1000 (bob) is not root", &status);
    ck_assert_int_eq(status, CONTROL_STATUS_NOT_ALLOWED);
    ck_assert_str_eq(body, "not allowed: uid 1000 (bob) is not root\n");
    g_free(body);
    GString *out = g_string_new(NULL);
    metrics_render(NULL, out);
    ck_assert_msg(strstr(out->str, "\nsasldird_refused_total{reason="
                         "\"not-allowed\"} 1\n") != NULL, "%s", out->str);
    g_string_free(out, TRUE);
}
END_TEST

/* ------------------------------------------------------------------ */
/* SO_PEERCRED                                                         */
/* ------------------------------------------------------------------ */

START_TEST(test_peer_self)
{
    int fds[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    char *why = NULL;
    ck_assert(control_peer_allowed(fds[0], (gid_t)-1, &why));
    ck_assert_ptr_null(why);
    close(fds[0]);
    close(fds[1]);
    /* Not a socket: refused with the reason. */
    int pipe_fds[2];
    ck_assert_int_eq(pipe(pipe_fds), 0);
    ck_assert(!control_peer_allowed(pipe_fds[0], (gid_t)-1, &why));
    ck_assert_msg(strstr(why, "SO_PEERCRED") != NULL, "%s", why);
    g_free(why);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}
END_TEST

/*
 * A child that becomes UID with primary group GID and no supplementary
 * groups connects to a socket the test listens on; the accepted
 * connection is checked against ALLOWED_GROUP.
 */
static bool
peer_as(uid_t uid, gid_t gid, gid_t allowed_group, char **why)
{
    char *dir = g_dir_make_tmp("control-XXXXXX", NULL);
    ck_assert_ptr_nonnull(dir);
    ck_assert_int_eq(chmod(dir, 0755), 0);
    char *path = g_build_filename(dir, "control", NULL);
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    g_strlcpy(address.sun_path, path, sizeof address.sun_path);
    ck_assert_int_eq(bind(listener, (struct sockaddr *)&address,
                          sizeof address), 0);
    ck_assert_int_eq(chmod(path, 0666), 0);
    ck_assert_int_eq(listen(listener, 1), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        int fd = -1;
        if (setgroups(0, NULL) == 0 && setgid(gid) == 0 && setuid(uid) == 0
            && (fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0
            && connect(fd, (struct sockaddr *)&address, sizeof address)
               == 0) {
            char c;
            (void)read(fd, &c, 1);  /* until the parent closes */
            _exit(0);
        }
        _exit(1);
    }
    int connection = accept(listener, NULL, NULL);
    ck_assert_int_ge(connection, 0);
    bool allowed = control_peer_allowed(connection, allowed_group, why);
    close(connection);
    int wstatus;
    ck_assert_int_eq(waitpid(child, &wstatus, 0), child);
    ck_assert(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
    close(listener);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
    return allowed;
}

static bool
peer_as_nobody(gid_t allowed_group, char **why)
{
    struct passwd *nobody = getpwnam("nobody");
    ck_assert_ptr_nonnull(nobody);
    return peer_as(nobody->pw_uid, nobody->pw_gid, allowed_group, why);
}

/* A user of the system that is a member of a group other than its
 * primary one only through the group database: *UID, *GID (primary)
 * and *GROUP.  False when the system has none. */
static bool
find_supplementary_member(uid_t *uid, gid_t *gid, gid_t *group)
{
    bool found = false;
    setgrent();
    struct group *g;
    while (!found && (g = getgrent()) != NULL) {
        for (char **member = g->gr_mem; *member != NULL && !found;
             member++) {
            struct passwd *pw = getpwnam(*member);
            if (pw != NULL && pw->pw_uid != 0 && pw->pw_gid != g->gr_gid) {
                *uid = pw->pw_uid;
                *gid = pw->pw_gid;
                *group = g->gr_gid;
                found = true;
            }
        }
    }
    endgrent();
    return found;
}

START_TEST(test_peer_supplementary_group)
{
    uid_t uid;
    gid_t gid, group;
    ck_assert(find_supplementary_member(&uid, &gid, &group));
    char *why = NULL;
    /* The process carries no supplementary groups (the child dropped
     * them): membership comes from the group database. */
    ck_assert_msg(peer_as(uid, gid, group, &why), "%s", why);
    ck_assert_ptr_null(why);
    /* And a group the user is not in is still refused. */
    ck_assert(!peer_as(uid, gid, 0, &why));
    ck_assert_msg(strstr(why, "is not root and not in group") != NULL, "%s",
                  why);
    g_free(why);
}
END_TEST

START_TEST(test_peer_other_user)
{
    struct passwd *nobody = getpwnam("nobody");
    ck_assert_ptr_nonnull(nobody);
    char *expected_who = g_strdup_printf("uid %u (nobody) is not root",
                                         (unsigned)nobody->pw_uid);
    char *why = NULL;
    /* No control group: only root and the daemon's own user. */
    ck_assert(!peer_as_nobody((gid_t)-1, &why));
    ck_assert_msg(g_str_has_prefix(why, expected_who), "%s", why);
    ck_assert_msg(strstr(why, "no [server] control-group") != NULL, "%s",
                  why);
    g_clear_pointer(&why, g_free);
    /* A group nobody is not in. */
    ck_assert(!peer_as_nobody(0, &why));
    struct group *root_group = getgrgid(0);
    char *in_group = g_strdup_printf("not in group '%s'",
                                     root_group->gr_name);
    ck_assert_msg(strstr(why, in_group) != NULL, "%s", why);
    g_free(in_group);
    g_clear_pointer(&why, g_free);
    /* nobody's own group: allowed. */
    ck_assert(peer_as_nobody(nobody->pw_gid, &why));
    ck_assert_ptr_null(why);
    g_free(expected_who);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Metrics                                                             */
/* ------------------------------------------------------------------ */

static char *
render(void)
{
    GString *out = g_string_new(NULL);
    metrics_render(NULL, out);
    return g_string_free(out, FALSE);
}

static void
expect_line(const char *text, const char *line)
{
    char *needle = g_strconcat("\n", line, "\n", NULL);
    ck_assert_msg(strstr(text, needle) != NULL, "no line '%s' in:\n%s",
                  line, text);
    g_free(needle);
}

START_TEST(test_metrics_auth)
{
    metrics_count_auth("m1", SD_OK, 50);          /* <= 100 us */
    metrics_count_auth("m1", SD_OK, 100);         /* <= 100 us: le is <= */
    metrics_count_auth("m1", SD_MISMATCH, 300);   /* <= 500 us */
    metrics_count_auth("m1", SD_TEMPFAIL, 20000000);  /* over 10 s */
    metrics_count_auth("m1", SD_NOTFOUND, -5);    /* a clock step: 0 */
    metrics_count_auth("m2", SD_ERROR, 1000000);  /* 1 s */
    char *text = render();
    expect_line(text, "# TYPE sasldird_auth_total counter");
    expect_line(text, "sasldird_auth_total{directory=\"m1\",result=\"ok\"} 2");
    expect_line(text, "sasldird_auth_total{directory=\"m1\","
                "result=\"mismatch\"} 1");
    expect_line(text, "sasldird_auth_total{directory=\"m1\","
                "result=\"notfound\"} 1");
    expect_line(text, "sasldird_auth_total{directory=\"m1\","
                "result=\"tempfail\"} 1");
    expect_line(text, "sasldird_auth_total{directory=\"m1\","
                "result=\"error\"} 0");
    expect_line(text, "sasldird_auth_total{directory=\"m2\","
                "result=\"error\"} 1");
    expect_line(text, "# TYPE sasldird_auth_duration_seconds histogram");
    expect_line(text, "sasldird_auth_duration_seconds_bucket{directory="
                "\"m1\",le=\"0.0001\"} 3");
    expect_line(text, "sasldird_auth_duration_seconds_bucket{directory="
                "\"m1\",le=\"0.00025\"} 3");
    expect_line(text, "sasldird_auth_duration_seconds_bucket{directory="
                "\"m1\",le=\"0.0005\"} 4");
    expect_line(text, "sasldird_auth_duration_seconds_bucket{directory="
                "\"m1\",le=\"10\"} 4");
    expect_line(text, "sasldird_auth_duration_seconds_bucket{directory="
                "\"m1\",le=\"+Inf\"} 5");
    expect_line(text, "sasldird_auth_duration_seconds_count{directory="
                "\"m1\"} 5");
    expect_line(text, "sasldird_auth_duration_seconds_sum{directory="
                "\"m1\"} 20.000450");
    expect_line(text, "sasldird_auth_duration_seconds_bucket{directory="
                "\"m2\",le=\"0.5\"} 0");
    expect_line(text, "sasldird_auth_duration_seconds_bucket{directory="
                "\"m2\",le=\"1\"} 1");
    g_free(text);
}
END_TEST

START_TEST(test_metrics_other_counters)
{
    metrics_count_request("socketmap", SD_OK);
    metrics_count_request("socketmap", SD_OK);
    metrics_count_request("socketmap", SD_TEMPFAIL);
    metrics_count_request("gopher", SD_OK);
    metrics_count_refused("max-clients");
    metrics_count_refused("bad-frame");
    metrics_count_refused("bad-frame");
    metrics_count_refused("cosmic-ray");
    metrics_count_penalty();
    char *text = render();
    expect_line(text, "sasldird_requests_total{protocol=\"socketmap\","
                "result=\"ok\"} 2");
    expect_line(text, "sasldird_requests_total{protocol=\"socketmap\","
                "result=\"tempfail\"} 1");
    expect_line(text, "sasldird_requests_total{protocol=\"other\","
                "result=\"ok\"} 1");
    expect_line(text, "sasldird_requests_total{protocol=\"saslauthd\","
                "result=\"ok\"} 0");
    expect_line(text, "sasldird_refused_total{reason=\"max-clients\"} 1");
    expect_line(text, "sasldird_refused_total{reason=\"bad-frame\"} 2");
    expect_line(text, "sasldird_refused_total{reason=\"other\"} 1");
    expect_line(text, "sasldird_refused_total{reason=\"queue-full\"} 0");
    expect_line(text, "sasldird_penalty_delayed_total 1");
    g_free(text);
}
END_TEST

START_TEST(test_metrics_label_escaping)
{
    metrics_count_auth("we\"ird\\name\nx", SD_OK, 1);
    char *text = render();
    expect_line(text, "sasldird_auth_total{directory=\"we\\\"ird\\\\name\\nx\","
                "result=\"ok\"} 1");
    g_free(text);
}
END_TEST

START_TEST(test_metrics_many_directories)
{
    char name[32];
    for (int i = 0; i < 100; i++) {
        g_snprintf(name, sizeof name, "dir%d", i);
        metrics_count_auth(name, SD_OK, 1);
    }
    char *text = render();
    expect_line(text, "sasldird_auth_total{directory=\"dir0\",result=\"ok\"} 1");
    expect_line(text, "sasldird_auth_total{directory=\"dir62\",result=\"ok\"} 1");
    ck_assert_ptr_null(strstr(text, "\"dir63\""));
    /* 100 - 63 directories share the last slot. */
    expect_line(text, "sasldird_auth_total{directory=\"(other)\","
                "result=\"ok\"} 37");
    g_free(text);
}
END_TEST

static gpointer
count_many(gpointer data)
{
    const char *names[] = { "t0", "t1", "t2" };
    for (int i = 0; i < 30000; i++)
        metrics_count_auth(names[i % 3], (sd_result)(i % 5), i % 1000);
    (void)data;
    return NULL;
}

START_TEST(test_metrics_threads)
{
    GThread *threads[8];
    for (int i = 0; i < 8; i++)
        threads[i] = g_thread_new("metrics", count_many, NULL);
    for (int i = 0; i < 8; i++)
        g_thread_join(threads[i]);
    char *text = render();
    /* Each name gets 10000 per thread, 2000 of each result. */
    expect_line(text, "sasldird_auth_total{directory=\"t0\",result=\"ok\"} "
                "16000");
    expect_line(text, "sasldird_auth_total{directory=\"t2\",result=\"error\"}"
                " 16000");
    expect_line(text, "sasldird_auth_duration_seconds_count{directory=\"t1\"} "
                "80000");
    /* Each name claimed exactly one slot. */
    char **lines = g_strsplit(text, "\n", -1);
    int t0_lines = 0;
    for (char **l = lines; *l != NULL; l++)
        if (g_str_has_prefix(*l, "sasldird_auth_total{directory=\"t0\""))
            t0_lines++;
    ck_assert_int_eq(t0_lines, 5);
    g_strfreev(lines);
    g_free(text);
}
END_TEST

/* ------------------------------------------------------------------ */
/* HTTP                                                                */
/* ------------------------------------------------------------------ */

static sd_registry *http_registry;

static sd_registry *
registry_for_http(void *self)
{
    ck_assert_ptr_eq(self, &http_registry);
    return sd_registry_ref(http_registry);
}

/* curl's body, and the HTTP code in *CODE. */
static char *
curl(const char *url, const char *method, int *code)
{
    char *argv[] = { "curl", "-s", "-X", (char *)method, "-w",
                     "\n%{http_code}", (char *)url, NULL };
    char *out = NULL, *err = NULL;
    int wait_status;
    GError *error = NULL;
    ck_assert_msg(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
                               NULL, &out, &err, &wait_status, &error),
                  "curl: %s", error ? error->message : "?");
    ck_assert_msg(g_spawn_check_wait_status(wait_status, NULL),
                  "curl %s failed: %s", url, err);
    char *last = strrchr(out, '\n');
    ck_assert_ptr_nonnull(last);
    *code = atoi(last + 1);
    *last = '\0';
    g_free(err);
    return out;
}

START_TEST(test_http)
{
    http_registry = load(config_text);
    sd_directory *d = sd_registry_get(http_registry, "d");
    ck_assert_int_eq(sd_directory_authenticate(d, "alice", "Wonderland-7f3a",
                                               NULL, NULL), SD_OK);
    metrics_count_auth("d", SD_OK, 120);
    GError *error = NULL;
    ck_assert_msg(metrics_http_start("127.0.0.1:0", registry_for_http,
                                     &http_registry, &error),
                  "%s", error ? error->message : "?");
    unsigned port = metrics_http_port();
    ck_assert_uint_gt(port, 0);
    char *base = g_strdup_printf("http://127.0.0.1:%u", port);
    char *url = g_strconcat(base, "/metrics", NULL);
    int code = 0;
    char *body = curl(url, "GET", &code);
    ck_assert_int_eq(code, 200);
    ck_assert_msg(strstr(body, "\nsasldird_auth_total{directory=\"d\","
                         "result=\"ok\"} 1\n") != NULL, "%s", body);
    ck_assert_msg(strstr(body, "\nsasldir_cache_misses_total{directory=\"d\","
                         "kind=\"credentials\"} 1\n") != NULL, "%s", body);
    g_free(body);
    /* The counters move between scrapes. */
    metrics_count_auth("d", SD_OK, 120);
    ck_assert_int_eq(sd_directory_authenticate(d, "alice", "Wonderland-7f3a",
                                               NULL, NULL), SD_OK);
    body = curl(url, "GET", &code);
    ck_assert_int_eq(code, 200);
    ck_assert_msg(strstr(body, "\nsasldird_auth_total{directory=\"d\","
                         "result=\"ok\"} 2\n") != NULL, "%s", body);
    ck_assert_msg(strstr(body, "\nsasldir_cache_hits_total{directory=\"d\","
                         "kind=\"credentials\",side=\"positive\"} 1\n")
                  != NULL, "%s", body);
    g_free(body);
    char *other = g_strconcat(base, "/", NULL);
    body = curl(other, "GET", &code);
    ck_assert_int_eq(code, 404);
    g_free(body);
    g_free(other);
    body = curl(url, "POST", &code);
    ck_assert_int_eq(code, 405);
    g_free(body);
    /* A second server is refused while one runs. */
    ck_assert(!metrics_http_start("127.0.0.1:0", registry_for_http,
                                  &http_registry, &error));
    g_clear_error(&error);
    metrics_http_stop();
    ck_assert_uint_eq(metrics_http_port(), 0);
    /* Stopped means stopped: the port no longer answers. */
    char *argv[] = { "curl", "-s", "-o", "/dev/null", url, NULL };
    int wait_status;
    ck_assert(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
                           NULL, NULL, NULL, &wait_status, NULL));
    ck_assert(!g_spawn_check_wait_status(wait_status, NULL));
    g_free(url);
    g_free(base);
    sd_registry_unref(http_registry);
}
END_TEST

START_TEST(test_http_ipv6)
{
    int probe = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 loopback = { .sin6_family = AF_INET6,
                                     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    bool have_ipv6 = probe >= 0
                     && bind(probe, (struct sockaddr *)&loopback,
                             sizeof loopback) == 0;
    if (probe >= 0)
        close(probe);
    if (!have_ipv6) {
        /* No ::1 here: the failure must be clean, not a crash. */
        GError *error = NULL;
        ck_assert(!metrics_http_start("[::1]:0", NULL, NULL, &error));
        g_clear_error(&error);
        return;
    }
    GError *error = NULL;
    ck_assert_msg(metrics_http_start("[::1]:0", NULL, NULL, &error), "%s",
                  error ? error->message : "?");
    char *url = g_strdup_printf("http://[::1]:%u/metrics",
                                metrics_http_port());
    int code = 0;
    char *body = curl(url, "GET", &code);
    ck_assert_int_eq(code, 200);
    ck_assert_msg(strstr(body, "# TYPE sasldird_auth_total counter") != NULL,
                  "%s", body);
    /* No registry: no cache families. */
    ck_assert_ptr_null(strstr(body, "sasldir_cache_hits_total"));
    g_free(body);
    g_free(url);
    metrics_http_stop();
}
END_TEST

START_TEST(test_http_bad_listen)
{
    static const char *const bad[] = {
        "127.0.0.1", "nonsense", ":9100", "[::1]", "127.0.0.1:99999",
        "127.0.0.1:x", "no-such-host.invalid:9100",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *error = NULL;
        ck_assert_msg(!metrics_http_start(bad[i], NULL, NULL, &error),
                      "'%s' accepted", bad[i]);
        ck_assert_msg(strstr(error->message, "[server] metrics-listen") !=
                      NULL, "%s", error->message);
        g_error_free(error);
    }
    /* A port already taken: the error says libmicrohttpd's reason. */
    int taken = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET,
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    ck_assert_int_eq(bind(taken, (struct sockaddr *)&address,
                          sizeof address), 0);
    ck_assert_int_eq(listen(taken, 1), 0);
    socklen_t len = sizeof address;
    ck_assert_int_eq(getsockname(taken, (struct sockaddr *)&address, &len),
                     0);
    char *listen_on = g_strdup_printf("127.0.0.1:%u",
                                      (unsigned)ntohs(address.sin_port));
    GError *error = NULL;
    ck_assert(!metrics_http_start(listen_on, NULL, NULL, &error));
    ck_assert_msg(strstr(error->message, "cannot serve HTTP") != NULL, "%s",
                  error->message);
    ck_assert_msg(strstr(error->message, "in use") != NULL
                  || strstr(error->message, "bind") != NULL, "%s",
                  error->message);
    g_error_free(error);
    g_free(listen_on);
    close(taken);
}
END_TEST

static Suite *
control_suite(void)
{
    Suite *s = suite_create("control");
    TCase *tc = tcase_create("commands");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_status);
    tcase_add_test(tc, test_cache_stats);
    tcase_add_test(tc, test_cache_flush);
    tcase_add_test(tc, test_pool_stats);
    tcase_add_test(tc, test_reload);
    tcase_add_test(tc, test_metrics_command);
    tcase_add_test(tc, test_no_registry);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_refusal);
    suite_add_tcase(s, tc);

    tc = tcase_create("peer");
    tcase_add_test(tc, test_peer_self);
    /* Another uid needs root to become one. */
    if (geteuid() == 0) {
        tcase_add_test(tc, test_peer_other_user);
        /* Only where the group database has such a member (Debian with
         * cyrus-imapd: cyrus in group sasl). */
        uid_t uid;
        gid_t gid, group;
        if (find_supplementary_member(&uid, &gid, &group))
            tcase_add_test(tc, test_peer_supplementary_group);
    }
    suite_add_tcase(s, tc);

    tc = tcase_create("metrics");
    tcase_add_test(tc, test_metrics_auth);
    tcase_add_test(tc, test_metrics_other_counters);
    tcase_add_test(tc, test_metrics_label_escaping);
    tcase_add_test(tc, test_metrics_many_directories);
    tcase_add_test(tc, test_metrics_threads);
    tcase_add_test(tc, test_http);
    tcase_add_test(tc, test_http_ipv6);
    tcase_add_test(tc, test_http_bad_listen);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    /* curl and peers that go away must not kill the test with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    return sd_check_run(control_suite());
}
