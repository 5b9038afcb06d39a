/*
 * control.c - the sasldir tool's side of sasldird's control socket.
 *
 * Offers: control_ask(), which sends one request line to the daemon
 * whose control socket the configuration names ([server]
 * control-socket, read by sd_server_control_socket_of() without opening
 * any directory, so a backend that is down does not keep the tool from
 * the daemon) and prints its answer; and the commands that exist only
 * for a running daemon: reload, status, metrics.
 *
 * Wire format: see daemon/control.h ("REQUEST\n" out; "STATUS\n" and
 * the body back, then the daemon closes).  The status is the tool's
 * exit status.
 *
 * Failure modes: no socket configured, no socket file or nobody
 * listening means "no daemon" (CONTROL_NO_DAEMON), and the cache and
 * pool commands then do their work in this process as before; a socket
 * the kernel or the daemon does not let us use is reported and exits
 * 77, never silently replaced by this process's own (empty) cache; a
 * daemon that answers nothing or garbage within the timeout exits 75.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "sd_server.h"

/* How long the daemon may take to answer (a reload opens every
 * directory anew). */
#define ANSWER_TIMEOUT_S 60
/* The longest answer read (metrics of many directories stay far below). */
#define ANSWER_MAX (16u << 20)
#define REQUEST_MAX 4096
#define EXIT_NOT_ALLOWED 77

/* Connects to PATH; the socket, or -1 with errno. */
static int
connect_to(const char *path)
{
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof address.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(address.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct timeval timeout = { .tv_sec = ANSWER_TIMEOUT_S };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static bool
write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t sent = send(fd, data, len, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0)
            return false;
        data += sent;
        len -= (size_t)sent;
    }
    return true;
}

/* Everything the daemon sends until it closes; NULL with errno. */
static GString *
read_answer(int fd)
{
    GString *answer = g_string_new(NULL);
    char buffer[8192];
    for (;;) {
        ssize_t got = recv(fd, buffer, sizeof buffer, 0);
        if (got < 0 && errno == EINTR)
            continue;
        /* A daemon that refused us closed without reading our request,
         * which the kernel reports as a reset after the answer. */
        if (got == 0 || (got < 0 && errno == ECONNRESET && answer->len > 0))
            return answer;
        if (got < 0 || answer->len + (size_t)got > ANSWER_MAX) {
            int saved = got < 0 ? errno : EMSGSIZE;
            g_string_free(answer, TRUE);
            errno = saved;
            return NULL;
        }
        g_string_append_len(answer, buffer, got);
    }
}

/* "STATUS\nBODY": the status (0 to 255) and the body; false if not. */
static bool
split_answer(const GString *answer, int *status, const char **body)
{
    const char *newline = memchr(answer->str, '\n', answer->len);
    if (newline == NULL || newline == answer->str
        || newline - answer->str > 3)
        return false;
    int value = 0;
    for (const char *c = answer->str; c < newline; c++) {
        if (!g_ascii_isdigit(*c))
            return false;
        value = value * 10 + (*c - '0');
    }
    if (value > 255)
        return false;
    *status = value;
    *body = newline + 1;
    return true;
}

/* May REQUEST's words go over the wire (no spaces inside a word)? */
bool
control_word_ok(const char *word)
{
    return word != NULL && *word != '\0' && strpbrk(word, " \t\r\n") == NULL;
}

int
control_ask(cli_state *cli, const char *request, control_announce announce)
{
    if (strlen(request) >= REQUEST_MAX) {
        complain("request for sasldird longer than %d bytes", REQUEST_MAX);
        return EXIT_USAGE;
    }
    char *path = sd_server_control_socket_of(cli->config_path);
    if (path == NULL)
        return CONTROL_NO_DAEMON;
    int fd = connect_to(path);
    if (fd < 0) {
        int saved = errno;
        int status = CONTROL_NO_DAEMON;
        if (saved == EACCES || saved == EPERM) {
            complain("sasldird's control socket %s: %s (only root, "
                     "sasldird's user and [server] control-group may use "
                     "it)", path, g_strerror(saved));
            status = EXIT_NOT_ALLOWED;
        } else if (saved == ENAMETOOLONG) {
            complain("[server] control-socket %s: the path is too long for "
                     "a UNIX socket", path);
            status = EXIT_USAGE;
        } else if (saved != ENOENT && saved != ECONNREFUSED
                   && saved != ENOTDIR) {
            complain("sasldird's control socket %s: %s", path,
                     g_strerror(saved));
            status = EXIT_TEMPFAIL;
        }
        g_free(path);
        return status;
    }

    char *line = g_strconcat(request, "\n", NULL);
    bool sent = write_all(fd, line, strlen(line));
    g_free(line);
    int saved = errno;
    /* Read even when sending failed: a daemon that refuses a peer
     * answers at once and closes without reading the request. */
    GString *answer = read_answer(fd);
    if (answer != NULL && answer->len == 0 && !sent) {
        /* Nothing came back: the failed send is the news. */
        g_string_free(answer, TRUE);
        answer = NULL;
    } else if (answer == NULL && sent) {
        saved = errno;
    }
    close(fd);
    int status = EXIT_TEMPFAIL;
    const char *body = NULL;
    if (answer == NULL) {
        complain("sasldird at %s: %s", path, g_strerror(saved));
    } else if (!split_answer(answer, &status, &body)) {
        complain("sasldird at %s: %s", path, answer->len == 0
                 ? "closed the connection without an answer"
                 : "answered something that is not a control answer");
        status = EXIT_TEMPFAIL;
    } else {
        if (announce == CONTROL_ANNOUNCE_STDOUT && status == 0)
            printf("from sasldird at %s\n", path);
        else if (announce != CONTROL_ANNOUNCE_NONE)
            fprintf(stderr, "sasldir: from sasldird at %s\n", path);
        /* Answers go to standard output, complaints to standard error. */
        fputs(body, status == 0 ? stdout : stderr);
        fflush(stdout);
    }
    if (answer != NULL)
        g_string_free(answer, TRUE);
    g_free(path);
    return status;
}

/* reload, status, metrics: only a running daemon can answer. */
static int
daemon_only(cli_state *cli, int argc, char **argv, control_announce announce,
            int status_without_daemon)
{
    if (!parse_command_options(command_named(argv[0]), NULL, &argc, &argv,
                               0))
        return EXIT_USAGE;
    int status = control_ask(cli, argv[0], announce);
    if (status != CONTROL_NO_DAEMON)
        return status;
    char *path = sd_server_control_socket_of(cli->config_path);
    if (path != NULL)
        complain("sasldird is not running (no answer at its control socket "
                 "%s)", path);
    else if (g_file_test(cli->config_path, G_FILE_TEST_EXISTS))
        complain("%s: no [server] control-socket, or the file cannot be "
                 "read (see 'sasldir check-config')", cli->config_path);
    else
        complain("%s: no such configuration file", cli->config_path);
    g_free(path);
    return status_without_daemon;
}

int
cmd_reload(cli_state *cli, int argc, char **argv)
{
    return daemon_only(cli, argc, argv, CONTROL_ANNOUNCE_STDOUT,
                       EXIT_TEMPFAIL);
}

int
cmd_status(cli_state *cli, int argc, char **argv)
{
    return daemon_only(cli, argc, argv, CONTROL_ANNOUNCE_STDOUT, EXIT_NO);
}

int
cmd_metrics(cli_state *cli, int argc, char **argv)
{
    /* Pure exposition text, for piping into a scraper's tools. */
    return daemon_only(cli, argc, argv, CONTROL_ANNOUNCE_NONE,
                       EXIT_TEMPFAIL);
}
