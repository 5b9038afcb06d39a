/*
 * server.c - sasldird's event loop (see server.h).
 *
 * A connection lives in the main thread only.  Its states: READING (a
 * watch on its descriptor and a timer), WORKING (the request is with a
 * worker, or its reply is held back by the failed-login penalty; no
 * watch), WRITING (the reply is being sent).  A worker gets a job
 * holding copies of the request and a registry reference, and hands the
 * finished job back to the main loop with g_main_context_invoke, which
 * writes the reply.  A saslauthd connection carries one request; a
 * socketmap connection any number, one after the other, idling up to
 * idle-timeout between them; a control connection one command.
 * Control commands run on a thread of their own, so an administrator
 * can still flush a cache while every worker waits on a slow directory.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib-unix.h>

#include "control.h"
#include "metrics.h"
#include "netstring.h"
#include "penalty.h"
#include "saslauthd.h"
#include "saslauthd_frame.h"
#include "sd_log.h"
#include "sd_secret.h"
#include "sd_server.h"
#include "workers.h"
#include "server.h"
#include "socketmap.h"

/* Drain deadline after SIGTERM: the 5 s, with room to exit. */
#define DRAIN_MS 4500
/* Bytes read at once from a client. */
#define READ_CHUNK 4096
/* The longest socketmap request: "NAME KEY" with a key far beyond any
 * address (socketmap_answer refuses long keys with PERM itself). */
#define SOCKETMAP_REQUEST_MAX 10000
/* Names and addresses the penalty table remembers at most. */
#define PENALTY_CAPACITY 65536

typedef enum protocol { PROTO_SASLAUTHD, PROTO_SOCKETMAP,
                        PROTO_CONTROL } protocol;
static const char *const protocol_names[] = { "saslauthd", "socketmap",
                                              "control" };

typedef enum conn_state { CONN_READING, CONN_WORKING,
                          CONN_WRITING } conn_state;

typedef struct listener {
    server *srv;
    protocol proto;
    int fd;
    guint source;
} listener;

typedef struct job job;

typedef struct conn {
    server *srv;
    int fd;
    protocol proto;
    conn_state state;
    char *peer;                 /* "pid=12 uid=34", for log lines */
    saslauthd_parser *saslauthd;
    netstring_parser *netstring;
    GString *line;              /* a control command as it arrives */
    GByteArray *pending;        /* socketmap bytes after a request */
    size_t request_bytes;       /* of the request being read */
    guint io;
    guint timer;
    job *held;                  /* a reply the penalty holds back */
    bool broken_framing;        /* close after this reply */
    GString *out;
    gsize written;
    gint64 started_us;          /* of the request being served */
} conn;

static const char *conn_peer(conn *c);

/* Would a line at LEVEL be logged?  Asked before the lines logged per
 * request, which name the client: finding it out costs a system call. */
static bool
logs_at(sd_log_level level)
{
    return (gint)level <= (gint)sd_log_get_level();
}

struct job {
    conn *c;
    protocol proto;
    sd_registry *registry;
    char *fields[SASLAUTHD_FIELDS];     /* saslauthd */
    char *request;                      /* socketmap payload, control line */
    size_t request_len;
    saslauthd_outcome outcome;          /* saslauthd */
    char *reply;                        /* socketmap, control */
    int control_status;
    sd_result result;
    guint penalty_timer;
};

struct server {
    char *config_path;
    GMutex lock;                /* guards registry */
    sd_registry *registry;
    const sd_server_settings *settings;     /* of the start registry */
    sd_registry *start_registry;
    process_ids ids;
    GMainLoop *loop;
    workers *workers;
    workers *control_worker;
    unsigned worker_count;
    penalty *penalty;           /* NULL: off */
    listener listeners[3];
    GHashTable *conns;          /* conn* set */
    gint clients;               /* atomic: read by the status command */
    gint reloads;               /* atomic */
    gint64 started_real;
    bool draining;
    guint drain_timer;
    guint signals[3];
    gint64 refused_logged_us;
    unsigned refused_unlogged;
};

static void conn_close(conn *c);
static void conn_read_next(conn *c);

/* ------------------------------------------------------------------ */
/* The registry                                                        */
/* ------------------------------------------------------------------ */

sd_registry *
server_registry(server *srv)
{
    g_mutex_lock(&srv->lock);
    sd_registry *registry = sd_registry_ref(srv->registry);
    g_mutex_unlock(&srv->lock);
    return registry;
}

