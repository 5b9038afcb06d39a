/*
 * backend_sql.c - the "sql" directory: principals, addresses and
 * domains read from an SQL database the administrator keeps elsewhere
 * (SQLite, MariaDB/MySQL or PostgreSQL), as Stalwart's sql directory.
 *
 * Offers: the sd_backend_sql driver.  Configuration (Stalwart's keys),
 * in either of Stalwart's two forms:
 *
 *   address = "postgresql://user:password@host:port/database"
 *             | "mysql://..." | "mariadb://..." | "sqlite:///path"
 *   with [directory."<name>".query], tls.* and timeout in the directory;
 * or
 *   store = "<store>" naming a [store."<store>"] section (type, host,
 *   port, database, user, password, path, timeout, tls.*, and the
 *   queries under [store."<store>".query] or the directory's [query]).
 *
 * [columns] maps the result columns of query.name: class (also spelt
 * type), secret, description, quota, and scram (sasldir's own, no
 * default: a column of RFC 5803 authPassword values, the SCRAM
 * credentials the auxprop plugin publishes).  Queries use '?'
 * placeholders for every engine; the value is always bound, never
 * spliced into the text.
 *
 * Results: query.name gives the principal; one row per secret (and per
 * SCRAM credential), as Stalwart does; query.members its groups and query.emails its
 * addresses (both optional).  query.recipients, query.expand,
 * query.verify and query.domains answer rcpt, expand, verify and domain
 * lookups.  A query left out disables that lookup: using it is SD_ERROR
 * naming the missing key.
 *
 * Failure modes: a connection that fails mid-query is discarded and the
 * query retried once on a fresh one, then SD_TEMPFAIL; no connection
 * within the pool's timeouts is SD_TEMPFAIL; a bad statement or a
 * malformed value (a quota that is not a number, an authPassword that is
 * not one) is SD_ERROR naming the directory, the query, the column and
 * the principal.  Secrets are handed to the
 * generic layer; this driver never verifies a password.
 */
#include "config.h"

#include <string.h>

#include "sd_backend.h"
#include "sd_pool.h"
#include "sd_secret.h"
#include "sd_sql.h"

/* The configuration keys of the queries, in sd_sql_query_id order. */
static const char *const query_keys[SD_SQL_QUERY_COUNT] = {
    "name", "members", "recipients", "emails", "verify", "expand", "domains",
};

#define DEFAULT_TIMEOUT_MS (30u * 1000u)

typedef struct sql_directory {
    char *name;                         /* the directory's */
    const sd_sql_engine *engine;
    sd_sql_target target;
    char *queries[SD_SQL_QUERY_COUNT];  /* engine's text; NULL = none */
    char *column_class;
    char *column_secret;
    char *column_description;
    char *column_quota;
    char *column_scram;                 /* NULL: not configured */
    sd_pool *pool;
} sql_directory;

/* ------------------------------------------------------------------ */
/* Rows and placeholders (shared with the engines)                     */
/* ------------------------------------------------------------------ */

sd_sql_rows *
sd_sql_rows_new(void)
{
    sd_sql_rows *rows = g_new0(sd_sql_rows, 1);
    rows->columns = g_ptr_array_new_with_free_func(g_free);
    rows->rows = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_ptr_array_unref);
    return rows;
}

GPtrArray *
sd_sql_rows_add(sd_sql_rows *rows)
{
    GPtrArray *row = g_ptr_array_new_with_free_func(
        (GDestroyNotify)sd_secret_free);
    g_ptr_array_add(rows->rows, row);
    return row;
}

void
sd_sql_rows_free(sd_sql_rows *rows)
{
    if (rows == NULL)
        return;
    g_ptr_array_unref(rows->columns);
    g_ptr_array_unref(rows->rows);
    g_free(rows);
}

char *
sd_sql_translate_none(const char *sql)
{
    return g_strdup(sql);
}

/*
 * Walks SQL, calling EMIT for each character and PLACEHOLDER for each
 * '?' that is a placeholder: not inside '...' or "..." (doubled quotes
 * included) or a -- or block comment.
 */
