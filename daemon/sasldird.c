/*
 * sasldird.c - the daemon's start-up: options, configuration, sockets,
 * privileges, then the event loop (server.c).
 *
 * usage: sasldird [-c CONFIG] [-f] [-l] [-t] [--version]
 *   -c CONFIG   the configuration (default $SASLDIR_CONFIG, else
 *               /etc/sasldir/sasldir.toml)
 *   -f          stay in the foreground (systemd, tests)
 *   -l          log to standard error whatever [server] log says
 *   -t          check the configuration, print the result and exit
 * Order of start-up: the [server] section is read alone so the sockets
 * can be bound and the pid file opened, both as root, and privileges
 * dropped before any directory is opened; the directories are then
 * opened as the configured user, so files a directory creates belong to
 * that user; then sasldird detaches (unless -f) and the pid file gets
 * the daemon's number.  Exit status: 0 after a clean
 * stop, 1 when the configuration or start-up fails, 2 on misuse.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "process.h"
#include "sd_config.h"
#include "sd_directory.h"
#include "sd_log.h"
#include "sd_server.h"
#include "server.h"

static gchar *opt_config;
static gboolean opt_foreground, opt_stderr, opt_test, opt_version;

static const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config,
      "configuration file (default: $SASLDIR_CONFIG, else "
      SD_DEFAULT_CONFIG ")", "FILE" },
    { "foreground", 'f', 0, G_OPTION_ARG_NONE, &opt_foreground,
      "do not become a daemon", NULL },
    { "log-stderr", 'l', 0, G_OPTION_ARG_NONE, &opt_stderr,
      "log to standard error", NULL },
    { "test", 't', 0, G_OPTION_ARG_NONE, &opt_test,
      "check the configuration and exit", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version,
      "print the version and exit", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
};

/* [server] alone, without opening a directory; NULL when the file or
 * the section has errors (the full load then reports them). */
static sd_server_settings *
read_server_settings(const char *path)
{
    GError *error = NULL;
    sd_cfg *cfg = sd_cfg_load(path, &error);
    if (cfg == NULL) {
        g_clear_error(&error);
        return NULL;
    }
    sd_cfg_table root;
    sd_cfg_root(cfg, &root);
    sd_server_settings *settings = sd_server_settings_read(&root, NULL);
    sd_cfg_table_clear(&root);
    if (sd_cfg_error_count(cfg) > 0)
        g_clear_pointer(&settings, sd_server_settings_free);
    sd_cfg_free(cfg);
    return settings;
}

static sd_registry *
load_registry(const char *path)
{
    GError *error = NULL;
    sd_registry *registry = sd_registry_load(path, &error);
    if (registry == NULL) {
        fprintf(stderr, "sasldird: %s\n", error->message);
        g_clear_error(&error);
    }
    return registry;
}

static void
close_sockets(const sd_server_settings *settings, server_sockets *sockets)
{
    int *fds[3] = { &sockets->saslauthd, &sockets->socketmap,
                    &sockets->control };
    const char *paths[3] = { settings->saslauthd_socket,
                             settings->socketmap_socket,
                             settings->control_socket };
    for (int i = 0; i < 3; i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
            if (unlink(paths[i]) != 0)
                sd_log(SD_LOG_DEBUG, "%s: %s", paths[i], g_strerror(errno));
        }
}

static bool
open_sockets(const sd_server_settings *settings, const process_ids *ids,
             server_sockets *sockets)
{
    GError *error = NULL;
    gid_t group = ids->socket_group != (gid_t)-1 ? ids->socket_group
                                                 : ids->user_group;
    /* The control socket: the daemon's user, plus control-group. */
    unsigned control_mode = ids->control_group != (gid_t)-1 ? 0660 : 0600;
    *sockets = (server_sockets){ -1, -1, -1 };
    if (settings->saslauthd_socket != NULL)
        sockets->saslauthd = process_listen(settings->saslauthd_socket,
                                            settings->socket_mode, ids->user,
                                            group, &error);
    if (error == NULL && settings->socketmap_socket != NULL)
        sockets->socketmap = process_listen(settings->socketmap_socket,
                                            settings->socket_mode, ids->user,
                                            group, &error);
    if (error == NULL && settings->control_socket != NULL)
        sockets->control = process_listen(settings->control_socket,
                                          control_mode, ids->user,
                                          ids->control_group, &error);
    if (error != NULL) {
        fprintf(stderr, "sasldird: %s\n", error->message);
        g_clear_error(&error);
        close_sockets(settings, sockets);
        return false;
    }
    return true;
}