/* Settings that only a restart applies: say so rather than pretend. */
static void
note_restart_only(const sd_server_settings *old,
                  const sd_server_settings *new)
{
    if (g_strcmp0(old->saslauthd_socket, new->saslauthd_socket) != 0
        || g_strcmp0(old->socketmap_socket, new->socketmap_socket) != 0
        || g_strcmp0(old->control_socket, new->control_socket) != 0
        || old->socket_mode != new->socket_mode
        || g_strcmp0(old->socket_group, new->socket_group) != 0
        || g_strcmp0(old->control_group, new->control_group) != 0
        || g_strcmp0(old->user, new->user) != 0
        || g_strcmp0(old->group, new->group) != 0
        || old->workers != new->workers || old->queue != new->queue
        || old->max_clients != new->max_clients
        || old->max_field != new->max_field
        || old->request_timeout_ms != new->request_timeout_ms
        || old->idle_timeout_ms != new->idle_timeout_ms
        || g_strcmp0(old->metrics_listen, new->metrics_listen) != 0
        || memcmp(&old->penalty, &new->penalty, sizeof old->penalty) != 0)
        sd_log(SD_LOG_NOTICE, "reload: changes to [server] other than "
               "log-level, realm-directory and socketmap-directory take "
               "effect at the next restart");
}

bool
server_reload(server *srv, GError **error)
{
    sd_registry *fresh = sd_registry_load(srv->config_path, error);
    if (fresh == NULL)
        return false;
    note_restart_only(srv->settings, sd_registry_server_settings(fresh));
    sd_log_set_level((sd_log_level)
                     sd_registry_server_settings(fresh)->log_level);
    g_mutex_lock(&srv->lock);
    sd_registry *old = srv->registry;
    srv->registry = fresh;
    g_mutex_unlock(&srv->lock);
    g_atomic_int_inc(&srv->reloads);
    sd_registry_unref(old);
    return true;
}

/* ------------------------------------------------------------------ */
/* Writing replies                                                     */
/* ------------------------------------------------------------------ */

/* Sends what is left of the reply; true when all of it is gone or the
 * connection is beyond help (then *BROKEN). */
static bool
conn_flush(conn *c, bool *broken)
{
    *broken = false;
    while (c->written < c->out->len) {
        ssize_t n = send(c->fd, c->out->str + c->written,
                         c->out->len - c->written,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c->written += (gsize)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return false;
        } else {
            sd_log(SD_LOG_INFO, "%s client %s: reply not delivered: %s",
                   protocol_names[c->proto], conn_peer(c),
                   n < 0 ? g_strerror(errno) : "connection closed");
            *broken = true;
            return true;
        }
    }
    return true;
}

/* The reply is out: a socketmap client may send another request. */
static void
conn_reply_sent(conn *c, bool broken)
{
    if (c->proto == PROTO_SOCKETMAP && !broken && !c->broken_framing
        && !c->srv->draining)
        conn_read_next(c);
    else
        conn_close(c);
}

static gboolean
on_writable(gint fd, GIOCondition condition, gpointer data)
{
    (void)fd;
    (void)condition;
    conn *c = data;
    bool broken;
    if (!conn_flush(c, &broken))
        return G_SOURCE_CONTINUE;
    c->io = 0;
    if (c->timer != 0)
        g_source_remove(c->timer);
    c->timer = 0;
    conn_reply_sent(c, broken);
    return G_SOURCE_REMOVE;
}

static gboolean
on_write_timeout(gpointer data)
{
    conn *c = data;
    c->timer = 0;
    sd_log(SD_LOG_NOTICE, "%s client %s: reply not read within the request "
           "timeout; connection dropped", protocol_names[c->proto],
           conn_peer(c));
    metrics_count_refused("timeout");
    conn_close(c);
    return G_SOURCE_REMOVE;
}

static void
conn_stop_reading(conn *c)
{
    if (c->io != 0)
        g_source_remove(c->io);
    if (c->timer != 0)
        g_source_remove(c->timer);
    c->io = c->timer = 0;
}

/* Sends C->out; then the connection closes or reads the next request. */
static void
conn_send(conn *c)
{
    c->state = CONN_WRITING;
    c->written = 0;
    conn_stop_reading(c);
    bool broken;
    if (conn_flush(c, &broken)) {
        conn_reply_sent(c, broken);
        return;
    }
    c->io = g_unix_fd_add(c->fd, G_IO_OUT, on_writable, c);
    c->timer = g_timeout_add((guint)c->srv->settings->request_timeout_ms,
                             on_write_timeout, c);
}

/* TEXT in the connection's protocol: a saslauthd reply, a netstring, or
 * a control answer (status line and body). */
static void
conn_reply(conn *c, const char *text, int control_status)
{
    g_string_truncate(c->out, 0);
    switch (c->proto) {
    case PROTO_SASLAUTHD:
        saslauthd_reply_encode(c->out, text);
        break;
    case PROTO_SOCKETMAP:
        netstring_encode(c->out, text, strlen(text));
        break;
    case PROTO_CONTROL:
        g_string_printf(c->out, "%d\n%s", control_status, text);
        if (c->out->len > 0 && c->out->str[c->out->len - 1] != '\n')
            g_string_append_c(c->out, '\n');
        break;
    }
    conn_send(c);
}

