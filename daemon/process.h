/*
 * process.h - what sasldird does to itself as a UNIX process: its
 * listening sockets, dropping privileges, daemonizing, the pid file and
 * where its log lines go.
 *
 * Failures return false with a GError naming the path, user or group
 * concerned; the caller (sasldird's start-up) prints it and exits.
 */
#ifndef PROCESS_H
#define PROCESS_H

#include <stdbool.h>
#include <sys/types.h>
#include <glib.h>

#include "sd_server.h"

/* The uid and gids [server] names, looked up in the passwd and group
 * databases; (uid_t)-1 / (gid_t)-1 for what is unset. */
typedef struct process_ids {
    uid_t user;
    gid_t user_group;       /* [server] group, else the user's own group */
    gid_t socket_group;
    gid_t control_group;
} process_ids;

bool process_lookup_ids(const sd_server_settings *settings, process_ids *ids,
                        GError **error);

/*
 * A listening, non-blocking UNIX stream socket at PATH with MODE, owned
 * by OWNER and GROUP (-1: leave).  A stale socket at PATH is replaced;
 * anything else there (a file, a directory, a socket some process still
 * answers on) is an error.  Returns the descriptor or -1.
 */
int process_listen(const char *path, unsigned mode, uid_t owner, gid_t group,
                   GError **error);

/* Switches to IDS' user and group with that user's supplementary
 * groups; a no-op when no user is configured. */
bool process_drop_privileges(const sd_server_settings *settings,
                             const process_ids *ids, GError **error);

/*
 * The pid file: opened (created, mode 0644, never through a symbolic
 * link) before privileges are dropped, so it may live in a directory
 * only root may write, such as a root-owned /run/sasldir; written
 * through that descriptor later.  Returns the descriptor or -1.
 */
int process_open_pid_file(const char *path, GError **error);
/* Writes this process's number (the foreground case). */
bool process_write_pid_file(int fd, const char *path, GError **error);
/* At exit: removes the file, or, where the daemon's user may not (the
 * directory is not writable to it), empties it so no stale number is
 * left; logged.  Closes FD; a no-op for -1. */
void process_remove_pid_file(int fd, const char *path);

/* Detaches from the terminal: forks; the parent writes the child's
 * number to PID_FD (when >= 0), then waits for the child's
 * process_ready() and exits 0, or 1 when the child stops before it (its
 * error went to the shared standard error or to syslog); so the file is
 * complete, and the daemon up, when the starting command returns.  The
 * child starts a new session and moves to "/". */
bool process_daemonize(int pid_fd, const char *pid_path, GError **error);

/* Start-up is complete: after process_daemonize, standard input, output
 * and error now point at /dev/null and the waiting parent exits 0; a
 * no-op otherwise. */
void process_ready(void);

/* Log lines go to syslog (facility auth) or standard error with a time
 * stamp, at LEVEL and above. */
void process_log_to(bool syslog, int level);

#endif
