/*
 * server.c - sasldird's event loop (see server.h).
 *
 * A connection lives in the main thread only.  Its states: READING (a
 * watch on its descriptor and a request timer), WORKING (the request is
 * with a worker; no watch, no timer), WRITING (the reply is being sent).
 * A worker gets a job holding copies of the request's fields and a
 * registry reference, and hands the finished job back to the main loop
 * with g_main_context_invoke, which writes the reply.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <glib-unix.h>

#include "saslauthd.h"
#include "saslauthd_frame.h"
#include "sd_log.h"
#include "sd_secret.h"
#include "sd_server.h"
#include "server.h"

/* Drain deadline after SIGTERM: the 5 s, with room to exit. */
#define DRAIN_MS 4500
/* Bytes read at once from a client. */
#define READ_CHUNK 4096

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

typedef struct conn {
    server *srv;
    int fd;
    protocol proto;
    conn_state state;
    char *peer;                 /* "pid 12 uid 34", for log lines */
    saslauthd_parser *saslauthd;
    guint io;
    guint timer;
    GString *out;
    gsize written;
    gint64 started_us;
} conn;

typedef struct job {
    conn *c;
    sd_registry *registry;
    char *fields[SASLAUTHD_FIELDS];
    saslauthd_outcome outcome;
    gint64 started_us;
} job;

struct server {
    char *config_path;
    GMutex lock;                /* guards registry */
    sd_registry *registry;
    const sd_server_settings *settings;     /* of the start registry */
    sd_registry *start_registry;
    process_ids ids;
    GMainLoop *loop;
    GThreadPool *workers;
    listener listeners[3];
    GHashTable *conns;          /* conn* set */
    guint clients;
    bool draining;
    guint drain_timer;
    guint signals[4];
    unsigned reloads;
    gint64 refused_logged_us;
    unsigned refused_unlogged;
};

static void conn_close(conn *c);

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
        || g_strcmp0(old->user, new->user) != 0
        || g_strcmp0(old->group, new->group) != 0
        || old->workers != new->workers)
        sd_log(SD_LOG_NOTICE, "reload: changed socket, user or worker "
               "settings of [server] take effect at the next restart");
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
    srv->reloads++;
    g_mutex_unlock(&srv->lock);
    sd_registry_unref(old);
    return true;
}

/* ------------------------------------------------------------------ */
/* Writing replies                                                     */
/* ------------------------------------------------------------------ */

/* Sends what is left of the reply; true when all of it is gone or the
 * connection is beyond help. */
static bool
conn_flush(conn *c)
{
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
                   protocol_names[c->proto], c->peer,
                   n < 0 ? g_strerror(errno) : "connection closed");
            return true;
        }
    }
    return true;
}

static gboolean
on_writable(gint fd, GIOCondition condition, gpointer data)
{
    (void)fd;
    (void)condition;
    conn *c = data;
    if (!conn_flush(c))
        return G_SOURCE_CONTINUE;
    c->io = 0;
    conn_close(c);
    return G_SOURCE_REMOVE;
}

static gboolean
on_write_timeout(gpointer data)
{
    conn *c = data;
    c->timer = 0;
    sd_log(SD_LOG_NOTICE, "%s client %s: reply not read within the request "
           "timeout; connection dropped", protocol_names[c->proto], c->peer);
    conn_close(c);
    return G_SOURCE_REMOVE;
}

/* Sends C->out and closes the connection once it is out. */
static void
conn_send_and_close(conn *c)
{
    c->state = CONN_WRITING;
    if (c->io != 0)
        g_source_remove(c->io);
    c->io = 0;
    if (conn_flush(c)) {
        conn_close(c);
        return;
    }
    c->io = g_unix_fd_add(c->fd, G_IO_OUT, on_writable, c);
    if (c->timer == 0)
        c->timer = g_timeout_add((guint)c->srv->settings->request_timeout_ms,
                                 on_write_timeout, c);
}

static void
conn_reply_saslauthd(conn *c, const char *text)
{
    g_string_truncate(c->out, 0);
    saslauthd_reply_encode(c->out, text);
    c->written = 0;
    conn_send_and_close(c);
}

/* ------------------------------------------------------------------ */
/* Workers                                                             */
/* ------------------------------------------------------------------ */

static void
job_free(job *j)
{
    for (unsigned i = 0; i < SASLAUTHD_FIELDS; i++)
        sd_secret_free(j->fields[i]);
    saslauthd_outcome_clear(&j->outcome);
    sd_registry_unref(j->registry);
    g_free(j);
}