/* ------------------------------------------------------------------ */
/* Workers                                                             */
/* ------------------------------------------------------------------ */

static void
job_free(job *j)
{
    for (unsigned i = 0; i < SASLAUTHD_FIELDS; i++)
        sd_secret_free(j->fields[i]);
    g_free(j->request);
    g_free(j->reply);
    saslauthd_outcome_clear(&j->outcome);
    sd_registry_unref(j->registry);
    g_free(j);
}

/* The saslauthd reply, logged; after the penalty's delay if any. */
static void
saslauthd_send(job *j)
{
    conn *c = j->c;
    gint64 elapsed = g_get_monotonic_time() - c->started_us;
    sd_log_level level = j->result == SD_TEMPFAIL ? SD_LOG_WARNING
                         : j->result == SD_ERROR ? SD_LOG_ERROR
                         : SD_LOG_INFO;
    if (logs_at(level))
        sd_log(level, "%s %s (%.1f ms)%s%s", j->outcome.log, conn_peer(c),
               elapsed / 1000.0, j->outcome.detail != NULL ? ": " : "",
               j->outcome.detail != NULL ? j->outcome.detail : "");
    c->held = NULL;
    conn_reply(c, j->outcome.reply, 0);
    job_free(j);
}

static gboolean
on_penalty_done(gpointer data)
{
    job *j = data;
    j->penalty_timer = 0;
    saslauthd_send(j);
    return G_SOURCE_REMOVE;
}

/* Failures recorded, and the reply held back when the name or address
 * has failed too often; success or not, so the delay tells nothing. */
static void
saslauthd_done(job *j)
{
    server *srv = j->c->srv;
    metrics_count_auth(j->outcome.directory != NULL ? j->outcome.directory
                                                    : "(none)",
                       j->result, g_get_monotonic_time() - j->c->started_us);
    int64_t delay = 0;
    if (srv->penalty != NULL) {
        const char *name = j->fields[SASLAUTHD_LOGIN];
        const char *address = j->fields[SASLAUTHD_CLIENT_ADDR];
        int64_t now = g_get_monotonic_time() / 1000;
        delay = penalty_delay_ms(srv->penalty, name, address, now);
        /* Only definite answers count: an outage is nobody's fault. */
        if (j->result == SD_OK || j->result == SD_MISMATCH
            || j->result == SD_NOTFOUND)
            penalty_record(srv->penalty, name, address, j->result == SD_OK,
                           now);
    }
    if (delay > 0 && !srv->draining) {
        metrics_count_penalty();
        sd_log(SD_LOG_INFO, "saslauthd client %s: reply held back %lld ms "
               "after repeated failures", conn_peer(j->c), (long long)delay);
        j->c->held = j;
        j->penalty_timer = g_timeout_add((guint)delay, on_penalty_done, j);
        return;
    }
    saslauthd_send(j);
}

/* Back in the main thread. */
static gboolean
job_done(gpointer data)
{
    job *j = data;
    conn *c = j->c;
    switch (j->proto) {
    case PROTO_SASLAUTHD:
        saslauthd_done(j);
        return G_SOURCE_REMOVE;
    case PROTO_SOCKETMAP: {
        metrics_count_request("socketmap", j->result);
        sd_log_level level = j->result == SD_TEMPFAIL ? SD_LOG_WARNING
                                                      : SD_LOG_DEBUG;
        if (logs_at(level))
            sd_log(level, "socketmap client %s: %.*s -> %s", conn_peer(c),
                   (int)MIN(j->request_len, 200), j->request, j->reply);
        break;
    }
    case PROTO_CONTROL:
        sd_log(SD_LOG_INFO, "control client %s: %s -> status %d",
               conn_peer(c), j->request, j->control_status);
        break;
    }
    conn_reply(c, j->reply, j->control_status);
    job_free(j);
    return G_SOURCE_REMOVE;
}

/* A copy of TEXT with control characters as '?', for the log. */
static void
make_printable(char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
            text[i] = '?';
}

static sd_directory *
socketmap_directory(sd_registry *registry)
{
    const sd_server_settings *settings = sd_registry_server_settings(registry);
    if (settings->socketmap_directory != NULL) {
        sd_directory *directory = sd_registry_get(
            registry, settings->socketmap_directory);
        if (directory != NULL)
            return directory;
    }
    return sd_registry_default(registry);
}

/* The server's functions with the void * the callers hand over. */
static sd_registry *
registry_of(void *self)
{
    return server_registry(self);
}

static bool
reload_of(void *self, GError **error)
{
    return server_reload(self, error);
}

static void
status_of(void *self, GString *out)
{
    server_status(self, out);
}