static unsigned
scan_placeholders(const char *sql, GString *out, const char *replacement)
{
    unsigned count = 0;
    char quote = 0;
    for (const char *p = sql; *p != '\0'; p++) {
        if (quote == '-') {
            if (*p == '\n')
                quote = 0;
        } else if (quote == '*') {
            if (p[0] == '*' && p[1] == '/') {
                if (out != NULL)
                    g_string_append_c(out, *p);
                p++;
                quote = 0;
            }
        } else if (quote != 0) {
            if (*p == quote)
                quote = 0;  /* a doubled quote reopens at once */
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (p[0] == '-' && p[1] == '-') {
            quote = '-';
        } else if (p[0] == '/' && p[1] == '*') {
            quote = '*';
        } else if (*p == '?') {
            count++;
            if (out != NULL)
                g_string_append(out, replacement);
            continue;
        }
        if (out != NULL)
            g_string_append_c(out, *p);
    }
    return count;
}

char *
sd_sql_translate_dollar(const char *sql)
{
    GString *out = g_string_new(NULL);
    scan_placeholders(sql, out, "$1");
    return g_string_free(out, FALSE);
}

unsigned
sd_sql_count_placeholders(const char *sql)
{
    return scan_placeholders(sql, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Configuration                                                       */
/* ------------------------------------------------------------------ */

typedef struct engine_name {
    const char *name;
    const sd_sql_engine *engine;
    const char *option;         /* the configure option that adds it */
} engine_name;

/* Scheme or store type -> engine; NULL engine: not built. */
static const engine_name engine_names[] = {
#ifdef HAVE_SQLITE
    { "sqlite", &sd_sql_engine_sqlite, NULL },
#else
    { "sqlite", NULL, "--with-sqlite" },
#endif
#ifdef HAVE_MYSQL
    { "mysql", &sd_sql_engine_mysql, NULL },
    { "mariadb", &sd_sql_engine_mysql, NULL },
#else
    { "mysql", NULL, "--with-mysql" },
    { "mariadb", NULL, "--with-mysql" },
#endif
#ifdef HAVE_PGSQL
    { "postgresql", &sd_sql_engine_pgsql, NULL },
    { "postgres", &sd_sql_engine_pgsql, NULL },
#else
    { "postgresql", NULL, "--with-pgsql" },
    { "postgres", NULL, "--with-pgsql" },
#endif
};

/* The engine called NAME, or NULL with an error recorded about KEY. */
static const sd_sql_engine *
find_engine(sd_cfg_table *table, const char *key, const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(engine_names); i++) {
        if (g_ascii_strcasecmp(engine_names[i].name, name) != 0)
            continue;
        if (engine_names[i].engine == NULL)
            sd_cfg_error(table, key, 0, "this sasldir was built without "
                         "%s support (configure %s)", name,
                         engine_names[i].option);
        return engine_names[i].engine;
    }
    sd_cfg_error(table, key, 0, "'%s' is not an SQL engine (postgresql, "
                 "mysql, mariadb or sqlite)", name);
    return NULL;
}

static void
target_clear(sd_sql_target *target)
{
    g_free(target->host);
    g_free(target->database);
    g_free(target->user);
    sd_secret_free(target->password);
    g_free(target->path);
    g_free(target->tls_ca_file);
    memset(target, 0, sizeof *target);
}

/* address = "<scheme>://[user[:password]@]host[:port]/database". */
static bool
read_address(sql_directory *sql, sd_cfg_table *section, const char *address)
{
    GError *error = NULL;
    GUri *uri = g_uri_parse(address, G_URI_FLAGS_HAS_PASSWORD, &error);
    if (uri == NULL) {
        /* The message would repeat the address, password included. */
        sd_cfg_error(section, "address", 0, "not a valid URL (expected "
                     "postgresql://, mysql://, mariadb:// or sqlite:///)");
        g_error_free(error);
        return false;
    }
    bool ok = true;
    sql->engine = find_engine(section, "address", g_uri_get_scheme(uri));
    if (sql->engine == NULL)
        ok = false;
    else if (g_uri_get_query(uri) != NULL || g_uri_get_fragment(uri) != NULL) {
        sd_cfg_error(section, "address", 0, "URL parameters are not "
                     "supported: use the tls.* and timeout keys");
        ok = false;
    }
    const char *path = g_uri_get_path(uri);
    sd_sql_target *t = &sql->target;
    if (ok && sql->engine->name[0] == 's') {
        if (g_uri_get_host(uri) != NULL && *g_uri_get_host(uri) != '\0') {
            sd_cfg_error(section, "address", 0, "write an SQLite address "
                         "as sqlite:///absolute/path (three slashes)");
            ok = false;
        }
        t->path = g_strdup(path);
    } else if (ok) {
        if (*g_uri_get_host(uri) != '\0')
            t->host = g_strdup(g_uri_get_host(uri));
        t->port = g_uri_get_port(uri) > 0 ? (unsigned)g_uri_get_port(uri) : 0;
        t->user = g_strdup(g_uri_get_user(uri));
        t->password = g_strdup(g_uri_get_password(uri));
        if (path[0] == '/' && path[1] != '\0')
            t->database = g_strdup(path + 1);
    }
    if (ok && sql->engine->name[0] == 's' && (t->path == NULL
                                              || *t->path == '\0')) {
        sd_cfg_error(section, "address", 0, "the SQLite address names no "
                     "file");
        ok = false;
    }
    g_uri_unref(uri);
    return ok;
}

/* tls.enable, tls.allow-invalid-certs, tls.ca-file and timeout. */
static void
read_connection_options(sd_sql_target *t, sd_cfg_table *table)
{
    sd_cfg_table tls;
    if (sd_cfg_get_table(table, "tls", &tls) == SD_CFG_FOUND) {
        sd_cfg_get_bool(&tls, "enable", &t->tls);
        sd_cfg_get_bool(&tls, "allow-invalid-certs", &t->tls_allow_invalid);
        const char *ca = NULL;
        if (sd_cfg_get_string(&tls, "ca-file", &ca) == SD_CFG_FOUND)
            t->tls_ca_file = g_strdup(ca);
        sd_cfg_table_clear(&tls);
    }
    sd_cfg_get_duration(table, "timeout", &t->timeout_ms);
    if (t->timeout_ms == 0)
        t->timeout_ms = DEFAULT_TIMEOUT_MS;
}

static void
copy_string(sd_cfg_table *table, const char *key, char **out)
{
    const char *value = NULL;
    if (sd_cfg_get_string(table, key, &value) == SD_CFG_FOUND)
        *out = g_strdup(value);
}

/* [store."<name>"]: Stalwart's v0.5+ form. */
static bool
read_store(sql_directory *sql, sd_cfg_table *store)
{
    const char *type = NULL;
    sd_cfg_status status = sd_cfg_get_string(store, "type", &type);
    if (status == SD_CFG_ABSENT)
        sd_cfg_error(store, NULL, 0, "missing required key 'type' "
                     "(postgresql, mysql or sqlite)");
    if (status == SD_CFG_FOUND)
        sql->engine = find_engine(store, "type", type);
    sd_sql_target *t = &sql->target;
    copy_string(store, "host", &t->host);
    int64_t port = 0;
    sd_cfg_get_int(store, "port", 1, 65535, &port);
    t->port = (unsigned)port;
    copy_string(store, "database", &t->database);
    copy_string(store, "user", &t->user);
    copy_string(store, "password", &t->password);
    copy_string(store, "path", &t->path);
    read_connection_options(t, store);
    if (sql->engine == NULL)
        return false;
    if (sql->engine->name[0] == 's' && t->path == NULL) {
        sd_cfg_error(store, NULL, 0, "an SQLite store needs 'path'");
        return false;
    }
    return true;
}

static void
read_queries(sql_directory *sql, sd_cfg_table *query)
{
    for (int i = 0; i < SD_SQL_QUERY_COUNT; i++) {
        const char *text = NULL;
        if (sd_cfg_get_string(query, query_keys[i], &text) != SD_CFG_FOUND)
            continue;
        if (*text == '\0') {
            sd_cfg_error(query, query_keys[i], 0, "the query is empty");
            continue;
        }
        sql->queries[i] = sql->engine != NULL
            ? sql->engine->translate(text) : g_strdup(text);
    }
}

/* The queries of the directory, or of its store: one place, not both. */
static void
find_queries(sql_directory *sql, sd_cfg_table *section, sd_cfg_table *store)
{
    sd_cfg_table in_directory, in_store;
    bool have_directory = sd_cfg_get_table(section, "query", &in_directory)
                          == SD_CFG_FOUND;
    bool have_store = store != NULL
        && sd_cfg_get_table(store, "query", &in_store) == SD_CFG_FOUND;
    if (have_directory && have_store) {
        sd_cfg_error(&in_directory, NULL, 0, "the queries are also set in "
                     "[%s.query] (line %u): keep them in one place",
                     store->path, sd_cfg_line(&in_store, NULL));
        sd_cfg_take_all(&in_directory);
    } else if (have_directory) {
        read_queries(sql, &in_directory);
    }
    if (have_store) {
        if (!have_directory)
            read_queries(sql, &in_store);
        else
            sd_cfg_take_all(&in_store);
        sd_cfg_table_clear(&in_store);
    }
    if (have_directory)
        sd_cfg_table_clear(&in_directory);
    if (sql->queries[SD_SQL_QUERY_NAME] == NULL && !have_directory
        && !have_store)
        sd_cfg_error(section, NULL, 0, "no queries: add [%s.query] with at "
                     "least 'name'", section->path);
}

static void
read_columns(sql_directory *sql, sd_cfg_table *section)
{
    const char *class_column = "type", *secret = "secret",
               *description = "description", *quota = "quota",
               *scram = NULL;
    sd_cfg_table columns;
    if (sd_cfg_get_table(section, "columns", &columns) == SD_CFG_FOUND) {
        sd_cfg_get_string_alias(&columns, "class", "type", &class_column,
                                NULL);
        sd_cfg_get_string(&columns, "secret", &secret);
        sd_cfg_get_string(&columns, "description", &description);
        sd_cfg_get_string(&columns, "quota", &quota);
        sd_cfg_get_string(&columns, "scram", &scram);
        sd_cfg_table_clear(&columns);
    }
    sql->column_class = g_strdup(class_column);
    sql->column_secret = g_strdup(secret);
    sql->column_description = g_strdup(description);
    sql->column_quota = g_strdup(quota);
    sql->column_scram = g_strdup(scram);
}

/* Where the connection goes, for messages: never the password. */
static char *
describe_target(const sql_directory *sql)
{
    const sd_sql_target *t = &sql->target;
    if (t->path != NULL && sql->engine->name[0] == 's')
        return g_strdup_printf("sqlite %s", t->path);
    return g_strdup_printf("%s %s%s%s:%u/%s%s", sql->engine->name,
                           t->user != NULL ? t->user : "",
                           t->user != NULL ? "@" : "",
                           t->host != NULL ? t->host : "localhost", t->port,
                           t->database != NULL ? t->database : "",
                           t->tls ? " (TLS)" : "");
}

/* ------------------------------------------------------------------ */
/* The pool's callbacks                                                */
/* ------------------------------------------------------------------ */

static void *
pool_create(void *context, uint64_t timeout_ms, GError **error)
{
    sql_directory *sql = context;
    return sql->engine->connect(&sql->target, timeout_ms, error);
}

static bool
pool_validate(void *context, void *connection)
{
    sql_directory *sql = context;
    return sql->engine->ping == NULL || sql->engine->ping(connection);
}

static void
pool_destroy(void *context, void *connection)
{
    sql_directory *sql = context;
    sql->engine->disconnect(connection);
}

static const sd_pool_ops sql_pool_ops = {
    .create = pool_create,
    .validate = pool_validate,
    .destroy = pool_destroy,
};

/* ------------------------------------------------------------------ */
/* Open and close                                                      */
/* ------------------------------------------------------------------ */

static void
sql_close(void *state)
{
    sql_directory *sql = state;
    if (sql == NULL)
        return;
    sd_pool_free(sql->pool);
    for (int i = 0; i < SD_SQL_QUERY_COUNT; i++)
        g_free(sql->queries[i]);
    g_free(sql->column_class);
    g_free(sql->column_secret);
    g_free(sql->column_description);
    g_free(sql->column_quota);
    g_free(sql->column_scram);
    target_clear(&sql->target);
    g_free(sql->name);
    g_free(sql);
}

/* The connection: address in the directory, or store = "<name>". */
static bool
read_connection(sql_directory *sql, sd_cfg_table *section,
                sd_cfg_table *store, bool *have_store)
{
    const char *address = NULL, *store_name = NULL;
    sd_cfg_status by_address = sd_cfg_get_string(section, "address",
                                                  &address);
    sd_cfg_status by_store = sd_cfg_get_string(section, "store", &store_name);
    *have_store = false;
    if (by_address == SD_CFG_FOUND && by_store == SD_CFG_FOUND) {
        sd_cfg_error(section, "store", 0, "'address' and 'store' are two "
                     "ways to say where the database is: keep only one");
        return false;
    }
    if (by_address == SD_CFG_ABSENT && by_store == SD_CFG_ABSENT) {
        sd_cfg_error(section, NULL, 0, "an sql directory needs 'address' "
                     "(e.g. \"postgresql://user@host/db\") or 'store' (the "
                     "name of a [store.\"<name>\"] section)");
        return false;
    }
    if (by_address == SD_CFG_FOUND) {
        bool ok = read_address(sql, section, address);
        read_connection_options(&sql->target, section);
        return ok;
    }
    if (by_store != SD_CFG_FOUND)
        return false;
    if (sd_cfg_get_store(section, store_name, store) != SD_CFG_FOUND) {
        sd_cfg_error(section, "store", 0, "there is no [store.\"%s\"] "
                     "section", store_name);
        return false;
    }
    *have_store = true;
    return read_store(sql, store);
}

/* [pool] in the directory or in its store (Stalwart puts it there). */
static void
read_pool(sd_cfg_table *section, sd_cfg_table *store,
          sd_pool_settings *settings)
{
    sd_toml_entry *in_store = store != NULL
        ? sd_toml_table_find(store->table, "pool") : NULL;
    sd_toml_entry *in_directory = sd_toml_table_find(section->table, "pool");
    if (in_store != NULL && in_directory != NULL) {
        sd_cfg_error(section, "pool", 0, "the pool is also set in "
                     "[%s.pool] (line %u): keep it in one place",
                     store->path, in_store->line);
        sd_cfg_take(section, "pool");
        sd_pool_settings_read(store, settings);
        return;
    }
    sd_pool_settings_read(in_store != NULL ? store : section, settings);
}

static sd_result
sql_open(sd_directory *directory, sd_cfg_table *section, void **state,
         GError **error)
{
    (void)error;
    sql_directory *sql = g_new0(sql_directory, 1);
    sql->name = g_strdup(sd_directory_name(directory));
    sd_cfg_table store = { 0 };
    bool have_store = false;
    unsigned errors_before = sd_cfg_error_count(section->cfg);
    bool ok = read_connection(sql, section, &store, &have_store);
    find_queries(sql, section, have_store ? &store : NULL);
    read_columns(sql, section);
    sd_pool_settings settings;
    read_pool(section, have_store ? &store : NULL, &settings);
    if (have_store)
        sd_cfg_table_clear(&store);
    if (!ok || sql->engine == NULL
        || sd_cfg_error_count(section->cfg) != errors_before) {
        sql_close(sql);
        return SD_ERROR;
    }
    char *pool_name = g_strdup_printf("directory '%s'", sql->name);
    sql->pool = sd_pool_new(pool_name, &sql_pool_ops, sql, &settings);
    g_free(pool_name);
    *state = sql;
    return SD_OK;
}

static char *
sql_describe(void *state)
{
    sql_directory *sql = state;
    char *where = describe_target(sql);
    GString *text = g_string_new(where);
    const sd_pool_settings *s = sd_pool_get_settings(sql->pool);
    g_string_append_printf(text, ", pool of %u, queries:", s->max_connections);
    for (int i = 0; i < SD_SQL_QUERY_COUNT; i++)
        if (sql->queries[i] != NULL)
            g_string_append_printf(text, " %s", query_keys[i]);
    g_free(where);
    return g_string_free(text, FALSE);
}

static sd_pool *
sql_pool(void *state)
{
    return ((sql_directory *)state)->pool;
}

/* ------------------------------------------------------------------ */
/* Running a query                                                     */
/* ------------------------------------------------------------------ */

static sd_result
query_failed(sql_directory *sql, sd_sql_query_id id, sd_result result,
             GError **error, GError *cause)
{
    sd_fail(error, result, "directory '%s': query.%s: %s", sql->name,
            query_keys[id], cause != NULL ? cause->message : "failed");
    g_clear_error(&cause);
    return result;
}

/*
 * Runs query ID with VALUE on a pooled connection.  A connection that
 * breaks is discarded and the query tried once more on a fresh one: a
 * server restart or an idle connection cut by a firewall costs one
 * retry, not a failed login.
 */
static sd_result
run_query(sql_directory *sql, sd_sql_query_id id, const char *value,
          sd_sql_rows **out, GError **error)
{
    if (sql->queries[id] == NULL)
        return sd_fail(error, SD_ERROR, "directory '%s': query.%s is not "
                       "configured, so this lookup is disabled", sql->name,
                       query_keys[id]);
    GError *cause = NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        void *connection = NULL;
        g_clear_error(&cause);
        if (sd_pool_acquire(sql->pool, &connection, error) != SD_OK)
            return SD_TEMPFAIL;
        sd_sql_rows *rows = sd_sql_rows_new();
        sd_result result = sql->engine->query(connection, id,
                                              sql->queries[id], value, rows,
                                              &cause);
        sd_pool_release(sql->pool, connection, result == SD_TEMPFAIL);
        if (result == SD_OK) {
            *out = rows;
            return SD_OK;
        }
        sd_sql_rows_free(rows);
        if (result != SD_TEMPFAIL)
            return query_failed(sql, id, result, error, cause);
    }
    return query_failed(sql, id, SD_TEMPFAIL, error, cause);
}

/* The index of column NAME in ROWS, or -1 when the result lacks it. */
static int
column_index(const sd_sql_rows *rows, const char *name)
{
    for (guint i = 0; i < rows->columns->len; i++)
        if (g_ascii_strcasecmp(g_ptr_array_index(rows->columns, i), name)
            == 0)
            return (int)i;
    return -1;
}

static const char *
cell(const sd_sql_rows *rows, guint row, int column)
{
    if (column < 0)
        return NULL;
    GPtrArray *values = g_ptr_array_index(rows->rows, row);
    return (guint)column < values->len ? g_ptr_array_index(values, column)
                                       : NULL;
}

/* Appends the non-NULL values of the first column, once each. */
static void
first_column_into(const sd_sql_rows *rows, GPtrArray *into)
{
    for (guint i = 0; i < rows->rows->len; i++) {
        const char *value = cell(rows, i, 0);
        if (value != NULL && *value != '\0')
            sd_string_list_add_unique(into, value);
    }
}

/* Runs an optional query and appends its first column to INTO. */
static sd_result
collect_list(sql_directory *sql, sd_sql_query_id id, const char *value,
             GPtrArray *into, GError **error)
{
    if (sql->queries[id] == NULL)
        return SD_OK;
    sd_sql_rows *rows = NULL;
    sd_result result = run_query(sql, id, value, &rows, error);
    if (result == SD_OK)
        first_column_into(rows, into);
    sd_sql_rows_free(rows);
    return result;
}

/* ------------------------------------------------------------------ */
/* The driver's operations                                             */
/* ------------------------------------------------------------------ */

static sd_result
parse_quota(sql_directory *sql, const char *name, const char *text,
            uint64_t *quota, GError **error)
{
    guint64 value = 0;
    if (text == NULL) {
        *quota = 0;         /* NULL: no quota */
        return SD_OK;
    }
    if (!g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, &value, NULL))
        return sd_fail(error, SD_ERROR, "directory '%s': query.name: column "
                       "'%s' of principal '%s' holds '%.40s', which is not "
                       "a number of bytes", sql->name, sql->column_quota,
                       name, text);
    *quota = value;
    return SD_OK;
}

