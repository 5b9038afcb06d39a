/*
 * sql_pgsql.c - the PostgreSQL engine of the sql directory (libpq).
 *
 * Offers: sd_sql_engine_pgsql.  Queries are written with '?' and
 * rewritten to $1 (every placeholder receives the one value).  Each
 * connection prepares each statement once (PQsendPrepare) and then only
 * executes it with the value bound (PQsendQueryPrepared).
 *
 * Everything that waits on the server is non-blocking and polled against
 * a deadline: connecting within the pool's timeout.create, each query
 * within the configured timeout.  libpq's own connect_timeout has a
 * granularity of seconds and no query timeout at all, so a server that
 * accepts TCP and then says nothing would otherwise hang a lookup.
 *
 * TLS: sslmode verify-full (the name and the chain, against tls.ca-file
 * or the system store) when tls.enable is set, require when
 * tls.allow-invalid-certs is also set, disable otherwise.
 *
 * Failure modes: a broken connection, a timeout, and SQLSTATE classes 08
 * (connection), 53 (resources) and 57 (operator intervention, e.g. a
 * shutdown) are SD_TEMPFAIL; other statement errors are SD_ERROR.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/x509.h>

#include "sd_sql.h"

typedef struct pgsql_connection {
    PGconn *conn;
    uint64_t timeout_ms;
    bool prepared[SD_SQL_QUERY_COUNT];
    int params[SD_SQL_QUERY_COUNT];
} pgsql_connection;

/* Waits until the socket is ready for EVENTS or DEADLINE (monotonic
 * microseconds) passes; false on timeout or error. */
static bool
wait_socket(PGconn *conn, short events, gint64 deadline)
{
    struct pollfd pfd = { .fd = PQsocket(conn), .events = events };
    if (pfd.fd < 0)
        return false;
    for (;;) {
        gint64 left_us = deadline - g_get_monotonic_time();
        if (left_us <= 0)
            return false;
        int timeout = (int)MIN((left_us + 999) / 1000, (gint64)G_MAXINT);
        int n = poll(&pfd, 1, timeout);
        if (n > 0)
            return true;
        if (n < 0 && errno != EINTR)
            return false;
    }
}

static void
pgsql_disconnect(void *connection)
{
    pgsql_connection *c = connection;
    PQfinish(c->conn);
    g_free(c);
}

/* Connects without blocking beyond DEADLINE (see the header comment). */
/*
 * libpq's messages span lines ("...failed: Connection refused\n\tIs the
 * server running..."); a log line must not, so the line breaks and the
 * indentation after them become "; ".
 */
