/*
 * sd_sql.h - the small interface between the sql directory driver
 * (backend_sql.c) and its database engines (sql_sqlite.c, sql_mysql.c,
 * sql_pgsql.c).  Private to libsasldir.
 *
 * An engine knows how to connect to one kind of server, run a prepared
 * statement with one bound text value, and hand back the rows as text.
 * It does no pooling, retrying or interpretation of the rows: the driver
 * does those once for every engine.
 *
 * Results of sd_sql_engine.query: SD_OK (the rows are in *ROWS),
 * SD_ERROR (the statement is wrong: bad SQL, unknown table; the
 * connection is still good and retrying would not help), SD_TEMPFAIL
 * (the connection failed or timed out: it must be discarded).
 */
#ifndef SD_SQL_H
#define SD_SQL_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "sd_result.h"

G_BEGIN_DECLS

/* The statements a directory may configure, in a fixed order so that
 * engines can cache one prepared statement per id and connection. */
typedef enum sd_sql_query_id {
    SD_SQL_QUERY_NAME = 0,
    SD_SQL_QUERY_MEMBERS,
    SD_SQL_QUERY_RECIPIENTS,
    SD_SQL_QUERY_EMAILS,
    SD_SQL_QUERY_VERIFY,
    SD_SQL_QUERY_EXPAND,
    SD_SQL_QUERY_DOMAINS,
    SD_SQL_QUERY_COUNT
} sd_sql_query_id;

/* Where and how to connect; filled from the configuration. */
typedef struct sd_sql_target {
    char *host;                 /* NULL: the engine's default */
    unsigned port;              /* 0: the engine's default */
    char *database;
    char *user;
    char *password;             /* wiped when freed */
    char *path;                 /* SQLite: the database file */
    bool tls;
    bool tls_allow_invalid;
    char *tls_ca_file;          /* NULL: the system store */
    uint64_t timeout_ms;        /* bound on every read from the server */
} sd_sql_target;

/* Rows as text; a NULL value is SQL NULL.  Values are wiped when
 * freed, since a row may hold a secret. */
typedef struct sd_sql_rows {
    GPtrArray *columns;         /* char*, the result's column names */
    GPtrArray *rows;            /* GPtrArray* of char* per row */
} sd_sql_rows;

sd_sql_rows *sd_sql_rows_new(void);
/* Starts a new row and returns it, to append values to. */
GPtrArray *sd_sql_rows_add(sd_sql_rows *rows);
void sd_sql_rows_free(sd_sql_rows *rows);

typedef struct sd_sql_engine {
    const char *name;           /* "sqlite", "mysql", "postgresql" */
    /* The query text the engine prepares, from the configured text with
     * '?' placeholders (newly allocated). */
    char *(*translate)(const char *sql);
    void *(*connect)(const sd_sql_target *target, uint64_t timeout_ms,
                     GError **error);
    bool (*ping)(void *connection);
    void (*disconnect)(void *connection);
    /* Runs statement ID (text SQL, already translated) with every
     * placeholder bound to VALUE. */
    sd_result (*query)(void *connection, sd_sql_query_id id, const char *sql,
                       const char *value, sd_sql_rows *rows, GError **error);
} sd_sql_engine;

/* The engines this library was built with (see configure). */
#ifdef HAVE_SQLITE
extern const sd_sql_engine sd_sql_engine_sqlite;
#endif
#ifdef HAVE_MYSQL
extern const sd_sql_engine sd_sql_engine_mysql;
#endif
#ifdef HAVE_PGSQL
extern const sd_sql_engine sd_sql_engine_pgsql;
#endif

/* The configured text unchanged (engines whose placeholder is '?'). */
char *sd_sql_translate_none(const char *sql);
/*
 * Rewrites each '?' outside quotes and comments as "$1" (PostgreSQL):
 * every placeholder receives the same single value.
 */
char *sd_sql_translate_dollar(const char *sql);
/* How many placeholders TEXT (in '?' form) holds, outside quotes. */
unsigned sd_sql_count_placeholders(const char *sql);

G_END_DECLS

#endif
