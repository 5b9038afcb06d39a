/*
 * metrics_http.c - GET /metrics over HTTP for Prometheus scrapers, with
 * libmicrohttpd (see metrics.h).
 *
 * Input: "[server] metrics-listen" as "HOST:PORT" or "[V6]:PORT" (HOST
 * numeric or a name; the first address it resolves to is bound; the
 * configuration allows ports 1 to 65535, this module also 0).
 * libmicrohttpd runs its own polling thread, so a slow scraper never
 * touches the daemon's main loop; each request renders the counters
 * afresh with metrics_render() on the current registry.  Anything but
 * GET or HEAD of /metrics is 404 (405 for another method on /metrics).
 * Failure modes: an unparsable address or one that cannot be bound
 * gives false with a GError naming the setting and the reason
 * libmicrohttpd logged.
 */
#include "config.h"

#include <netdb.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "metrics.h"
#include "sd_log.h"

static struct {
    struct MHD_Daemon *daemon;
    metrics_registry_fn registry;
    void *self;
    char *last_error;           /* libmicrohttpd's last complaint */
    GMutex lock;                /* guards last_error */
} http;

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* libmicrohttpd's messages go to the daemon's log, the last one is kept
 * for the error of a failed start. */
static void mhd_logger(void *context, const char *format, va_list ap)
    G_GNUC_PRINTF(2, 0);
static void
mhd_logger(void *context, const char *format, va_list ap)
{
    (void)context;
    char *message = g_strdup_vprintf(format, ap);
    g_strchomp(message);
    sd_log(SD_LOG_WARNING, "metrics http: %s", message);
    g_mutex_lock(&http.lock);
    g_free(http.last_error);
    http.last_error = message;
    g_mutex_unlock(&http.lock);
}

static enum MHD_Result
reply(struct MHD_Connection *connection, unsigned status, char *body,
      size_t len)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer_with_free_callback(len, body,
                                                           g_free);
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                            CONTENT_TYPE);
    enum MHD_Result result = MHD_queue_response(connection, status,
                                                response);
    MHD_destroy_response(response);
    return result;
}

static enum MHD_Result
answer(void *context, struct MHD_Connection *connection, const char *url,
       const char *method, const char *version, const char *upload_data,
       size_t *upload_data_size, void **connection_state)
{
    (void)context;
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)connection_state;
    if (strcmp(url, "/metrics") != 0)
        return reply(connection, MHD_HTTP_NOT_FOUND,
                     g_strdup("not found: only /metrics is served\n"),
                     strlen("not found: only /metrics is served\n"));
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0
        && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED,
                     g_strdup("only GET and HEAD\n"),
                     strlen("only GET and HEAD\n"));
    sd_registry *registry = http.registry != NULL
                            ? http.registry(http.self) : NULL;
    GString *out = g_string_new(NULL);
    metrics_render(registry, out);
    if (registry != NULL)
        sd_registry_unref(registry);
    size_t len = out->len;
    return reply(connection, MHD_HTTP_OK, g_string_free(out, FALSE), len);
}

/* LISTEN resolved to a socket address; false with *ERROR. */
static bool
resolve(const char *listen, struct addrinfo **address, GError **error)
{
    char *host = NULL;
    gint port = -1;
    char *uri = g_strconcat("http://", listen, NULL);
    bool ok = g_uri_split_network(uri, G_URI_FLAGS_NONE, NULL, &host, &port,
                                  NULL)
              && host != NULL && *host != '\0' && port >= 0;
    g_free(uri);
    if (!ok) {
        g_free(host);
        g_set_error(error, SD_ERROR_DOMAIN, SD_ERROR,
                    "[server] metrics-listen '%s': expected HOST:PORT or "
                    "[IPV6]:PORT", listen);
        return false;
    }
    char service[16];
    g_snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_NUMERICSERV | AI_PASSIVE };
    int status = getaddrinfo(host, service, &hints, address);
    if (status != 0)
        g_set_error(error, SD_ERROR_DOMAIN, SD_ERROR,
                    "[server] metrics-listen '%s': cannot resolve %s: %s",
                    listen, host, gai_strerror(status));
    g_free(host);
    return status == 0;
}

bool
metrics_http_start(const char *listen, metrics_registry_fn registry,
                   void *self, GError **error)
{
    if (http.daemon != NULL) {
        g_set_error(error, SD_ERROR_DOMAIN, SD_ERROR,
                    "metrics http: already serving");
        return false;
    }
    struct addrinfo *address = NULL;
    if (!resolve(listen, &address, error))
        return false;
    http.registry = registry;
    http.self = self;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (address->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    http.daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, answer, NULL,
        /* First, so that every message of the start goes through it. */
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
        MHD_OPTION_SOCK_ADDR, address->ai_addr,
        /* A scraper needs one connection; a few more cost little. */
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
        MHD_OPTION_END);
    freeaddrinfo(address);
    if (http.daemon == NULL) {
        g_mutex_lock(&http.lock);
        g_set_error(error, SD_ERROR_DOMAIN, SD_TEMPFAIL,
                    "[server] metrics-listen '%s': cannot serve HTTP: %s",
                    listen, http.last_error != NULL ? http.last_error
                                                    : "libmicrohttpd failed");
        g_mutex_unlock(&http.lock);
        http.registry = NULL;
        http.self = NULL;
        return false;
    }
    return true;
}

void
metrics_http_stop(void)
{
    if (http.daemon != NULL)
        MHD_stop_daemon(http.daemon);
    http.daemon = NULL;
    http.registry = NULL;
    http.self = NULL;
    g_mutex_lock(&http.lock);
    g_clear_pointer(&http.last_error, g_free);
    g_mutex_unlock(&http.lock);
}

/* The port actually bound, or 0.  Port 0 (any free port) is for the unit
 * tests, which call metrics_http_start() directly: [server]
 * metrics-listen refuses it, since a scraper must know where to look. */
unsigned
metrics_http_port(void)
{
    if (http.daemon == NULL)
        return 0;
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(http.daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info != NULL ? info->port : 0;
}
