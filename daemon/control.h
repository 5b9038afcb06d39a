/*
 * control.h - the control socket's commands, server side.
 *
 * Wire format (the sasldir tool is the client, tools/control.c): the
 * client sends one line, at most CONTROL_LINE_MAX bytes,
 * "COMMAND [ARG...]\n" (words separated by single spaces; names and
 * directories hold no spaces; options, when any, come first as
 * "--NAME" or "--NAME=VALUE"); the daemon answers "STATUS\n" followed by
 * the body and closes the connection.  STATUS is the exit status the
 * tool then exits with: 0 done, 1 not found (no such directory), 2
 * usage (or a refused reload), 75 temporary, 77 not allowed (the peer
 * failed control_peer_allowed; see control_refusal).
 * Commands:
 *   status                         version, uptime, config file, sockets,
 *                                  clients, queue, workers, reloads
 *   cache stats [--json] [DIRECTORY]
 *                                  as "sasldir cache stats" prints them
 *   cache flush [--kind=KIND] [DIRECTORY|* [NAME]]
 *                                  entries dropped ("*": every directory)
 *   pool stats [DIRECTORY]         the daemon's pools (no probe)
 *   reload                         re-read the configuration; a bad one
 *                                  is refused (status 2, errors in the
 *                                  body) and the old one kept
 *   metrics                        the Prometheus text exposition
 * Who may connect is checked by the server with control_peer_allowed()
 * before a byte is read; a refused peer gets control_refusal()'s answer.
 * control_answer() and control_refusal() count the request in the
 * metrics (protocol "control"); the server does not count them again.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include <stdbool.h>
#include <sys/types.h>
#include <glib.h>

#include "sd_directory.h"

#define CONTROL_LINE_MAX 4096
#define CONTROL_STATUS_NOT_ALLOWED 77

typedef struct control_context {
    /* The current registry, with a reference the caller drops. */
    sd_registry *(*registry)(void *self);
    /* Reload; false with *error (its message lists every problem). */
    bool (*reload)(void *self, GError **error);
    /* Append the daemon's status lines. */
    void (*status)(void *self, GString *out);
    void *self;
} control_context;

/* The answer to LINE (without its newline): the body; *STATUS the exit
 * status.  Free it with g_free. */
char *control_answer(const control_context *context, const char *line,
                     int *status);

/* The answer to a peer control_peer_allowed() refused: the body
 * "not allowed: WHY", *STATUS CONTROL_STATUS_NOT_ALLOWED.  Counted as a
 * refusal ("not-allowed").  Free it with g_free. */
char *control_refusal(const char *why, int *status);

/* SO_PEERCRED: root, the daemon's own uid, or a member of ALLOWED_GROUP
 * (-1 = none): the peer's primary group, one of the supplementary groups
 * it connected with (SO_PEERGROUPS), or a group getgrouplist gives its
 * user.  False
 * with *WHY ("uid 1000 (bob) is not root and not in group 'sasl'"). */
bool control_peer_allowed(int fd, gid_t allowed_group, char **why);

#endif
