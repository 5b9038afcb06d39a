/*
 * sql_mysql.c - the MariaDB/MySQL engine of the sql directory
 * (mariadb-connector-c, libmariadb).
 *
 * Offers: sd_sql_engine_mysql.  Queries keep their '?' placeholders;
 * each connection prepares each statement once (server-side prepared
 * statements) and binds the value as a string on every execution.
 * Result columns are all fetched as strings, so numbers need no type
 * handling here.
 *
 * Timeouts: MYSQL_OPT_CONNECT_TIMEOUT is the pool's timeout.create and
 * MYSQL_OPT_READ_TIMEOUT / WRITE_TIMEOUT the configured timeout, in
 * whole seconds (the library's unit, rounded up), so a server that stops
 * answering fails the lookup instead of hanging it.  Automatic
 * reconnection stays off: the pool replaces broken connections.
 *
 * TLS: when tls.enable is set the connection must use TLS, and the
 * server's certificate is verified (against tls.ca-file or the system
 * store) unless tls.allow-invalid-certs is set.
 *
 * Failure modes: client-side errors (CR_*, codes 2000 and up: lost or
 * refused connection, timeouts) and server shutdown are SD_TEMPFAIL;
 * other server errors (bad SQL, unknown table) are SD_ERROR.
 */
#include "config.h"

#include <string.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <openssl/x509.h>

#include "sd_sql.h"

/* Room for most values; longer ones are fetched again in full. */
#define VALUE_BUFFER 256

typedef struct mysql_connection {
    MYSQL *mysql;
    MYSQL_STMT *statements[SD_SQL_QUERY_COUNT];
} mysql_connection;

static void
mysql_disconnect(void *connection)
{
    mysql_connection *c = connection;
    for (int i = 0; i < SD_SQL_QUERY_COUNT; i++)
        if (c->statements[i] != NULL)
            mysql_stmt_close(c->statements[i]);
    mysql_close(c->mysql);
    g_free(c);
}

static unsigned
seconds(uint64_t ms)
{
    uint64_t s = (ms + 999) / 1000;
    return s == 0 ? 1 : (unsigned)MIN(s, (uint64_t)G_MAXUINT);
}