/* The SCRAM credentials of NAME in ROWS (column COLUMN), once each. */
static sd_result
scram_from_rows(sql_directory *sql, const char *name, const sd_sql_rows *rows,
                int column, GPtrArray *into, GError **error)
{
    for (guint i = 0; column >= 0 && i < rows->rows->len; i++) {
        const char *value = cell(rows, i, column);
        GError *cause = NULL;
        if (value == NULL || *value == '\0')
            continue;
        /* The value is a credential: the message never quotes it. */
        if (sd_secret_scram_check(value, &cause) != SD_OK) {
            sd_result result = sd_fail(error, SD_ERROR, "directory '%s': "
                                       "query.name: column '%s' of "
                                       "principal '%s', row %u: %s",
                                       sql->name, sql->column_scram, name,
                                       i + 1, cause->message);
            g_error_free(cause);
            return result;
        }
        /* Exact repeats only (a JOIN repeats a row): base64 has case. */
        if (!g_ptr_array_find_with_equal_func(into, value, g_str_equal,
                                              NULL))
            g_ptr_array_add(into, g_strdup(value));
    }
    return SD_OK;
}

/* The principal from query.name's rows: one row per secret. */
static sd_result
principal_from_rows(sql_directory *sql, const char *name,
                    const sd_sql_rows *rows, sd_principal **out,
                    GError **error)
{
    int class_column = column_index(rows, sql->column_class);
    int secret_column = column_index(rows, sql->column_secret);
    int description_column = column_index(rows, sql->column_description);
    int quota_column = column_index(rows, sql->column_quota);
    int scram_column = sql->column_scram != NULL
        ? column_index(rows, sql->column_scram) : -1;

    sd_principal_type type = SD_PRINCIPAL_INDIVIDUAL;
    const char *class_name = cell(rows, 0, class_column);
    /* As Stalwart: a class it does not know is an individual. */
    if (class_name != NULL && !sd_principal_type_parse(class_name, &type))
        type = SD_PRINCIPAL_INDIVIDUAL;
    sd_principal *principal = sd_principal_new(name, type);
    const char *description = cell(rows, 0, description_column);
    if (description != NULL && *description != '\0')
        principal->description = g_strdup(description);
    sd_result result = parse_quota(sql, name, cell(rows, 0, quota_column),
                                   &principal->quota, error);
    for (guint i = 0; i < rows->rows->len; i++) {
        const char *secret = cell(rows, i, secret_column);
        if (secret != NULL && *secret != '\0')
            g_ptr_array_add(principal->secrets, g_strdup(secret));
    }
    if (result == SD_OK)
        result = scram_from_rows(sql, name, rows, scram_column,
                                 principal->auth_passwords, error);
    if (result != SD_OK) {
        sd_principal_free(principal);
        return result;
    }
    *out = principal;
    return SD_OK;
}

