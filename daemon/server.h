/*
 * server.h - sasldird's event loop: listeners, connections, workers,
 * timeouts, signals and the current configuration.
 *
 * One GLib main loop owns every socket; a request that has arrived whole
 * is handed to a fixed set of [server] workers (workers.h) through a
 * queue bounded by [server] queue, and its reply is written by the main
 * loop, so a slow verification (argon2, a remote directory) never blocks
 * accepting or reading other clients.  What it does block: with every
 * worker busy, uncached requests wait in the queue (no timer runs while
 * they wait); saslauthd credential-cache hits are answered by the main
 * loop, replies the penalty holds back wait on main-loop timers, and
 * control commands have a thread of their own, so none of those waits.
 * Over max-clients or a full queue a client gets a refusal in its
 * protocol and is logged, never left hanging.
 *
 * SIGHUP (and the control socket's reload) loads the configuration anew
 * and swaps it in atomically; requests in flight keep the registry they
 * started with (a reference each).  A configuration that does not load
 * is refused and the old one kept.  Socket paths, modes, user and
 * workers are read at start only.  SIGTERM/SIGINT: stop accepting, close
 * idle clients, let requests in flight finish, exit within 5 s.
 */
#ifndef SERVER_H
#define SERVER_H

#include <stdbool.h>
#include <glib.h>

#include "process.h"
#include "sd_directory.h"

typedef struct server server;

/* The listening sockets, bound before privileges are dropped. */
typedef struct server_sockets {
    int saslauthd;      /* -1: off */
    int socketmap;
    int control;
} server_sockets;

/* Takes REGISTRY's reference and the sockets. */
server *server_new(const char *config_path, sd_registry *registry,
                   const server_sockets *sockets, const process_ids *ids);
/* Runs until SIGTERM/SIGINT; returns the exit status. */
int server_run(server *srv);
void server_free(server *srv);

/* The current registry, with a reference for the caller. */
sd_registry *server_registry(server *srv);
/* Loads the configuration again and swaps it in; false (old one kept)
 * with *ERROR listing every problem. */
bool server_reload(server *srv, GError **error);
/* Appends the "status" lines of the control socket. */
void server_status(server *srv, GString *out);

#endif
