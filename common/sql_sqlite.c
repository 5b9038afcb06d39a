/*
 * sql_sqlite.c - the SQLite engine of the sql directory (libsqlite3).
 *
 * Offers: sd_sql_engine_sqlite.  The database file is opened read-only
 * (a directory only reads), with a busy timeout equal to the configured
 * timeout so a writer holding a lock delays a lookup at most that long.
 * Each connection keeps its prepared statements (one per query id).
 *
 * Failure modes: a file that cannot be opened, a busy or locked
 * database, or an I/O error is SD_TEMPFAIL (the administrator may be
 * replacing the file); SQL errors (no such table or column) and a file
 * that is not a database are SD_ERROR.
 */
#include "config.h"

#include <limits.h>
#include <sqlite3.h>

#include "sd_sql.h"
#include "sd_sqlite.h"

typedef struct sqlite_connection {
    sqlite3 *db;
    sqlite3_stmt *statements[SD_SQL_QUERY_COUNT];
} sqlite_connection;

static void
sqlite_disconnect(void *connection)
{
    sqlite_connection *c = connection;
    for (int i = 0; i < SD_SQL_QUERY_COUNT; i++)
        sqlite3_finalize(c->statements[i]);
    sqlite3_close_v2(c->db);
    g_free(c);
}

static void *
sqlite_connect(const sd_sql_target *target, uint64_t timeout_ms,
               GError **error)
{
    (void)timeout_ms;   /* opening a local file does not wait */
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(target->path, &db,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        g_set_error(error, SD_ERROR_DOMAIN, SD_TEMPFAIL,
                    "cannot open SQLite database %s: %s", target->path,
                    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close_v2(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, (int)MIN(target->timeout_ms, (uint64_t)INT_MAX));
    sqlite_connection *c = g_new0(sqlite_connection, 1);
    c->db = db;
    return c;
}

sd_result
sd_sqlite_result(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_FULL:
    case SQLITE_READONLY:
        return SD_TEMPFAIL;
    default:
        return SD_ERROR;
    }
}

static sd_result
fail(sqlite_connection *c, int rc, GError **error)
{
    sd_result result = sd_sqlite_result(rc);
    return sd_fail(error, result, "SQLite: %s", sqlite3_errmsg(c->db));
}

static sqlite3_stmt *
prepared(sqlite_connection *c, sd_sql_query_id id, const char *sql, int *rc)
{
    if (c->statements[id] == NULL)
        *rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                 &c->statements[id], NULL);
    return c->statements[id];
}

static void
collect_columns(sqlite3_stmt *stmt, sd_sql_rows *rows)
{
    int count = sqlite3_column_count(stmt);
    for (int i = 0; i < count; i++)
        g_ptr_array_add(rows->columns,
                        g_strdup(sqlite3_column_name(stmt, i)));
}

static void
collect_row(sqlite3_stmt *stmt, sd_sql_rows *rows)
{
    GPtrArray *row = sd_sql_rows_add(rows);
    int count = sqlite3_column_count(stmt);
    for (int i = 0; i < count; i++) {
        const unsigned char *text = sqlite3_column_text(stmt, i);
        g_ptr_array_add(row, text != NULL ? g_strdup((const char *)text)
                                          : NULL);
    }
}

static sd_result
sqlite_query(void *connection, sd_sql_query_id id, const char *sql,
             const char *value, sd_sql_rows *rows, GError **error)
{
    sqlite_connection *c = connection;
    int rc = SQLITE_OK;
    sqlite3_stmt *stmt = prepared(c, id, sql, &rc);
    if (stmt == NULL)
        return rc != SQLITE_OK ? fail(c, rc, error)
                               : sd_fail(error, SD_ERROR, "SQLite: the "
                                         "query is empty");
    int params = sqlite3_bind_parameter_count(stmt);
    for (int i = 1; i <= params && rc == SQLITE_OK; i++)
        rc = sqlite3_bind_text(stmt, i, value, -1, SQLITE_TRANSIENT);
    if (rc != SQLITE_OK) {
        sd_result result = fail(c, rc, error);
        sqlite3_reset(stmt);
        return result;
    }
    collect_columns(stmt, rows);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        collect_row(stmt, rows);
    sd_result result = rc == SQLITE_DONE ? SD_OK : fail(c, rc, error);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return result;
}

const sd_sql_engine sd_sql_engine_sqlite = {
    .name = "sqlite",
    .translate = sd_sql_translate_none,
    .connect = sqlite_connect,
    .ping = NULL,
    .disconnect = sqlite_disconnect,
    .query = sqlite_query,
};
