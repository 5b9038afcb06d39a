/*
 * process.c - sockets, privileges, daemonizing, pid file and log sink of
 * sasldird (see process.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "process.h"
#include "sd_log.h"

static bool
lookup_group(const char *key, const char *name, gid_t *gid, GError **error)
{
    *gid = (gid_t)-1;
    if (name == NULL)
        return true;
    errno = 0;
    struct group *entry = getgrnam(name);
    if (entry == NULL) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "[server] %s: there is no group '%s'%s%s", key, name,
                    errno != 0 ? ": " : "", errno != 0 ? g_strerror(errno)
                                                       : "");
        return false;
    }
    *gid = entry->gr_gid;
    return true;
}

bool
process_lookup_ids(const sd_server_settings *settings, process_ids *ids,
                   GError **error)
{
    ids->user = (uid_t)-1;
    if (!lookup_group("group", settings->group, &ids->user_group, error)
        || !lookup_group("socket-group", settings->socket_group,
                         &ids->socket_group, error)
        || !lookup_group("control-group", settings->control_group,
                         &ids->control_group, error))
        return false;
    if (settings->user == NULL)
        return true;
    errno = 0;
    struct passwd *entry = getpwnam(settings->user);
    if (entry == NULL) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "[server] user: there is no user '%s'", settings->user);
        return false;
    }
    ids->user = entry->pw_uid;
    if (ids->user_group == (gid_t)-1)
        ids->user_group = entry->pw_gid;
    return true;
}

/* Is something answering on the socket at PATH? */
static bool
socket_in_use(const struct sockaddr_un *address)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool in_use = connect(fd, (const struct sockaddr *)address,
                          sizeof *address) == 0;
    close(fd);
    return in_use;
}

/* Removes a stale socket at PATH; anything else there is an error. */
static bool
clear_path(const char *path, const struct sockaddr_un *address,
           GError **error)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return true;
    if (!S_ISSOCK(st.st_mode)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                    "%s exists and is not a socket", path);
        return false;
    }
    if (socket_in_use(address)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                    "%s: another process answers on this socket (is "
                    "sasldird running already?)", path);
        return false;
    }
    if (unlink(path) != 0) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "%s: cannot remove the stale socket: %s", path,
                    g_strerror(saved));
        return false;
    }
    return true;
}

static int
fail_errno(GError **error, int fd, const char *path, const char *what)
{
    int saved = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                "%s: %s: %s", path, what, g_strerror(saved));
    if (fd >= 0)
        close(fd);
    return -1;
}

int
process_listen(const char *path, unsigned mode, uid_t owner, gid_t group,
               GError **error)
{
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof address.sun_path) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
                    "%s: a socket path may have at most %zu bytes", path,
                    sizeof address.sun_path - 1);
        return -1;
    }
    memcpy(address.sun_path, path, strlen(path) + 1);
    if (!clear_path(path, &address, error))
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail_errno(error, -1, path, "socket");
    /* Created with no access; the mode is set once the owner is. */
    mode_t old_mask = umask(0777);
    int bound = bind(fd, (struct sockaddr *)&address, sizeof address);
    umask(old_mask);
    if (bound != 0)
        return fail_errno(error, fd, path, "bind");
    if ((owner != (uid_t)-1 || group != (gid_t)-1)
        && chown(path, owner, group) != 0)
        return fail_errno(error, fd, path, "chown");
    if (chmod(path, mode) != 0)
        return fail_errno(error, fd, path, "chmod");
    if (listen(fd, SOMAXCONN) != 0)
        return fail_errno(error, fd, path, "listen");
    return fd;
}

bool
process_drop_privileges(const sd_server_settings *settings,
                        const process_ids *ids, GError **error)
{
    if (ids->user == (uid_t)-1)
        return true;
    if (initgroups(settings->user, ids->user_group) != 0
        || setgid(ids->user_group) != 0 || setuid(ids->user) != 0) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "[server] user: cannot become user '%s': %s",
                    settings->user, g_strerror(saved));
        return false;
    }
    /* Make sure there is no way back. */
    if (ids->user != 0 && setuid(0) == 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                    "[server] user: still able to become root after "
                    "switching to '%s'", settings->user);
        return false;
    }
    return true;
}

int
process_open_pid_file(const char *path, GError **error)
{
    /* Not through a symbolic link: root must not be led to truncate
     * some other file. */
    int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "[server] pid-file %s: cannot create: %s", path,
                    g_strerror(saved));
    }
    return fd;
}

static bool
write_pid(int fd, const char *path, pid_t pid, GError **error)
{
    char text[32];
    int len = g_snprintf(text, sizeof text, "%ld\n", (long)pid);
    if (ftruncate(fd, 0) != 0
        || pwrite(fd, text, (size_t)len, 0) != (ssize_t)len) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "[server] pid-file %s: cannot write: %s", path,
                    g_strerror(saved));
        return false;
    }
    return true;
}

bool
process_write_pid_file(int fd, const char *path, GError **error)
{
    return write_pid(fd, path, getpid(), error);
}

