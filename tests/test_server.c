/*
 * test_server.c - the [server] section (common/sd_server.c): defaults,
 * every key, every error with its file, line and key, and
 * sd_server_control_socket_of.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "sd_check.h"
#include "sd_directory.h"
#include "sd_log.h"
#include "sd_server.h"

#define DIRECTORIES \
    "[storage]\ndirectory = \"a\"\n" \
    "[directory.a]\ntype = \"memory\"\n" \
    "[directory.b]\ntype = \"memory\"\n"

static sd_registry *
load(const char *text, GError **error)
{
    return sd_registry_load_data(text, strlen(text), "t.toml", error);
}

/* Loading TEXT fails with an error message matching PATTERN. */
static void
expect_error(const char *text, const char *pattern)
{
    GError *error = NULL;
    sd_registry *registry = load(text, &error);
    ck_assert_msg(registry == NULL, "loaded: %s", text);
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(g_regex_match_simple(pattern, error->message, 0, 0),
                  "'%s' does not match /%s/", error->message, pattern);
    g_error_free(error);
}

START_TEST(test_defaults)
{
    GError *error = NULL;
    sd_registry *registry = load(DIRECTORIES, &error);
    ck_assert_msg(registry != NULL, "%s", error ? error->message : "");
    const sd_server_settings *s = sd_registry_server_settings(registry);
    ck_assert_str_eq(s->saslauthd_socket, "/run/sasldir/mux");
    ck_assert_str_eq(s->socketmap_socket, "/run/sasldir/socketmap");
    ck_assert_str_eq(s->control_socket, "/run/sasldir/control");
    ck_assert_uint_eq(s->socket_mode, 0660);
    ck_assert_ptr_null(s->user);
    ck_assert_ptr_null(s->pid_file);
    ck_assert_uint_eq(s->workers, 0);
    ck_assert_uint_eq(s->max_clients, 1024);
    ck_assert_uint_eq(s->queue, 4096);
    ck_assert_int_eq(s->request_timeout_ms, 10000);
    ck_assert_int_eq(s->idle_timeout_ms, 60000);
    ck_assert_uint_eq(s->max_field, 4096);
    ck_assert(s->log_syslog);
    ck_assert_int_eq(s->log_level, SD_LOG_INFO);
    ck_assert_ptr_null(s->metrics_listen);
    ck_assert_uint_eq(g_hash_table_size(s->realm_directory), 0);
    ck_assert(s->penalty.enable);
    ck_assert_uint_eq(s->penalty.threshold, 3);
    ck_assert_int_eq(s->penalty.initial_ms, 1000);
    ck_assert_int_eq(s->penalty.max_delay_ms, 15000);
    ck_assert_int_eq(s->penalty.forget_ms, 900000);
    sd_registry_unref(registry);
}
END_TEST

START_TEST(test_every_key)
{
    const char *text = DIRECTORIES
        "[server]\n"
        "saslauthd-socket = \"/tmp/x/mux\"\n"
        "socketmap-socket = \"\"\n"
        "control-socket = \"/tmp/x/control\"\n"
        "socket-mode = 0o600\n"
        "socket-group = \"mail\"\n"
        "control-group = \"adm\"\n"
        "user = \"nobody\"\n"
        "group = \"nogroup\"\n"
        "pid-file = \"/tmp/x/pid\"\n"
        "workers = 3\n"
        "max-clients = 10\n"
        "queue = 20\n"
        "request-timeout = \"2s\"\n"
        "idle-timeout = \"1m\"\n"
        "max-field = 300\n"
        "log = \"stderr\"\n"
        "log-level = \"debug\"\n"
        "metrics-listen = \"[::1]:9100\"\n"
        "socketmap-directory = \"b\"\n"
        "[server.realm-directory]\n"
        "\"Example.ORG\" = \"b\"\n"
        "[server.penalty]\n"
        "enable = false\nthreshold = 5\ninitial = \"500ms\"\n"
        "max-delay = \"4s\"\nforget = \"1h\"\n";
    GError *error = NULL;
    sd_registry *registry = load(text, &error);
    ck_assert_msg(registry != NULL, "%s", error ? error->message : "");
    const sd_server_settings *s = sd_registry_server_settings(registry);
    ck_assert_str_eq(s->saslauthd_socket, "/tmp/x/mux");
    ck_assert_ptr_null(s->socketmap_socket);
    ck_assert_str_eq(s->control_socket, "/tmp/x/control");
    ck_assert_uint_eq(s->socket_mode, 0600);
    ck_assert_str_eq(s->socket_group, "mail");
    ck_assert_str_eq(s->control_group, "adm");
    ck_assert_str_eq(s->user, "nobody");
    ck_assert_str_eq(s->group, "nogroup");
    ck_assert_str_eq(s->pid_file, "/tmp/x/pid");
    ck_assert_uint_eq(s->workers, 3);
    ck_assert_uint_eq(s->max_clients, 10);
    ck_assert_uint_eq(s->queue, 20);
    ck_assert_int_eq(s->request_timeout_ms, 2000);
    ck_assert_int_eq(s->idle_timeout_ms, 60000);
    ck_assert_uint_eq(s->max_field, 300);
    ck_assert(!s->log_syslog);
    ck_assert_int_eq(s->log_level, SD_LOG_DEBUG);
    ck_assert_str_eq(s->metrics_listen, "[::1]:9100");
    ck_assert_str_eq(s->socketmap_directory, "b");
    /* Realms are kept lowercased, as requests are looked up. */
    ck_assert_str_eq(g_hash_table_lookup(s->realm_directory, "example.org"),
                     "b");
    ck_assert(!s->penalty.enable);
    ck_assert_uint_eq(s->penalty.threshold, 5);
    ck_assert_int_eq(s->penalty.initial_ms, 500);
    ck_assert_int_eq(s->penalty.max_delay_ms, 4000);
    ck_assert_int_eq(s->penalty.forget_ms, 3600000);
    sd_registry_unref(registry);
}
END_TEST