/* Back in the main thread: log, reply, close. */
static gboolean
job_done(gpointer data)
{
    job *j = data;
    conn *c = j->c;
    gint64 elapsed = g_get_monotonic_time() - j->started_us;
    sd_log(j->outcome.result == SD_TEMPFAIL ? SD_LOG_WARNING
           : j->outcome.result == SD_ERROR ? SD_LOG_ERROR : SD_LOG_INFO,
           "%s %s (%.1f ms)", j->outcome.log, c->peer, elapsed / 1000.0);
    conn_reply_saslauthd(c, j->outcome.reply);
    job_free(j);
    return G_SOURCE_REMOVE;
}

static void
worker(gpointer data, gpointer user_data)
{
    (void)user_data;
    job *j = data;
    saslauthd_answer(j->registry, (const char *const *)j->fields,
                     &j->outcome);
    /* The password is not needed any more: wipe it now, not later. */
    sd_secret_free(j->fields[SASLAUTHD_PASSWORD]);
    j->fields[SASLAUTHD_PASSWORD] = NULL;
    g_main_context_invoke(NULL, job_done, j);
}

/* ------------------------------------------------------------------ */
/* Reading requests                                                    */
/* ------------------------------------------------------------------ */

static void
conn_stop_reading(conn *c)
{
    if (c->io != 0)
        g_source_remove(c->io);
    if (c->timer != 0)
        g_source_remove(c->timer);
    c->io = c->timer = 0;
}

static void
dispatch_saslauthd(conn *c)
{
    server *srv = c->srv;
    conn_stop_reading(c);
    if (g_thread_pool_unprocessed(srv->workers) >= srv->settings->queue) {
        sd_log(SD_LOG_WARNING, "saslauthd client %s refused: %u requests "
               "wait for a worker ([server] queue)", c->peer,
               srv->settings->queue);
        conn_reply_saslauthd(c, "NO temporary failure: server busy");
        return;
    }
    job *j = g_new0(job, 1);
    j->c = c;
    j->registry = server_registry(srv);
    j->started_us = c->started_us;
    for (unsigned i = 0; i < SASLAUTHD_FIELDS; i++)
        j->fields[i] = g_strdup(saslauthd_parser_field(c->saslauthd, i));
    /* The parser's copy of the password goes now. */
    saslauthd_parser_free(c->saslauthd);
    c->saslauthd = NULL;
    c->state = CONN_WORKING;
    g_thread_pool_push(srv->workers, j, NULL);
}

/* Feeds BYTES to the parser; false when the connection is finished. */
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
        sd_log(SD_LOG_WARNING, "saslauthd client %s: bad request dropped: "
               "%s", c->peer, why);
        conn_stop_reading(c);
        conn_reply_saslauthd(c, "NO bad request");
        return false;
    }
    if (status == FRAME_DONE) {
        dispatch_saslauthd(c);
        return false;
    }
    return true;
}