static char *
pgsql_one_line(const char *message)
{
    GString *out = g_string_new(NULL);
    for (const char *p = message; *p != '\0'; p++) {
        if (*p == '\n' || *p == '\r') {
            while (p[1] == '\n' || p[1] == '\r' || p[1] == '\t' || p[1] == ' ')
                p++;
            if (p[1] != '\0')
                g_string_append(out, "; ");
        } else {
            g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}

static PGconn *
connect_polled(const char *const *keys, const char *const *values,
               gint64 deadline, GError **error)
{
    PGconn *conn = PQconnectStartParams(keys, values, 0);
    if (conn == NULL) {
        g_set_error(error, SD_ERROR_DOMAIN, SD_TEMPFAIL, "out of memory");
        return NULL;
    }
    PostgresPollingStatusType state = PGRES_POLLING_WRITING;
    while (PQstatus(conn) != CONNECTION_BAD && state != PGRES_POLLING_OK
           && state != PGRES_POLLING_FAILED) {
        short events = state == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        if (!wait_socket(conn, events, deadline)) {
            g_set_error(error, SD_ERROR_DOMAIN, SD_TEMPFAIL, "PostgreSQL "
                        "did not complete the connection in time "
                        "(pool.timeout.create)");
            PQfinish(conn);
            return NULL;
        }
        state = PQconnectPoll(conn);
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        char *text = pgsql_one_line(PQerrorMessage(conn));
        g_set_error(error, SD_ERROR_DOMAIN, SD_TEMPFAIL, "PostgreSQL: %s",
                    text);
        g_free(text);
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

static void *
pgsql_connect(const sd_sql_target *target, uint64_t timeout_ms,
              GError **error)
{
    char port[16] = "";
    if (target->port != 0)
        g_snprintf(port, sizeof port, "%u", target->port);
    const char *sslmode = !target->tls ? "disable"
                          : target->tls_allow_invalid ? "require"
                          : "verify-full";
    /* With a root certificate at hand libpq turns "require" into
     * "verify-ca", so one is given only when verifying. */
    bool verify = target->tls && !target->tls_allow_invalid;
    const char *ca = target->tls_ca_file != NULL ? target->tls_ca_file
                                                 : X509_get_default_cert_file();
    const char *keys[] = { "host", "port", "dbname", "user", "password",
                           "sslmode", "sslrootcert", "application_name",
                           "client_encoding", NULL };
    const char *values[] = { target->host, port[0] != '\0' ? port : NULL,
                             target->database, target->user,
                             target->password, sslmode,
                             verify ? ca : NULL, "sasldir", "UTF8",
                             NULL };
    /* libpq stops at the first NULL key: give absent values as "". */
    for (size_t i = 0; keys[i] != NULL; i++)
        if (values[i] == NULL)
            values[i] = "";
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    PGconn *conn = connect_polled(keys, values, deadline, error);
    if (conn == NULL)
        return NULL;
    pgsql_connection *c = g_new0(pgsql_connection, 1);
    c->conn = conn;
    c->timeout_ms = target->timeout_ms;
    return c;
}

/* Whether a failed result means the connection, not the statement. */
static sd_result
classify(PGconn *conn, const PGresult *result)
{
    if (PQstatus(conn) == CONNECTION_BAD)
        return SD_TEMPFAIL;
    const char *state = result != NULL
        ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : NULL;
    if (state == NULL)
        return SD_TEMPFAIL;
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0
        || strncmp(state, "57", 2) == 0)
        return SD_TEMPFAIL;
    return SD_ERROR;
}

static sd_result
fail(pgsql_connection *c, const PGresult *result, GError **error)
{
    const char *message = result != NULL ? PQresultErrorMessage(result)
                                         : PQerrorMessage(c->conn);
    char *text = pgsql_one_line(message != NULL && *message != '\0'
                                ? message : "connection lost");
    sd_result r = sd_fail(error, classify(c->conn, result), "PostgreSQL: %s",
                          text);
    g_free(text);
    return r;
}

/*
 * Collects the results of the command just sent, waiting at most the
 * query timeout.  *LAST receives the last result (the caller clears
 * it); false with *ERROR on timeout or a broken connection.
 */
static bool
wait_results(pgsql_connection *c, PGresult **last, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)c->timeout_ms * 1000;
    *last = NULL;
    for (;;) {
        if (!PQconsumeInput(c->conn)) {
            fail(c, NULL, error);
            return false;
        }
        while (!PQisBusy(c->conn)) {
            PGresult *result = PQgetResult(c->conn);
            if (result == NULL)
                return true;
            PQclear(*last);
            *last = result;
        }
        if (!wait_socket(c->conn, POLLIN, deadline)) {
            g_set_error(error, SD_ERROR_DOMAIN, SD_TEMPFAIL, "PostgreSQL "
                        "did not answer within %" G_GUINT64_FORMAT " ms "
                        "(timeout)", c->timeout_ms);
            return false;
        }
    }
}

/* Sends a command (SENT: what PQsend* returned) and checks its result. */
static sd_result
finish(pgsql_connection *c, int sent, ExecStatusType want,
       PGresult **out, GError **error)
{
    if (!sent)
        return fail(c, NULL, error);
    PGresult *result = NULL;
    if (!wait_results(c, &result, error)) {
        PQclear(result);
        return SD_TEMPFAIL;
    }
    if (result == NULL || PQresultStatus(result) != want) {
        sd_result r = fail(c, result, error);
        PQclear(result);
        return r;
    }
    if (out != NULL)
        *out = result;
    else
        PQclear(result);
    return SD_OK;
}

static bool
pgsql_ping(void *connection)
{
    pgsql_connection *c = connection;
    if (PQstatus(c->conn) != CONNECTION_OK)
        return false;
    return finish(c, PQsendQuery(c->conn, "SELECT 1"), PGRES_TUPLES_OK,
                  NULL, NULL) == SD_OK;
}

static void
collect(const PGresult *result, sd_sql_rows *rows)
{
    int fields = PQnfields(result);
    for (int i = 0; i < fields; i++)
        g_ptr_array_add(rows->columns, g_strdup(PQfname(result, i)));
    for (int r = 0; r < PQntuples(result); r++) {
        GPtrArray *row = sd_sql_rows_add(rows);
        for (int i = 0; i < fields; i++)
            g_ptr_array_add(row, PQgetisnull(result, r, i)
                                 ? NULL
                                 : g_strdup(PQgetvalue(result, r, i)));
    }
}

static sd_result
pgsql_query(void *connection, sd_sql_query_id id, const char *sql,
            const char *value, sd_sql_rows *rows, GError **error)
{
    pgsql_connection *c = connection;
    char name[32];
    g_snprintf(name, sizeof name, "sasldir_%d", (int)id);
    if (!c->prepared[id]) {
        /* The translated text holds only $1, however often. */
        c->params[id] = strstr(sql, "$1") != NULL ? 1 : 0;
        sd_result r = finish(c, PQsendPrepare(c->conn, name, sql,
                                              c->params[id], NULL),
                             PGRES_COMMAND_OK, NULL, error);
        if (r != SD_OK)
            return r;
        c->prepared[id] = true;
    }
    const char *values[1] = { value };
    PGresult *result = NULL;
    sd_result r = finish(c, PQsendQueryPrepared(c->conn, name, c->params[id],
                                                values, NULL, NULL, 0),
                         PGRES_TUPLES_OK, &result, error);
    if (r == SD_OK)
        collect(result, rows);
    PQclear(result);
    return r;
}

const sd_sql_engine sd_sql_engine_pgsql = {
    .name = "postgresql",
    .translate = sd_sql_translate_dollar,
    .connect = pgsql_connect,
    .ping = pgsql_ping,
    .disconnect = pgsql_disconnect,
    .query = pgsql_query,
};