static int
check_only(const char *path)
{
    /* As the daemon's user, like the daemon: a store the check creates
     * must belong to that user, not to root. */
    sd_server_settings *settings = read_server_settings(path);
    if (settings != NULL && settings->user != NULL && geteuid() == 0) {
        process_ids ids;
        GError *error = NULL;
        if (!process_lookup_ids(settings, &ids, &error)
            || !process_drop_privileges(settings, &ids, &error)) {
            fprintf(stderr, "sasldird: %s: %s\n", path, error->message);
            g_clear_error(&error);
            sd_server_settings_free(settings);
            return 1;
        }
    }
    sd_server_settings_free(settings);
    sd_registry *registry = load_registry(path);
    if (registry == NULL)
        return 1;
    process_ids ids;
    GError *error = NULL;
    int status = 0;
    if (!process_lookup_ids(sd_registry_server_settings(registry), &ids,
                            &error)) {
        fprintf(stderr, "sasldird: %s: %s\n", path, error->message);
        g_clear_error(&error);
        status = 1;
    } else {
        printf("sasldird: configuration %s is valid\n", path);
    }
    sd_registry_unref(registry);
    return status;
}

/* Start-up failed: what was set up is undone. */
static int
give_up(GError **error, const sd_server_settings *settings,
        server_sockets *sockets, int pid_fd, sd_registry *registry)
{
    if (*error != NULL)
        fprintf(stderr, "sasldird: %s\n", (*error)->message);
    g_clear_error(error);
    sd_registry_unref(registry);
    process_remove_pid_file(pid_fd, settings->pid_file);
    close_sockets(settings, sockets);
    return 1;
}

/* Everything after the options; returns the exit status. */
static int
start(const char *path)
{
    sd_server_settings *settings = read_server_settings(path);
    if (settings == NULL) {
        sd_registry *registry = load_registry(path);
        /* Loads only if [server] was fine after all: a bug, not a file. */
        sd_registry_unref(registry);
        return 1;
    }
    process_ids ids;
    server_sockets sockets = { -1, -1, -1 };
    int pid_fd = -1;
    GError *error = NULL;
    process_log_to(settings->log_syslog && !opt_stderr, settings->log_level);
    /* Sockets and pid file while still root: both may be in a directory
     * only root may write. */
    if (!process_lookup_ids(settings, &ids, &error)
        || !open_sockets(settings, &ids, &sockets)
        || (settings->pid_file != NULL
            && (pid_fd = process_open_pid_file(settings->pid_file,
                                               &error)) < 0)
        || !process_drop_privileges(settings, &ids, &error)) {
        int status = give_up(&error, settings, &sockets, pid_fd, NULL);
        sd_server_settings_free(settings);
        return status;
    }
    sd_registry *registry = load_registry(path);
    if (registry == NULL
        || (!opt_foreground
            && !process_daemonize(pid_fd, settings->pid_file, &error))
        || (opt_foreground && pid_fd >= 0
            && !process_write_pid_file(pid_fd, settings->pid_file,
                                       &error))) {
        int status = give_up(&error, settings, &sockets, pid_fd, registry);
        sd_server_settings_free(settings);
        return status;
    }
    server *srv = server_new(path, registry, &sockets, &ids);
    int status = server_run(srv);
    process_remove_pid_file(pid_fd, settings->pid_file);
    if (status < 0)
        _exit(0);   /* requests abandoned by the drain deadline */
    server_free(srv);
    sd_server_settings_free(settings);
    return status;
}

int
main(int argc, char **argv)
{
    GError *error = NULL;
    GOptionContext *context = g_option_context_new(
        "- sasldir's authentication daemon (saslauthd protocol, "
        "socketmap, control socket)");
    g_option_context_add_main_entries(context, entries, NULL);
    bool parsed = g_option_context_parse(context, &argc, &argv, &error);
    g_option_context_free(context);
    if (!parsed || argc > 1) {
        fprintf(stderr, "sasldird: %s\n", parsed ? "unexpected arguments "
                "(see 'sasldird --help')" : error->message);
        g_clear_error(&error);
        return 2;
    }
    if (opt_version) {
        printf("sasldird %s\n", PACKAGE_VERSION);
        return 0;
    }
    /* Replies to clients that left must not kill the daemon. */
    signal(SIGPIPE, SIG_IGN);
    const char *given = opt_config;
    if (given == NULL)
        given = g_getenv("SASLDIR_CONFIG");
    if (given == NULL || *given == '\0')
        given = SD_DEFAULT_CONFIG;
    /* A daemon runs in "/": a reload must still find a relative path. */
    char *path = g_canonicalize_filename(given, NULL);
    int status = opt_test ? check_only(path) : start(path);
    g_free(path);
    g_free(opt_config);
    return status;
}