static gboolean
on_readable(gint fd, GIOCondition condition, gpointer data)
{
    (void)condition;
    conn *c = data;
    uint8_t buffer[READ_CHUNK];
    ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return G_SOURCE_CONTINUE;
    if (n <= 0) {
        sd_log(SD_LOG_INFO, "%s client %s: %s before a whole request",
               protocol_names[c->proto], c->peer,
               n == 0 ? "connection closed" : g_strerror(errno));
        c->io = 0;
        conn_close(c);
        return G_SOURCE_REMOVE;
    }
    bool more = feed_saslauthd(c, buffer, (size_t)n);
    sd_memwipe(buffer, (size_t)n);
    /* When not MORE, the io source is already removed. */
    return more ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
on_request_timeout(gpointer data)
{
    conn *c = data;
    c->timer = 0;
    sd_log(SD_LOG_NOTICE, "%s client %s: no whole request within %.1f s; "
           "connection dropped", protocol_names[c->proto], c->peer,
           c->srv->settings->request_timeout_ms / 1000.0);
    conn_close(c);
    return G_SOURCE_REMOVE;
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

static void
conn_new(server *srv, int fd, protocol proto)
{
    conn *c = g_new0(conn, 1);
    c->srv = srv;
    c->fd = fd;
    c->proto = proto;
    c->state = CONN_READING;
    c->peer = peer_of(fd);
    c->out = g_string_new(NULL);
    c->started_us = g_get_monotonic_time();
    c->saslauthd = saslauthd_parser_new(srv->settings->max_field);
    c->io = g_unix_fd_add(fd, G_IO_IN, on_readable, c);
    c->timer = g_timeout_add((guint)srv->settings->request_timeout_ms,
                             on_request_timeout, c);
    g_hash_table_add(srv->conns, c);
    srv->clients++;
}

static void
conn_close(conn *c)
{
    server *srv = c->srv;
    conn_stop_reading(c);
    close(c->fd);
    saslauthd_parser_free(c->saslauthd);
    g_string_free(c->out, TRUE);
    g_free(c->peer);
    g_hash_table_remove(srv->conns, c);
    g_free(c);
    srv->clients--;
    if (srv->draining && srv->clients == 0)
        g_main_loop_quit(srv->loop);
}

/* A refusal in the client's protocol, written without waiting. */
static void
refuse(server *srv, int fd, protocol proto, const char *why)
{
    GString *out = g_string_new(NULL);
    if (proto == PROTO_SASLAUTHD) {
        char *text = g_strdup_printf("NO temporary failure: %s", why);
        saslauthd_reply_encode(out, text);
        g_free(text);
    }
    if (out->len > 0 && send(fd, out->str, out->len,
                             MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
        sd_log(SD_LOG_DEBUG, "refusal not sent: %s", g_strerror(errno));
    g_string_free(out, TRUE);
    close(fd);
    /* At most one line a second, so a flood does not flood the log. */
    gint64 now = g_get_monotonic_time();
    srv->refused_unlogged++;
    if (now - srv->refused_logged_us >= G_USEC_PER_SEC) {
        sd_log(SD_LOG_WARNING, "%u %s client(s) refused: %s",
               srv->refused_unlogged, protocol_names[proto], why);
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
        if (srv->clients >= srv->settings->max_clients) {
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
    sd_log(SD_LOG_WARNING, "%u request(s) still in progress after %d ms; "
           "exiting without them", srv->clients, DRAIN_MS);
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
    /* Clients still sending a request are not served: close them. */
    GPtrArray *idle = g_ptr_array_new();
    GHashTableIter iter;
    gpointer key;
    g_hash_table_iter_init(&iter, srv->conns);
    while (g_hash_table_iter_next(&iter, &key, NULL))
        if (((conn *)key)->state == CONN_READING)
            g_ptr_array_add(idle, key);
    for (guint i = 0; i < idle->len; i++)
        conn_close(g_ptr_array_index(idle, i));
    g_ptr_array_unref(idle);
    sd_log(SD_LOG_NOTICE, "stopping: %u request(s) in progress",
           srv->clients);
    if (srv->clients == 0)
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
    int fds[3] = { sockets->saslauthd, sockets->socketmap,
                   sockets->control };
    for (int i = 0; i < 3; i++)
        srv->listeners[i] = (listener){ srv, (protocol)i, fds[i], 0 };
    return srv;
}

int
server_run(server *srv)
{
    unsigned workers = srv->settings->workers != 0
        ? srv->settings->workers : g_get_num_processors();
    GError *error = NULL;
    srv->workers = g_thread_pool_new(worker, srv, (gint)workers, TRUE,
                                     &error);
    if (srv->workers == NULL) {
        sd_log(SD_LOG_ERROR, "cannot start %u worker threads: %s", workers,
               error->message);
        g_clear_error(&error);
        return 1;
    }
    srv->loop = g_main_loop_new(NULL, FALSE);
    for (int i = 0; i < 3; i++)
        if (srv->listeners[i].fd >= 0)
            srv->listeners[i].source = g_unix_fd_add(
                srv->listeners[i].fd, G_IO_IN, on_accept, &srv->listeners[i]);
    srv->signals[0] = g_unix_signal_add(SIGHUP, on_sighup, srv);
    srv->signals[1] = g_unix_signal_add(SIGTERM, on_sigterm, srv);
    srv->signals[2] = g_unix_signal_add(SIGINT, on_sigterm, srv);
    sd_log(SD_LOG_NOTICE, "started: configuration %s, %u workers, "
           "saslauthd socket %s", srv->config_path, workers,
           srv->settings->saslauthd_socket != NULL
               ? srv->settings->saslauthd_socket : "off");
    g_main_loop_run(srv->loop);
    if (srv->clients > 0) {
        /* Workers may still be inside a directory: do not wait for them
         * or free what they use. */
        sd_log(SD_LOG_NOTICE, "stopped with %u request(s) abandoned",
               srv->clients);
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
    if (srv->workers != NULL)
        g_thread_pool_free(srv->workers, FALSE, TRUE);
    if (srv->loop != NULL)
        g_main_loop_unref(srv->loop);
    g_hash_table_unref(srv->conns);
    sd_registry_unref(srv->registry);
    sd_registry_unref(srv->start_registry);
    g_mutex_clear(&srv->lock);
    g_free(srv->config_path);
    g_free(srv);
}