static void
worker(gpointer data, gpointer user_data)
{
    job *j = data;
    server *srv = user_data;
    if (j->proto == PROTO_SASLAUTHD) {
        saslauthd_answer(j->registry, (const char *const *)j->fields,
                         &j->outcome);
        j->result = j->outcome.result;
        /* The password is not needed any more: wipe it now. */
        sd_secret_free(j->fields[SASLAUTHD_PASSWORD]);
        j->fields[SASLAUTHD_PASSWORD] = NULL;
    } else if (j->proto == PROTO_SOCKETMAP) {
        j->reply = socketmap_answer(socketmap_directory(j->registry),
                                    j->request, j->request_len, &j->result);
        make_printable(j->request, j->request_len);
    } else {
        control_context context = {
            .registry = registry_of, .reload = reload_of,
            .status = status_of, .self = srv,
        };
        j->reply = control_answer(&context, j->request, &j->control_status);
    }
    g_main_context_invoke(NULL, job_done, j);
}

/* ------------------------------------------------------------------ */
/* Reading requests                                                    */
/* ------------------------------------------------------------------ */

static job *
job_new(conn *c)
{
    job *j = g_new0(job, 1);
    j->c = c;
    j->proto = c->proto;
    j->registry = server_registry(c->srv);
    return j;
}

/* Hands J to POOL unless too many wait already (then a refusal). */
static void
dispatch(conn *c, job *j, workers *pool)
{
    server *srv = c->srv;
    conn_stop_reading(c);
    c->state = CONN_WORKING;
    if (workers_waiting(pool) >= srv->settings->queue) {
        sd_log(SD_LOG_WARNING, "%s client %s refused: %u requests wait for "
               "a worker ([server] queue)", protocol_names[c->proto],
               conn_peer(c), srv->settings->queue);
        metrics_count_refused("queue-full");
        job_free(j);
        conn_reply(c, c->proto == PROTO_SASLAUTHD
                          ? "NO temporary failure: server busy"
                          : c->proto == PROTO_SOCKETMAP
                          ? "TEMP server busy" : "server busy",
                   75);
        return;
    }
    workers_push(pool, j);
}

static void
dispatch_saslauthd(conn *c)
{
    job *j = job_new(c);
    for (unsigned i = 0; i < SASLAUTHD_FIELDS; i++)
        j->fields[i] = g_strdup(saslauthd_parser_field(c->saslauthd, i));
    /* The parser's copy of the password goes now. */
    saslauthd_parser_free(c->saslauthd);
    c->saslauthd = NULL;
    /* A cache hit costs a keyed hash: answered here, it spares two
     * thread hand-offs, half of what a request costs otherwise. */
    if (saslauthd_answer_cached(j->registry, (const char *const *)j->fields,
                                &j->outcome)) {
        conn_stop_reading(c);
        c->state = CONN_WORKING;
        j->result = j->outcome.result;
        sd_secret_free(j->fields[SASLAUTHD_PASSWORD]);
        j->fields[SASLAUTHD_PASSWORD] = NULL;
        saslauthd_done(j);
        return;
    }
    dispatch(c, j, c->srv->workers);
}

static void
dispatch_socketmap(conn *c)
{
    job *j = job_new(c);
    size_t len;
    const char *payload = netstring_parser_payload(c->netstring, &len);
    j->request = g_memdup2(payload, len + 1);
    j->request_len = len;
    dispatch(c, j, c->srv->workers);
}

static void
dispatch_control(conn *c)
{
    job *j = job_new(c);
    j->request = g_strdup(c->line->str);
    j->request_len = c->line->len;
    dispatch(c, j, c->srv->control_worker);
}

/* A request that cannot be parsed: logged, answered, closed. */
static void
bad_request(conn *c, const char *why)
{
    sd_log(SD_LOG_WARNING, "%s client %s: bad request dropped: %s",
           protocol_names[c->proto], conn_peer(c), why);
    metrics_count_refused("bad-frame");
    conn_stop_reading(c);
    if (c->proto == PROTO_SOCKETMAP)
        g_byte_array_set_size(c->pending, 0);
    /* A socketmap client whose framing broke cannot go on. */
    c->broken_framing = true;
    conn_reply(c, c->proto == PROTO_SASLAUTHD ? "NO bad request"
                  : c->proto == PROTO_SOCKETMAP ? "PERM bad request"
                  : "bad request", 2);
}

static bool
feed_saslauthd(conn *c, const uint8_t *bytes, size_t len)
{
    size_t consumed = 0;
    const char *why = NULL;
    frame_status status = saslauthd_parser_feed(c->saslauthd, bytes, len,
                                                &consumed, &why);
    if (status == FRAME_DONE && consumed < len) {
        status = FRAME_ERROR;
        why = "bytes after the last field";
    }
    if (status == FRAME_ERROR) {
        bad_request(c, why);
        return false;
    }
    if (status == FRAME_DONE) {
        dispatch_saslauthd(c);
        return false;
    }
    return true;
}