START_TEST(test_errors)
{
    expect_error(DIRECTORIES "[server]\nbogus = 1\n",
                 "t\\.toml:8: server\\.bogus");
    expect_error(DIRECTORIES "[server]\nsaslauthd-socket = \"mux\"\n",
                 "t\\.toml:8: server\\.saslauthd-socket: 'mux' is not an "
                 "absolute path");
    expect_error(DIRECTORIES "[server]\nsocket-mode = 0o1777\n",
                 "server\\.socket-mode");
    expect_error(DIRECTORIES "[server]\nuser = \"a:b\"\n",
                 "server\\.user: 'a:b' is not a user or group name");
    expect_error(DIRECTORIES "[server]\npid-file = \"x.pid\"\n",
                 "server\\.pid-file: 'x\\.pid' is not an absolute path");
    expect_error(DIRECTORIES "[server]\nmax-clients = 0\n",
                 "server\\.max-clients");
    expect_error(DIRECTORIES "[server]\nmax-field = 70000\n",
                 "server\\.max-field");
    expect_error(DIRECTORIES "[server]\nrequest-timeout = \"0s\"\n",
                 "server\\.request-timeout: must be more than 0");
    expect_error(DIRECTORIES "[server]\nlog = \"file\"\n",
                 "server\\.log: 'file' is neither");
    expect_error(DIRECTORIES "[server]\nlog-level = \"loud\"\n",
                 "server\\.log-level: 'loud'");
    expect_error(DIRECTORIES "[server]\nmetrics-listen = \"9100\"\n",
                 "server\\.metrics-listen: '9100' is not HOST:PORT");
    expect_error(DIRECTORIES "[server]\nmetrics-listen = \"::1:9100\"\n",
                 "server\\.metrics-listen");
    expect_error(DIRECTORIES "[server]\nmetrics-listen = \"h:70000\"\n",
                 "server\\.metrics-listen");
    /* Port 0 (any free port) only the unit tests of metrics_http use. */
    expect_error(DIRECTORIES "[server]\nmetrics-listen = \"127.0.0.1:0\"\n",
                 "server\\.metrics-listen: '127\\.0\\.0\\.1:0' is not "
                 "HOST:PORT or \\[IPV6\\]:PORT with a port from 1 to "
                 "65535");
    expect_error(DIRECTORIES "[server]\nsocketmap-directory = \"c\"\n",
                 "server\\.socketmap-directory: there is no enabled "
                 "directory 'c'");
    expect_error(DIRECTORIES "[server.realm-directory]\nx = \"c\"\n",
                 "t\\.toml:8: server\\.realm-directory\\.x: there is no "
                 "enabled directory 'c'");
    expect_error(DIRECTORIES "[server.realm-directory]\nx = 1\n",
                 "server\\.realm-directory\\.x");
    expect_error(DIRECTORIES "[server.penalty]\ninitial = \"20s\"\n",
                 "server\\.penalty\\.initial: is longer than max-delay");
    expect_error(DIRECTORIES "[server.penalty]\nmaximum = \"20s\"\n",
                 "server\\.penalty\\.maximum");
}
END_TEST

START_TEST(test_control_socket_of)
{
    char *dir = g_dir_make_tmp("test_server.XXXXXX", NULL);
    ck_assert_ptr_nonnull(dir);
    char *path = g_build_filename(dir, "c.toml", NULL);

    /* Default, also when a directory section is broken: no directory
     * is opened. */
    ck_assert(g_file_set_contents(path, "[directory.a]\ntype = \"ldapx\"\n",
                                  -1, NULL));
    char *socket = sd_server_control_socket_of(path);
    ck_assert_str_eq(socket, "/run/sasldir/control");
    g_free(socket);

    ck_assert(g_file_set_contents(
        path, "[server]\ncontrol-socket = \"/tmp/c\"\n", -1, NULL));
    socket = sd_server_control_socket_of(path);
    ck_assert_str_eq(socket, "/tmp/c");
    g_free(socket);

    ck_assert(g_file_set_contents(
        path, "[server]\ncontrol-socket = \"\"\n", -1, NULL));
    ck_assert_ptr_null(sd_server_control_socket_of(path));
    ck_assert(g_file_set_contents(
        path, "[server]\ncontrol-socket = \"rel\"\n", -1, NULL));
    ck_assert_ptr_null(sd_server_control_socket_of(path));
    ck_assert(g_file_set_contents(path, "[server\n", -1, NULL));
    ck_assert_ptr_null(sd_server_control_socket_of(path));
    g_unlink(path);
    ck_assert_ptr_null(sd_server_control_socket_of(path));

    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}
END_TEST

int
main(void)
{
    /* The registry logs at notice; keep the TAP output clean. */
    sd_log_set_level(SD_LOG_ERROR);
    Suite *suite = suite_create("server");
    TCase *settings = tcase_create("settings");
    tcase_add_test(settings, test_defaults);
    tcase_add_test(settings, test_every_key);
    tcase_add_test(settings, test_errors);
    tcase_add_test(settings, test_control_socket_of);
    suite_add_tcase(suite, settings);
    return sd_check_run(suite);
}