static sd_result
sql_lookup(void *state, const char *name, sd_principal **principal,
           GError **error)
{
    sql_directory *sql = state;
    sd_sql_rows *rows = NULL;
    sd_result result = run_query(sql, SD_SQL_QUERY_NAME, name, &rows, error);
    if (result != SD_OK)
        return result;
    sd_principal *found = NULL;
    if (rows->rows->len == 0)
        result = SD_NOTFOUND;
    else
        result = principal_from_rows(sql, name, rows, &found, error);
    sd_sql_rows_free(rows);
    if (result == SD_OK)
        result = collect_list(sql, SD_SQL_QUERY_MEMBERS, name,
                              found->member_of, error);
    if (result == SD_OK)
        result = collect_list(sql, SD_SQL_QUERY_EMAILS, name, found->emails,
                              error);
    if (result != SD_OK) {
        sd_principal_free(found);
        return result;
    }
    *principal = found;
    return SD_OK;
}

/* Runs ID with VALUE; SD_NOTFOUND when it gives no row. */
static sd_result
run_list(sql_directory *sql, sd_sql_query_id id, const char *value,
         GPtrArray *into, GError **error)
{
    sd_sql_rows *rows = NULL;
    sd_result result = run_query(sql, id, value, &rows, error);
    if (result != SD_OK)
        return result;
    if (rows->rows->len == 0)
        result = SD_NOTFOUND;
    else if (into != NULL)
        first_column_into(rows, into);
    sd_sql_rows_free(rows);
    return result;
}