/* Bytes after a complete request wait in C->pending for the next. */
static bool
feed_socketmap(conn *c, const uint8_t *bytes, size_t len)
{
    size_t consumed = 0;
    const char *why = NULL;
    frame_status status = netstring_parser_feed(c->netstring, bytes, len,
                                                &consumed, &why);
    if (status == FRAME_ERROR) {
        bad_request(c, why);
        return false;
    }
    if (status == FRAME_DONE) {
        g_byte_array_append(c->pending, bytes + consumed,
                            (guint)(len - consumed));
        dispatch_socketmap(c);
        return false;
    }
    return true;
}

static bool
feed_control(conn *c, const uint8_t *bytes, size_t len)
{
    const uint8_t *newline = memchr(bytes, '\n', len);
    size_t take = newline != NULL ? (size_t)(newline - bytes) : len;
    if (c->line->len + take > CONTROL_LINE_MAX
        || memchr(bytes, '\0', take) != NULL) {
        bad_request(c, "a command line longer than 4096 bytes or "
                    "holding a NUL byte");
        return false;
    }
    g_string_append_len(c->line, (const char *)bytes, (gssize)take);
    if (newline == NULL)
        return true;
    dispatch_control(c);
    return false;
}

static gboolean on_request_timeout(gpointer data);

/*
 * Reads what C's socket holds, without waiting, and feeds it to C's
 * parser.  True while C waits for more of its request; false when the
 * read settled it (a whole request dispatched, a bad one answered, the
 * client gone), its reading watch and timer removed.
 */
