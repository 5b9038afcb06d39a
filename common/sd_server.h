/*
 * sd_server.h - the [server] section: where and how sasldird listens.
 *
 * The registry reads [server] (sd_server_settings_read, called from
 * registry_from_cfg) so that "sasldir check-config" validates it and
 * every key it does not know is reported like any other; sasldird uses
 * the values, and the sasldir tool uses control_socket to reach a
 * running daemon.  Errors go to the configuration's error list with
 * FILE:LINE: KEY, as for every other section.
 *
 * Keys (defaults in brackets; documented in sasldir.toml(5)):
 *   saslauthd-socket  ["/run/sasldir/mux"; "" = off]
 *   socketmap-socket  ["/run/sasldir/socketmap"; "" = off]
 *   control-socket    ["/run/sasldir/control"; "" = off]
 *   socket-mode       [0o660] for the saslauthd and socketmap sockets
 *   socket-group      [unset: the daemon's group] group of those sockets
 *   control-group     [unset: root and the daemon's own user only] a
 *                     group whose members may use the control socket
 *                     (checked with SO_PEERCRED; socket mode 0o660)
 *   user, group       [unset: keep] privileges dropped to after binding
 *   pid-file          [unset: none]
 *   workers           [0 = number of online cores] verification threads
 *   max-clients       [1024] connections at once, all sockets together
 *   queue             [4096] requests waiting for a worker
 *   request-timeout   ["10s"] a whole request must arrive within it
 *   idle-timeout      ["60s"] a socketmap/control client may idle so long
 *   max-field         [4096] bytes per saslauthd field (login, password,
 *                     service, realm, client address)
 *   log               ["syslog" | "stderr"]
 *   log-level         ["info"] as sd_log_parse_level
 *   metrics-listen    [unset] "127.0.0.1:PORT" or "[::1]:PORT" for HTTP
 *   socketmap-directory [unset: the default directory]
 *   [server.realm-directory]  REALM = "DIRECTORY": a saslauthd request
 *                     whose realm is REALM authenticates the bare login
 *                     against DIRECTORY
 *   [server.penalty]  enable [true], threshold [3] failures before any
 *                     delay, initial ["1s"], max-delay ["15s"],
 *                     forget ["15m"] since the last failure
 */
#ifndef SD_SERVER_H
#define SD_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct sd_penalty_settings {
    bool enable;
    unsigned threshold;
    int64_t initial_ms;
    int64_t max_delay_ms;
    int64_t forget_ms;
} sd_penalty_settings;

typedef struct sd_server_settings {
    char *saslauthd_socket;     /* NULL = off */
    char *socketmap_socket;     /* NULL = off */
    char *control_socket;       /* NULL = off */
    unsigned socket_mode;
    char *socket_group;         /* NULL = unset */
    char *control_group;        /* NULL = unset */
    char *user;                 /* NULL = unset */
    char *group;                /* NULL = unset */
    char *pid_file;             /* NULL = none */
    unsigned workers;           /* 0 = online cores */
    unsigned max_clients;
    unsigned queue;
    int64_t request_timeout_ms;
    int64_t idle_timeout_ms;
    unsigned max_field;
    bool log_syslog;            /* false: stderr */
    int log_level;              /* an sd_log_level */
    char *metrics_listen;       /* NULL = off */
    char *socketmap_directory;  /* NULL = default directory */
    GHashTable *realm_directory;/* lowercased realm -> directory name */
    sd_penalty_settings penalty;
} sd_server_settings;

typedef struct sd_registry sd_registry;

/* The registry's [server] settings (defaults when the section is absent);
 * valid as long as the registry is. */
const sd_server_settings *sd_registry_server_settings(
    const sd_registry *registry);

/* The control socket of PATH's configuration without opening any
 * directory: for the sasldir tool, which must reach the daemon even when
 * a directory backend is down.  NULL when off or unreadable (free it). */
char *sd_server_control_socket_of(const char *config_path);

/* For the registry (registry_from_cfg) and tests: the defaults, and
 * [server] of ROOT read with its errors recorded in ROOT's
 * configuration; directory names are checked against REGISTRY, whose
 * directories must be open already (NULL: names are not checked). */
struct sd_cfg_table;
sd_server_settings *sd_server_settings_new(void);
sd_server_settings *sd_server_settings_read(struct sd_cfg_table *root,
                                            sd_registry *registry);
void sd_server_settings_free(sd_server_settings *settings);

G_END_DECLS

#endif