static sd_result
sql_rcpt(void *state, const char *address, char **owner, GError **error)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    sd_result result = run_list(state, SD_SQL_QUERY_RECIPIENTS, address,
                                names, error);
    /* Several owners: a list, which has no single owner. */
    if (result == SD_OK && owner != NULL)
        *owner = names->len == 1 ? g_strdup(g_ptr_array_index(names, 0))
                                 : NULL;
    g_ptr_array_unref(names);
    return result;
}

static sd_result
sql_is_local_domain(void *state, const char *domain, GError **error)
{
    return run_list(state, SD_SQL_QUERY_DOMAINS, domain, NULL, error);
}

static sd_result
sql_expand(void *state, const char *address, GPtrArray *members,
           GError **error)
{
    return run_list(state, SD_SQL_QUERY_EXPAND, address, members, error);
}

static sd_result
sql_verify(void *state, const char *partial, GPtrArray *matches,
           GError **error)
{
    sd_result result = run_list(state, SD_SQL_QUERY_VERIFY, partial, matches,
                                error);
    return result == SD_NOTFOUND ? SD_OK : result;
}

const sd_backend_ops sd_backend_sql = {
    .type = "sql",
    .open = sql_open,
    .close = sql_close,
    .describe = sql_describe,
    .lookup = sql_lookup,
    .authenticate = NULL,
    .rcpt = sql_rcpt,
    .is_local_domain = sql_is_local_domain,
    .expand = sql_expand,
    .verify = sql_verify,
    .pool = sql_pool,
};