static bool
conn_receive(conn *c)
{
    uint8_t buffer[READ_CHUNK];
    ssize_t n = recv(c->fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return true;
    if (n <= 0) {
        /* A socketmap client leaving between requests is normal. */
        bool between = c->proto == PROTO_SOCKETMAP && c->request_bytes == 0;
        sd_log(between ? SD_LOG_DEBUG : SD_LOG_INFO,
               "%s client %s: %s%s", protocol_names[c->proto], conn_peer(c),
               n == 0 ? "connection closed" : g_strerror(errno),
               between ? "" : " before a whole request");
        conn_close(c);
        return false;
    }
    if (c->request_bytes == 0 && c->proto == PROTO_SOCKETMAP) {
        /* The idle timer gives way to the request timer. */
        if (c->timer != 0)
            g_source_remove(c->timer);
        c->started_us = g_get_monotonic_time();
        c->timer = g_timeout_add((guint)c->srv->settings->request_timeout_ms,
                                 on_request_timeout, c);
    }
    c->request_bytes += (size_t)n;
    bool more = c->proto == PROTO_SASLAUTHD
        ? feed_saslauthd(c, buffer, (size_t)n)
        : c->proto == PROTO_SOCKETMAP ? feed_socketmap(c, buffer, (size_t)n)
        : feed_control(c, buffer, (size_t)n);
    sd_memwipe(buffer, (size_t)n);
    return more;
}

static gboolean
on_readable(gint fd, GIOCondition condition, gpointer data)
{
    (void)fd;
    (void)condition;
    /* When it returns false the watch is gone already. */
    return conn_receive(data) ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
on_request_timeout(gpointer data)
{
    conn *c = data;
    c->timer = 0;
    bool idle = c->proto == PROTO_SOCKETMAP && c->request_bytes == 0;
    if (idle)
        sd_log(SD_LOG_DEBUG, "socketmap client %s: idle for %.1f s; "
               "connection closed", conn_peer(c),
               c->srv->settings->idle_timeout_ms / 1000.0);
    else
        sd_log(SD_LOG_NOTICE, "%s client %s: no whole request within "
               "%.1f s; connection dropped", protocol_names[c->proto],
               conn_peer(c), c->srv->settings->request_timeout_ms / 1000.0);
    if (!idle)
        metrics_count_refused("timeout");
    conn_close(c);
    return G_SOURCE_REMOVE;
}

/* A socketmap connection after a reply: bytes already received first. */
static void
conn_read_next(conn *c)
{
    server *srv = c->srv;
    c->state = CONN_READING;
    c->request_bytes = 0;
    netstring_parser_reset(c->netstring);
    c->timer = g_timeout_add((guint)srv->settings->idle_timeout_ms,
                             on_request_timeout, c);
    if (c->pending->len > 0) {
        GByteArray *bytes = c->pending;
        c->pending = g_byte_array_new();
        c->started_us = g_get_monotonic_time();
        c->request_bytes = bytes->len;
        bool more = feed_socketmap(c, bytes->data, bytes->len);
        g_byte_array_unref(bytes);
        if (!more)
            return;
        /* Half a request was waiting: the request timer applies. */
        g_source_remove(c->timer);
        c->timer = g_timeout_add((guint)srv->settings->request_timeout_ms,
                                 on_request_timeout, c);
    }
    c->io = g_unix_fd_add(c->fd, G_IO_IN, on_readable, c);
}

/* ------------------------------------------------------------------ */
/* Connections                                                         */
/* ------------------------------------------------------------------ */

static char *
peer_of(int fd)
{
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return g_strdup("(unknown peer)");
    return g_strdup_printf("pid=%ld uid=%ld", (long)cred.pid,
                           (long)cred.uid);
}

/* "pid=… uid=…" of C's client, for log lines: read from the kernel on
 * first use only, since most requests log nothing at the usual level. */
static const char *
conn_peer(conn *c)
{
    if (c->peer == NULL)
        c->peer = peer_of(c->fd);
    return c->peer;
}

static void
conn_new(server *srv, int fd, protocol proto)
{
    conn *c = g_new0(conn, 1);
    c->srv = srv;
    c->fd = fd;
    c->proto = proto;
    c->state = CONN_READING;
    c->out = g_string_new(NULL);
    c->started_us = g_get_monotonic_time();
    g_hash_table_add(srv->conns, c);
    g_atomic_int_inc(&srv->clients);
    if (proto == PROTO_SOCKETMAP) {
        c->netstring = netstring_parser_new(SOCKETMAP_REQUEST_MAX);
        c->pending = g_byte_array_new();
        conn_read_next(c);
        return;
    }
    if (proto == PROTO_SASLAUTHD) {
        c->saslauthd = saslauthd_parser_new(srv->settings->max_field);
        /* libsasl2 sends its whole request as soon as it is connected, so
         * it is usually there by the time of the accept: read at once,
         * and the reading watch and timer, whose set-up and removal wake
         * the main loop each time, are needed only when it is not. */
        if (!conn_receive(c))
            return;
    } else {
        char *why = NULL;
        if (!control_peer_allowed(fd, srv->ids.control_group, &why)) {
            int status;
            char *body = control_refusal(why, &status);
            sd_log(SD_LOG_WARNING, "control client %s refused: %s",
                   conn_peer(c), why);
            conn_reply(c, body, status);
            g_free(body);
            g_free(why);
            return;
        }
        c->line = g_string_new(NULL);
    }
    c->io = g_unix_fd_add(fd, G_IO_IN, on_readable, c);
    c->timer = g_timeout_add((guint)srv->settings->request_timeout_ms,
                             on_request_timeout, c);
}

static void
conn_close(conn *c)
{
    server *srv = c->srv;
    conn_stop_reading(c);
    if (c->held != NULL) {
        g_source_remove(c->held->penalty_timer);
        job_free(c->held);
    }
    close(c->fd);
    saslauthd_parser_free(c->saslauthd);
    if (c->netstring != NULL)
        netstring_parser_free(c->netstring);
    if (c->pending != NULL)
        g_byte_array_unref(c->pending);
    if (c->line != NULL)
        g_string_free(c->line, TRUE);
    g_string_free(c->out, TRUE);
    g_free(c->peer);
    g_hash_table_remove(srv->conns, c);
    g_free(c);
    if (g_atomic_int_dec_and_test(&srv->clients) && srv->draining)
        g_main_loop_quit(srv->loop);
}

/* A refusal in the client's protocol, written without waiting. */
static void
refuse(server *srv, int fd, protocol proto, const char *why)
{
    GString *out = g_string_new(NULL);
    char *text = g_strdup_printf("%s%s",
                                 proto == PROTO_SASLAUTHD
                                     ? "NO temporary failure: "
                                     : proto == PROTO_SOCKETMAP ? "TEMP "
                                     : "75\n", why);
    if (proto == PROTO_SASLAUTHD)
        saslauthd_reply_encode(out, text);
    else if (proto == PROTO_SOCKETMAP)
        netstring_encode(out, text, strlen(text));
    else
        g_string_append_printf(out, "%s\n", text);
    if (send(fd, out->str, out->len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        sd_log(SD_LOG_DEBUG, "refusal not sent: %s", g_strerror(errno));
    g_free(text);
    g_string_free(out, TRUE);
    close(fd);
    metrics_count_refused("max-clients");
    /* At most one line a second, so a flood does not flood the log. */
    gint64 now = g_get_monotonic_time();
    srv->refused_unlogged++;
    if (now - srv->refused_logged_us >= G_USEC_PER_SEC) {
        sd_log(SD_LOG_WARNING, "%u client(s) refused: %s",
               srv->refused_unlogged, why);
        srv->refused_logged_us = now;
        srv->refused_unlogged = 0;
    }
}

static gboolean
on_accept(gint fd, GIOCondition condition, gpointer data)
{
    (void)condition;
    listener *l = data;
    server *srv = l->srv;
    /* A bounded batch, so one busy socket cannot starve the others. */
    for (int i = 0; i < 64; i++) {
        int client = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                sd_log(SD_LOG_WARNING, "%s socket: accept: %s",
                       protocol_names[l->proto], g_strerror(errno));
            break;
        }
        if ((unsigned)g_atomic_int_get(&srv->clients)
            >= srv->settings->max_clients) {
            char *why = g_strdup_printf("too many clients ([server] "
                                        "max-clients %u)",
                                        srv->settings->max_clients);
            refuse(srv, client, l->proto, why);
            g_free(why);
            continue;
        }
        conn_new(srv, client, l->proto);
    }
    return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* Status                                                              */
/* ------------------------------------------------------------------ */

void
server_status(server *srv, GString *out)
{
    const sd_server_settings *s = srv->settings;
    gint64 uptime = (g_get_real_time() - srv->started_real) / G_USEC_PER_SEC;
    g_string_append_printf(out, "version: sasldird %s\n", PACKAGE_VERSION);
    g_string_append_printf(out, "pid: %ld\n", (long)getpid());
    g_string_append_printf(out, "uptime: %lld s\n", (long long)uptime);
    g_string_append_printf(out, "config: %s\n", srv->config_path);
    g_string_append_printf(out, "saslauthd-socket: %s\n",
                           s->saslauthd_socket ? s->saslauthd_socket : "off");
    g_string_append_printf(out, "socketmap-socket: %s\n",
                           s->socketmap_socket ? s->socketmap_socket : "off");
    g_string_append_printf(out, "control-socket: %s\n",
                           s->control_socket ? s->control_socket : "off");
    g_string_append_printf(out, "clients: %d (max %u)\n",
                           g_atomic_int_get(&srv->clients), s->max_clients);
    g_string_append_printf(out, "queue: %u (max %u)\n",
                           workers_waiting(srv->workers), s->queue);
    g_string_append_printf(out, "workers: %u\n", srv->worker_count);
    g_string_append_printf(out, "reloads: %d\n",
                           g_atomic_int_get(&srv->reloads));
    g_string_append_printf(out, "penalty: %s\n",
                           srv->penalty != NULL ? "on" : "off");
}

/* ------------------------------------------------------------------ */
/* Signals                                                             */
/* ------------------------------------------------------------------ */

static gboolean
on_sighup(gpointer data)
{
    server *srv = data;
    GError *error = NULL;
    if (server_reload(srv, &error))
        sd_log(SD_LOG_NOTICE, "reload: configuration %s loaded",
               srv->config_path);
    else
        sd_log(SD_LOG_ERROR, "reload refused, the old configuration stays: "
               "%s", error->message);
    g_clear_error(&error);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_drain_timeout(gpointer data)
{
    server *srv = data;
    srv->drain_timer = 0;
    sd_log(SD_LOG_WARNING, "%d request(s) still in progress after %d ms; "
           "exiting without them", g_atomic_int_get(&srv->clients),
           DRAIN_MS);
    g_main_loop_quit(srv->loop);
    return G_SOURCE_REMOVE;
}

static void
close_listeners(server *srv)
{
    const char *paths[3] = { srv->settings->saslauthd_socket,
                             srv->settings->socketmap_socket,
                             srv->settings->control_socket };
    for (int i = 0; i < 3; i++) {
        listener *l = &srv->listeners[i];
        if (l->fd < 0)
            continue;
        if (l->source != 0)
            g_source_remove(l->source);
        l->source = 0;
        close(l->fd);
        l->fd = -1;
        /* Possible only while the directory lets us; not an error. */
        if (paths[i] != NULL && unlink(paths[i]) != 0)
            sd_log(SD_LOG_DEBUG, "%s: not removed: %s", paths[i],
                   g_strerror(errno));
    }
}

static gboolean
on_sigterm(gpointer data)
{
    server *srv = data;
    if (srv->draining)
        return G_SOURCE_CONTINUE;
    srv->draining = true;
    close_listeners(srv);
    /* Clients still sending a request are not served: close them; a
     * reply the penalty holds back goes out now. */
    GPtrArray *reading = g_ptr_array_new(), *held = g_ptr_array_new();
    GHashTableIter iter;
    gpointer key;
    g_hash_table_iter_init(&iter, srv->conns);
    while (g_hash_table_iter_next(&iter, &key, NULL)) {
        conn *c = key;
        if (c->state == CONN_READING)
            g_ptr_array_add(reading, c);
        else if (c->held != NULL)
            g_ptr_array_add(held, c);
    }
    for (guint i = 0; i < reading->len; i++)
        conn_close(g_ptr_array_index(reading, i));
    for (guint i = 0; i < held->len; i++) {
        job *j = ((conn *)g_ptr_array_index(held, i))->held;
        g_source_remove(j->penalty_timer);
        j->penalty_timer = 0;
        saslauthd_send(j);
    }
    g_ptr_array_unref(reading);
    g_ptr_array_unref(held);
    sd_log(SD_LOG_NOTICE, "stopping: %d request(s) in progress",
           g_atomic_int_get(&srv->clients));
    if (g_atomic_int_get(&srv->clients) == 0)
        g_main_loop_quit(srv->loop);
    else
        srv->drain_timer = g_timeout_add(DRAIN_MS, on_drain_timeout, srv);
    return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                          */
/* ------------------------------------------------------------------ */

server *
server_new(const char *config_path, sd_registry *registry,
           const server_sockets *sockets, const process_ids *ids)
{
    server *srv = g_new0(server, 1);
    srv->config_path = g_strdup(config_path);
    g_mutex_init(&srv->lock);
    srv->registry = registry;
    srv->start_registry = sd_registry_ref(registry);
    srv->settings = sd_registry_server_settings(registry);
    srv->ids = *ids;
    srv->conns = g_hash_table_new(g_direct_hash, g_direct_equal);
    srv->started_real = g_get_real_time();
    int fds[3] = { sockets->saslauthd, sockets->socketmap,
                   sockets->control };
    for (int i = 0; i < 3; i++)
        srv->listeners[i] = (listener){ srv, (protocol)i, fds[i], 0 };
    if (srv->settings->penalty.enable)
        srv->penalty = penalty_new(&srv->settings->penalty, PENALTY_CAPACITY);
    return srv;
}

static bool
start_threads(server *srv)
{
    srv->worker_count = srv->settings->workers != 0
        ? srv->settings->workers : g_get_num_processors();
    GError *error = NULL;
    srv->workers = workers_new("sasldird-worker", srv->worker_count,
                               worker, srv, &error);
    if (srv->workers != NULL)
        srv->control_worker = workers_new("sasldird-control", 1, worker,
                                          srv, &error);
    if (srv->control_worker == NULL) {
        sd_log(SD_LOG_ERROR, "cannot start %u worker threads: %s",
               srv->worker_count, error->message);
        g_clear_error(&error);
        return false;
    }
    if (srv->settings->metrics_listen != NULL
        && !metrics_http_start(srv->settings->metrics_listen,
                               registry_of, srv,
                               &error)) {
        sd_log(SD_LOG_ERROR, "[server] metrics-listen: %s", error->message);
        g_clear_error(&error);
        return false;
    }
    return true;
}

int
server_run(server *srv)
{
    if (!start_threads(srv))
        return 1;
    srv->loop = g_main_loop_new(NULL, FALSE);
    for (int i = 0; i < 3; i++)
        if (srv->listeners[i].fd >= 0)
            srv->listeners[i].source = g_unix_fd_add(
                srv->listeners[i].fd, G_IO_IN, on_accept, &srv->listeners[i]);
    srv->signals[0] = g_unix_signal_add(SIGHUP, on_sighup, srv);
    srv->signals[1] = g_unix_signal_add(SIGTERM, on_sigterm, srv);
    srv->signals[2] = g_unix_signal_add(SIGINT, on_sigterm, srv);
    const sd_server_settings *s = srv->settings;
    sd_log(SD_LOG_NOTICE, "started: configuration %s, %u workers, "
           "saslauthd socket %s, socketmap socket %s, control socket %s%s%s",
           srv->config_path, srv->worker_count,
           s->saslauthd_socket ? s->saslauthd_socket : "off",
           s->socketmap_socket ? s->socketmap_socket : "off",
           s->control_socket ? s->control_socket : "off",
           s->metrics_listen ? ", metrics on http://" : "",
           s->metrics_listen ? s->metrics_listen : "");
    process_ready();
    g_main_loop_run(srv->loop);
    metrics_http_stop();
    if (g_atomic_int_get(&srv->clients) > 0) {
        /* Workers may still be inside a directory: do not wait for them
         * or free what they use. */
        sd_log(SD_LOG_NOTICE, "stopped with %d request(s) abandoned",
               g_atomic_int_get(&srv->clients));
        return -1;
    }
    sd_log(SD_LOG_NOTICE, "stopped");
    return 0;
}

void
server_free(server *srv)
{
    if (srv == NULL)
        return;
    close_listeners(srv);
    for (unsigned i = 0; i < G_N_ELEMENTS(srv->signals); i++)
        if (srv->signals[i] != 0)
            g_source_remove(srv->signals[i]);
    if (srv->drain_timer != 0)
        g_source_remove(srv->drain_timer);
    /* Joined, so what libraries keep per thread is released before
     * exit (see workers.h). */
    workers_free(srv->workers);
    workers_free(srv->control_worker);
    if (srv->loop != NULL)
        g_main_loop_unref(srv->loop);
    if (srv->penalty != NULL)
        penalty_free(srv->penalty);
    g_hash_table_unref(srv->conns);
    sd_registry_unref(srv->registry);
    sd_registry_unref(srv->start_registry);
    g_mutex_clear(&srv->lock);
    g_free(srv->config_path);
    g_free(srv);
}