static void
set_tls(MYSQL *mysql, const sd_sql_target *target)
{
    if (!target->tls)
        return;
    my_bool enforce = 1;
    my_bool verify = target->tls_allow_invalid ? 0 : 1;
    const char *ca = target->tls_ca_file != NULL ? target->tls_ca_file
                                                 : X509_get_default_cert_file();
    mysql_optionsv(mysql, MYSQL_OPT_SSL_ENFORCE, &enforce);
    mysql_optionsv(mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
    if (!target->tls_allow_invalid)
        mysql_optionsv(mysql, MYSQL_OPT_SSL_CA, ca);
}

static void *
mysql_connect(const sd_sql_target *target, uint64_t timeout_ms,
              GError **error)
{
    MYSQL *mysql = mysql_init(NULL);
    if (mysql == NULL) {
        g_set_error(error, SD_ERROR_DOMAIN, SD_TEMPFAIL, "out of memory");
        return NULL;
    }
    unsigned connect_timeout = seconds(timeout_ms);
    unsigned io_timeout = seconds(target->timeout_ms);
    my_bool reconnect = 0;
    mysql_optionsv(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_optionsv(mysql, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
    mysql_optionsv(mysql, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
    mysql_optionsv(mysql, MYSQL_OPT_RECONNECT, &reconnect);
    mysql_optionsv(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    set_tls(mysql, target);
    if (mysql_real_connect(mysql, target->host, target->user,
                           target->password, target->database, target->port,
                           NULL, 0) == NULL) {
        /* libmariadb's TLS errors can be as bare as "No such file or
         * directory": name the check and the CA file it used. */
        bool verifying = target->tls && !target->tls_allow_invalid;
        g_set_error(error, SD_ERROR_DOMAIN, SD_TEMPFAIL, "MariaDB: %s%s%s%s",
                    mysql_error(mysql),
                    verifying ? " (TLS: the server certificate is verified "
                                "against the CA file '" : "",
                    verifying ? (target->tls_ca_file != NULL
                                 ? target->tls_ca_file
                                 : X509_get_default_cert_file()) : "",
                    verifying ? "')" : "");
        mysql_close(mysql);
        return NULL;
    }
    mysql_connection *c = g_new0(mysql_connection, 1);
    c->mysql = mysql;
    return c;
}

static bool
mysql_ping_connection(void *connection)
{
    mysql_connection *c = connection;
    return mysql_ping(c->mysql) == 0;
}

static sd_result
classify(unsigned code)
{
    if (code >= 2000 && code < 3000)        /* CR_*: the client side */
        return SD_TEMPFAIL;
    switch (code) {
    case ER_SERVER_SHUTDOWN:
    case ER_CON_COUNT_ERROR:
    case ER_TOO_MANY_USER_CONNECTIONS:
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_LOCK_DEADLOCK:
        return SD_TEMPFAIL;
    default:
        return SD_ERROR;
    }
}

/* Reports the statement's error; a failed statement is dropped, so the
 * next use prepares it again. */
static sd_result
fail(mysql_connection *c, sd_sql_query_id id, GError **error)
{
    MYSQL_STMT *stmt = c->statements[id];
    unsigned code = mysql_stmt_errno(stmt);
    sd_result result = sd_fail(error, classify(code), "MariaDB: %s (%u)",
                               mysql_stmt_error(stmt), code);
    mysql_stmt_close(stmt);
    c->statements[id] = NULL;
    return result;
}

static sd_result
prepare(mysql_connection *c, sd_sql_query_id id, const char *sql,
        GError **error)
{
    if (c->statements[id] != NULL)
        return SD_OK;
    MYSQL_STMT *stmt = mysql_stmt_init(c->mysql);
    if (stmt == NULL) {
        unsigned code = mysql_errno(c->mysql);
        return sd_fail(error, code != 0 ? classify(code) : SD_TEMPFAIL,
                       "MariaDB: %s", mysql_error(c->mysql));
    }
    c->statements[id] = stmt;
    if (mysql_stmt_prepare(stmt, sql, strlen(sql)) != 0)
        return fail(c, id, error);
    return SD_OK;
}

/* Every placeholder gets VALUE, as a string. */
static bool
bind_value(MYSQL_STMT *stmt, const char *value, unsigned long *length)
{
    unsigned long count = mysql_stmt_param_count(stmt);
    if (count == 0)
        return true;
    MYSQL_BIND *bind = g_new0(MYSQL_BIND, count);
    *length = strlen(value);
    for (unsigned long i = 0; i < count; i++) {
        bind[i].buffer_type = MYSQL_TYPE_STRING;
        bind[i].buffer = (void *)value;
        bind[i].buffer_length = *length;
        bind[i].length = length;
    }
    bool ok = mysql_stmt_bind_param(stmt, bind) == 0;
    g_free(bind);
    return ok;
}

typedef struct fetch_buffers {
    unsigned fields;
    MYSQL_BIND *bind;
    char (*values)[VALUE_BUFFER];
    unsigned long *lengths;
    my_bool *nulls;
} fetch_buffers;

static void
buffers_free(fetch_buffers *b)
{
    if (b->values != NULL)
        memset(b->values, 0, sizeof *b->values * b->fields);
    g_free(b->bind);
    g_free(b->values);
    g_free(b->lengths);
    g_free(b->nulls);
}

static void
buffers_init(fetch_buffers *b, unsigned fields)
{
    b->fields = fields;
    b->bind = g_new0(MYSQL_BIND, MAX(fields, 1));
    b->values = g_malloc0(sizeof *b->values * MAX(fields, 1));
    b->lengths = g_new0(unsigned long, MAX(fields, 1));
    b->nulls = g_new0(my_bool, MAX(fields, 1));
    for (unsigned i = 0; i < fields; i++) {
        b->bind[i].buffer_type = MYSQL_TYPE_STRING;
        b->bind[i].buffer = b->values[i];
        b->bind[i].buffer_length = VALUE_BUFFER;
        b->bind[i].length = &b->lengths[i];
        b->bind[i].is_null = &b->nulls[i];
    }
}

/* Column I of the row just fetched, fetching it again if it was cut. */
static char *
column_value(MYSQL_STMT *stmt, fetch_buffers *b, unsigned i)
{
    if (b->nulls[i])
        return NULL;
    if (b->lengths[i] < VALUE_BUFFER)
        return g_strndup(b->values[i], b->lengths[i]);
    char *full = g_malloc0(b->lengths[i] + 1);
    MYSQL_BIND bind = { 0 };
    unsigned long length = 0;
    bind.buffer_type = MYSQL_TYPE_STRING;
    bind.buffer = full;
    bind.buffer_length = b->lengths[i] + 1;
    bind.length = &length;
    mysql_stmt_fetch_column(stmt, &bind, i, 0);
    return full;
}

static sd_result
fetch_rows(mysql_connection *c, sd_sql_query_id id, sd_sql_rows *rows,
           GError **error)
{
    MYSQL_STMT *stmt = c->statements[id];
    MYSQL_RES *meta = mysql_stmt_result_metadata(stmt);
    if (meta == NULL)
        return SD_OK;       /* not a SELECT: no rows */
    unsigned fields = mysql_num_fields(meta);
    MYSQL_FIELD *field = mysql_fetch_fields(meta);
    for (unsigned i = 0; i < fields; i++)
        g_ptr_array_add(rows->columns, g_strdup(field[i].name));
    mysql_free_result(meta);

    fetch_buffers b = { 0 };
    buffers_init(&b, fields);
    sd_result result = SD_OK;
    if (mysql_stmt_bind_result(stmt, b.bind) != 0) {
        result = fail(c, id, error);
    } else {
        int rc;
        while ((rc = mysql_stmt_fetch(stmt)) == 0
               || rc == MYSQL_DATA_TRUNCATED) {
            GPtrArray *row = sd_sql_rows_add(rows);
            for (unsigned i = 0; i < fields; i++)
                g_ptr_array_add(row, column_value(stmt, &b, i));
        }
        if (rc != MYSQL_NO_DATA)
            result = fail(c, id, error);
    }
    if (result == SD_OK)
        mysql_stmt_free_result(stmt);
    buffers_free(&b);
    return result;
}

static sd_result
mysql_query_run(void *connection, sd_sql_query_id id, const char *sql,
                const char *value, sd_sql_rows *rows, GError **error)
{
    mysql_connection *c = connection;
    sd_result result = prepare(c, id, sql, error);
    if (result != SD_OK)
        return result;
    MYSQL_STMT *stmt = c->statements[id];
    unsigned long length = 0;
    if (!bind_value(stmt, value, &length) || mysql_stmt_execute(stmt) != 0)
        return fail(c, id, error);
    return fetch_rows(c, id, rows, error);
}

const sd_sql_engine sd_sql_engine_mysql = {
    .name = "mysql",
    .translate = sd_sql_translate_none,
    .connect = mysql_connect,
    .ping = mysql_ping_connection,
    .disconnect = mysql_disconnect,
    .query = mysql_query_run,
};
