/*
 * control.h - the control socket's commands, server side.
 *
 * Wire format (the sasldir tool is the client, tools/control.c): the
 * client sends one line, at most 4096 bytes, "COMMAND [ARG...]\n"
 * (arguments separated by single spaces; names and directories hold no
 * spaces); the daemon answers "STATUS\n" followed by the body and closes
 * the connection.  STATUS is the exit status the tool then exits with:
 * 0 done, 1 not found (no such directory), 2 usage, 75 temporary.
 * Commands:
 *   status                         version, uptime, config file, sockets,
 *                                  clients, queue, workers, reloads
 *   cache stats [DIRECTORY]        as "sasldir cache stats" prints them
 *   cache flush [DIRECTORY [NAME]] entries dropped
 *   pool stats [DIRECTORY]
 *   reload                         re-read the configuration; a bad one
 *                                  is refused (status 2, errors in the
 *                                  body) and the old one kept
 *   metrics                        the Prometheus text exposition
 * Who may connect is checked by the server with control_peer_allowed()
 * before a byte is read.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include <stdbool.h>
#include <sys/types.h>
#include <glib.h>

#include "sd_directory.h"

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

/* SO_PEERCRED: root, the daemon's own uid, or a member of ALLOWED_GROUP
 * (-1 = none) - primary or supplementary, as getgrouplist says.  False
 * with *WHY ("uid 1000 (bob) is not root and not in group 'sasl'"). */
bool control_peer_allowed(int fd, gid_t allowed_group, char **why);

#endif