void
process_remove_pid_file(int fd, const char *path)
{
    if (fd < 0)
        return;
    if (unlink(path) != 0) {
        int saved = errno;
        /* A directory the daemon's user may not write (root's
         * /run/sasldir): no stale number is left behind at least. */
        bool emptied = ftruncate(fd, 0) == 0;
        sd_log(saved == ENOENT ? SD_LOG_DEBUG : SD_LOG_NOTICE,
               "[server] pid-file %s: not removed (%s); %s", path,
               g_strerror(saved), emptied ? "emptied instead"
                                          : "left as it is");
    }
    close(fd);
}

/* Standard input, output and error to /dev/null. */
static bool
detach_stdio(void)
{
    int null = open("/dev/null", O_RDWR);
    if (null < 0)
        return false;
    bool ok = dup2(null, STDIN_FILENO) >= 0 && dup2(null, STDOUT_FILENO) >= 0
              && dup2(null, STDERR_FILENO) >= 0;
    if (null > STDERR_FILENO)
        close(null);
    return ok;
}

/* The write end of the pipe the detaching parent waits on; -1 once the
 * daemon is ready, or when it never detached. */
static int startup_fd = -1;

/* The parent's side: waits until CHILD reports ready (one byte) or
 * closes the pipe without it (its start-up failed and it exited; its
 * reason is on standard error, which it still shares, or in syslog);
 * never returns. */
static void G_GNUC_NORETURN
await_child(pid_t child, int ready_fd, int pid_fd, const char *pid_path)
{
    char byte;
    ssize_t got;
    do {
        got = read(ready_fd, &byte, 1);
    } while (got < 0 && errno == EINTR);
    if (got == 1)
        _exit(0);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "sasldird: the daemon (pid %ld) was killed by "
                "signal %d while starting\n", (long)child, WTERMSIG(status));
        /* It could not clean up after itself. */
        process_remove_pid_file(pid_fd, pid_path);
    } else {
        fprintf(stderr, "sasldird: the daemon (pid %ld) stopped while "
                "starting, exit status %d (its log says why)\n",
                (long)child, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    _exit(1);
}

bool
process_daemonize(int pid_fd, const char *pid_path, GError **error)
{
    /* Not daemon(3): its parent exits at once, and the pid file must
     * hold the child's number before the starting process exits, since
     * that is when a supervisor (systemd's PIDFile=, start-stop-daemon)
     * reads it.  The parent also waits for process_ready(), so that a
     * start-up step that can only run in the child (threads, the
     * metrics listener) and fails makes the command fail too, rather
     * than an init script reporting a daemon that is gone. */
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "cannot become a daemon: pipe: %s", g_strerror(saved));
        return false;
    }
    pid_t child = fork();
    if (child < 0) {
        int saved = errno;
        close(ready[0]);
        close(ready[1]);
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "cannot become a daemon: fork: %s", g_strerror(saved));
        return false;
    }
    if (child > 0) {
        close(ready[1]);
        GError *failure = NULL;
        if (pid_fd >= 0 && !write_pid(pid_fd, pid_path, child, &failure)) {
            fprintf(stderr, "sasldird: %s\n", failure->message);
            kill(child, SIGKILL);
            _exit(1);
        }
        await_child(child, ready[0], pid_fd, pid_path);
    }
    close(ready[0]);
    startup_fd = ready[1];
    /* Standard streams stay until process_ready(): an error before it
     * still reaches whoever started sasldird. */
    if (setsid() < 0 || chdir("/") != 0) {
        int saved = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                    "cannot become a daemon: %s", g_strerror(saved));
        return false;
    }
    return true;
}

void
process_ready(void)
{
    if (startup_fd < 0)
        return;
    if (!detach_stdio())
        sd_log(SD_LOG_WARNING, "cannot point standard streams at "
               "/dev/null: %s", g_strerror(errno));
    ssize_t wrote;
    do {
        wrote = write(startup_fd, "", 1);
    } while (wrote < 0 && errno == EINTR);
    close(startup_fd);
    startup_fd = -1;
}

static void
log_stderr(sd_log_level level, const char *message, void *user_data)
{
    (void)user_data;
    GDateTime *now = g_date_time_new_now_utc();
    char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%fZ");
    fprintf(stderr, "%s sasldird[%ld]: %s: %s\n", stamp, (long)getpid(),
            sd_log_level_name(level), message);
    g_free(stamp);
    g_date_time_unref(now);
}

static void
log_syslog(sd_log_level level, const char *message, void *user_data)
{
    (void)user_data;
    static const int priorities[] = {
        [SD_LOG_ERROR] = LOG_ERR, [SD_LOG_WARNING] = LOG_WARNING,
        [SD_LOG_NOTICE] = LOG_NOTICE, [SD_LOG_INFO] = LOG_INFO,
        [SD_LOG_DEBUG] = LOG_DEBUG,
    };
    int priority = (unsigned)level <= SD_LOG_DEBUG ? priorities[level]
                                                   : LOG_INFO;
    syslog(priority, "%s", message);
}

void
process_log_to(bool use_syslog, int level)
{
    if (use_syslog) {
        openlog("sasldird", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
        sd_log_set_sink(log_syslog, NULL);
    } else {
        sd_log_set_sink(log_stderr, NULL);
    }
    sd_log_set_level((sd_log_level)level);
}
