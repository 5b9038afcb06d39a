/*
 * backend_internal.c - the "internal" directory: an SQLite database that
 * sasldir itself manages (the embedded default; README "Internal
 * directory").
 *
 * Offers: the sd_backend_internal driver, with every read op and the
 * write ops (store_*) of sd_backend.h.  Configuration:
 *
 *   store = "/absolute/path.db"            the database file, or
 *   store = "<name>"                       a [store."<name>"] section
 *                                          with type = "sqlite", path
 *   timeout = "5s"                         the busy timeout
 *
 * Storage: one row per principal with a casefolded UNIQUE name key;
 * secrets, auth_passwords, addresses, list memberships and groups in
 * child tables keyed by the principal (WITHOUT ROWID, so each lookup is
 * one B-tree seek per table); addresses are stored normalized (they are
 * their own case-insensitive key) and UNIQUE; local domains in their own
 * table, which every address written also adds to.  The schema is
 * versioned with PRAGMA user_version: MIGRATIONS[i] takes version i to
 * i + 1, run at open in one transaction; a database newer than this
 * build knows is refused, naming the file and both versions.
 *
 * Durability and concurrency: WAL, so readers never wait for a writer
 * and a writer waits only for another writer; synchronous = FULL, so a
 * write that returned success has been fsynced into the WAL and survives
 * a kill -9 or a power cut (NORMAL would lose the last transactions on a
 * power cut); foreign keys on.  Every write is BEGIN IMMEDIATE ... COMMIT:
 * the write lock is taken first and held only for that transaction.  A
 * lock still held past the busy timeout is SD_TEMPFAIL.
 *
 * Threads and processes: a connection is used by one thread at a time;
 * idle ones are kept in a small list under a mutex, and each thread
 * takes one (or opens one) per operation, so threads never share a
 * connection and never wait for each other here.  Fork: SQLite forbids
 * using a connection in a child process that was opened in the parent;
 * a pthread_atfork handler closes the idle connections before fork, and
 * a child that finds a connection of its parent (one in use by another
 * thread at the time of the fork) forgets it without touching it.
 *
 * Failure modes: an unreadable or corrupt file, an I/O error or a busy
 * database is SD_TEMPFAIL; a uniqueness conflict or bad stored data is
 * SD_ERROR naming the principal; configuration problems are reported as
 * configuration errors naming the key.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sd_address.h"
#include "sd_backend.h"
#include "sd_log.h"
#include "sd_secret.h"
#include "sd_sqlite.h"

#define DEFAULT_TIMEOUT_MS 5000u
/* Idle connections kept per directory; more are closed when released. */
#define MAX_IDLE 8
/* Bytes of the database each connection reads through mmap(2) (address
 * space, not memory; SQLite caps it at its compile-time maximum): enough
 * for some 3.5 million principals.  Writes still go through write(2). */
#define MMAP_SIZE 1073741824
/* Principals are created with this mode (owner only: they hold hashes). */
#define DATABASE_MODE 0600

/* ------------------------------------------------------------------ */
/* Schema                                                              */
/* ------------------------------------------------------------------ */

/* Version 1: the initial layout. */
static const char schema_v1[] =
    "CREATE TABLE principals ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " name_key TEXT NOT NULL UNIQUE,"
    " type INTEGER NOT NULL CHECK (type BETWEEN 0 AND 2),"
    " description TEXT,"
    " quota INTEGER NOT NULL DEFAULT 0 CHECK (quota >= 0));"
    "CREATE TABLE secrets ("
    " principal INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,"
    " position INTEGER NOT NULL,"
    " secret TEXT NOT NULL,"
    " PRIMARY KEY (principal, position)) WITHOUT ROWID;"
    "CREATE TABLE emails ("
    " address TEXT PRIMARY KEY,"
    " principal INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,"
    " position INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX emails_by_principal ON emails(principal, position);"
    "CREATE TABLE list_members ("
    " address TEXT NOT NULL,"
    " principal INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,"
    " position INTEGER NOT NULL,"
    " PRIMARY KEY (address, principal)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX list_members_by_principal"
    " ON list_members(principal, position);"
    "CREATE TABLE member_of ("
    " principal INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,"
    " position INTEGER NOT NULL,"
    " group_name TEXT NOT NULL,"
    " group_key TEXT NOT NULL,"
    " PRIMARY KEY (principal, position),"
    " UNIQUE (principal, group_key)) WITHOUT ROWID;"
    "CREATE INDEX member_of_by_group ON member_of(group_key);"
    "CREATE TABLE domains (domain TEXT PRIMARY KEY) WITHOUT ROWID;";

/* Version 2: SCRAM credentials (RFC 5803 authPassword values). */
static const char schema_v2[] =
    "CREATE TABLE auth_passwords ("
    " principal INTEGER NOT NULL REFERENCES principals(id) ON DELETE CASCADE,"
    " position INTEGER NOT NULL,"
    " value TEXT NOT NULL,"
    " PRIMARY KEY (principal, position)) WITHOUT ROWID;";

/* MIGRATIONS[i] takes a database from version i to version i + 1. */
static const char *const migrations[] = { schema_v1, schema_v2 };
#define SCHEMA_VERSION ((int)G_N_ELEMENTS(migrations))

int
sd_internal_schema_version(void)
{
    return SCHEMA_VERSION;
}

const char *
sd_internal_schema_sql(int version)
{
    return version >= 1 && version <= SCHEMA_VERSION
        ? migrations[version - 1] : NULL;
}

/* ------------------------------------------------------------------ */
/* Statements                                                          */
/* ------------------------------------------------------------------ */

typedef enum stmt_id {
    ST_BEGIN_READ, ST_BEGIN_WRITE, ST_COMMIT, ST_ROLLBACK,
    ST_LOOKUP, ST_PARTS, ST_RCPT_EMAIL, ST_RCPT_LIST, ST_DOMAIN,
    ST_EXPAND, ST_VERIFY,
    ST_ID_BY_KEY, ST_INSERT_PRINCIPAL, ST_UPDATE_PRINCIPAL,
    ST_DELETE_PRINCIPAL,
    ST_DELETE_SECRETS, ST_DELETE_AUTH, ST_DELETE_EMAILS, ST_DELETE_LISTS,
    ST_DELETE_MEMBER_OF, ST_DELETE_MEMBERSHIPS_OF_GROUP,
    ST_INSERT_SECRET, ST_INSERT_AUTH, ST_INSERT_EMAIL, ST_INSERT_LIST,
    ST_INSERT_MEMBER_OF, ST_INSERT_DOMAIN, ST_DELETE_DOMAIN,
    ST_ADDRESS_USE, ST_DOMAIN_USER,
    ST_ALL_PRINCIPALS, ST_ALL_DOMAINS,
    ST_COUNT
} stmt_id;

/* Parts of a principal, in one statement so a lookup is one snapshot:
 * kind 1 secrets, 2 auth_passwords, 3 emails, 4 lists, 5 member_of. */

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN_READ] = "BEGIN",
    [ST_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_LOOKUP] = "SELECT id, name, type, description, quota FROM principals"
                  " WHERE name_key = ?1",
    [ST_PARTS] = "SELECT 1, position, secret FROM secrets WHERE principal = ?1"
                 " UNION ALL SELECT 2, position, value FROM auth_passwords"
                 " WHERE principal = ?1"
                 " UNION ALL SELECT 3, position, address FROM emails"
                 " WHERE principal = ?1"
                 " UNION ALL SELECT 4, position, address FROM list_members"
                 " WHERE principal = ?1"
                 " UNION ALL SELECT 5, position, group_name FROM member_of"
                 " WHERE principal = ?1",
    [ST_RCPT_EMAIL] = "SELECT p.name FROM emails e JOIN principals p"
                      " ON p.id = e.principal WHERE e.address = ?1",
    [ST_RCPT_LIST] = "SELECT 1 FROM list_members WHERE address = ?1 LIMIT 1",
    [ST_DOMAIN] = "SELECT 1 FROM domains WHERE domain = ?1",
    [ST_EXPAND] = "SELECT (SELECT e.address FROM emails e"
                  " WHERE e.principal = l.principal ORDER BY e.position"
                  " LIMIT 1) FROM list_members l JOIN principals p"
                  " ON p.id = l.principal WHERE l.address = ?1"
                  " ORDER BY p.name_key",
    [ST_VERIFY] = "SELECT address FROM emails WHERE position = 0"
                  " AND instr(address, ?1) > 0 ORDER BY address",
    [ST_ID_BY_KEY] = "SELECT id, name FROM principals WHERE name_key = ?1",
    [ST_INSERT_PRINCIPAL] = "INSERT INTO principals (name, name_key, type,"
                            " description, quota) VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_UPDATE_PRINCIPAL] = "UPDATE principals SET name = ?1, name_key = ?2,"
                            " type = ?3, description = ?4, quota = ?5"
                            " WHERE id = ?6",
    [ST_DELETE_PRINCIPAL] = "DELETE FROM principals WHERE id = ?1",
    [ST_DELETE_SECRETS] = "DELETE FROM secrets WHERE principal = ?1",
    [ST_DELETE_AUTH] = "DELETE FROM auth_passwords WHERE principal = ?1",
    [ST_DELETE_EMAILS] = "DELETE FROM emails WHERE principal = ?1",
    [ST_DELETE_LISTS] = "DELETE FROM list_members WHERE principal = ?1",
    [ST_DELETE_MEMBER_OF] = "DELETE FROM member_of WHERE principal = ?1",
    [ST_DELETE_MEMBERSHIPS_OF_GROUP] = "DELETE FROM member_of"
                                       " WHERE group_key = ?1",
    [ST_INSERT_SECRET] = "INSERT INTO secrets (principal, position, secret)"
                         " VALUES (?1, ?2, ?3)",
    [ST_INSERT_AUTH] = "INSERT INTO auth_passwords (principal, position,"
                       " value) VALUES (?1, ?2, ?3)",
    [ST_INSERT_EMAIL] = "INSERT INTO emails (address, principal, position)"
                        " VALUES (?3, ?1, ?2)",
    [ST_INSERT_LIST] = "INSERT INTO list_members (address, principal,"
                       " position) VALUES (?3, ?1, ?2)",
    [ST_INSERT_MEMBER_OF] = "INSERT INTO member_of (principal, position,"
                            " group_name, group_key) VALUES (?1, ?2, ?3, ?4)",
    [ST_INSERT_DOMAIN] = "INSERT OR IGNORE INTO domains (domain) VALUES (?1)",
    [ST_DELETE_DOMAIN] = "DELETE FROM domains WHERE domain = ?1",
    [ST_ADDRESS_USE] = "SELECT p.name, 0 FROM emails e JOIN principals p"
                       " ON p.id = e.principal WHERE e.address = ?1"
                       " UNION ALL SELECT NULL, 1 FROM list_members"
                       " WHERE address = ?1 LIMIT 1",
    /* An address of DOMAIN (?1), mailbox or list: the domain is in use. */
    [ST_DOMAIN_USER] = "SELECT address FROM (SELECT address FROM emails"
                       " UNION ALL SELECT address FROM list_members)"
                       " WHERE substr(address, -length(?1) - 1) = '@' || ?1"
                       " LIMIT 1",
    [ST_ALL_PRINCIPALS] = "SELECT id, name, type, description, quota"
                          " FROM principals ORDER BY name_key",
    [ST_ALL_DOMAINS] = "SELECT domain FROM domains ORDER BY domain",
};

/* ------------------------------------------------------------------ */
/* Connections                                                         */
/* ------------------------------------------------------------------ */

typedef struct connection {
    sqlite3 *db;
    int generation;             /* the process_generation that opened it */
    sqlite3_stmt *stmts[ST_COUNT];
    GHashTable *domains_written;    /* in the current write transaction */
    uint64_t timeout_ms;        /* the busy timeout */
    bool nowait;                /* give up at once when busy */
    gint64 busy_since;          /* when the current wait began */
} connection;

typedef struct internal_directory {
    char *name;                 /* the directory's */
    char *path;                 /* the database file */
    uint64_t timeout_ms;
    GMutex lock;                /* guards idle and generation */
    GPtrArray *idle;            /* connection*, of generation */
    int generation;
} internal_directory;

/* Every open internal directory, for the fork handler. */
static GMutex all_lock;
static GPtrArray *all_directories;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
/* Counts the forks this process descends from (the atfork child handler
 * adds one): a connection of another generation belongs to an ancestor.
 * Cheaper than getpid(), a system call, twice per lookup. */
static int process_generation;

static void
connection_close(connection *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(c->stmts[i]);
    sqlite3_close_v2(c->db);
    g_hash_table_unref(c->domains_written);
    g_free(c);
}

static sd_result
db_fail(internal_directory *d, sqlite3 *db, int rc, GError **error)
{
    sd_result result = sd_sqlite_result(rc);
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        return sd_fail(error, result, "directory '%s': database %s is "
                       "locked by another writer for longer than the "
                       "timeout (%" G_GUINT64_FORMAT " ms)", d->name, d->path,
                       d->timeout_ms);
    return sd_fail(error, result, "directory '%s': database %s: %s",
                   d->name, d->path,
                   db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

static int
exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int
user_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            *version = sqlite3_column_int(stmt, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(stmt);
    return rc;
}

/*
 * Brings the schema of DB to SCHEMA_VERSION in one transaction (the
 * version is read again under the write lock: another process may have
 * migrated meanwhile), or refuses a newer one.
 */
static sd_result
migrate(internal_directory *d, sqlite3 *db, GError **error)
{
    int version = 0;
    int rc = user_version(db, &version);
    if (rc != SQLITE_OK)
        return db_fail(d, db, rc, error);
    if (version == SCHEMA_VERSION)
        return SD_OK;
    if (version < SCHEMA_VERSION) {
        rc = exec(db, "BEGIN IMMEDIATE");
        if (rc != SQLITE_OK)
            return db_fail(d, db, rc, error);
        rc = user_version(db, &version);
        for (int v = version; rc == SQLITE_OK && v < SCHEMA_VERSION; v++) {
            rc = exec(db, migrations[v]);
            if (rc == SQLITE_OK)
                sd_log(SD_LOG_INFO, "directory '%s': database %s upgraded "
                       "from schema version %d to %d", d->name, d->path, v,
                       v + 1);
        }
        if (rc == SQLITE_OK && version <= SCHEMA_VERSION) {
            char *set = g_strdup_printf("PRAGMA user_version = %d",
                                        SCHEMA_VERSION);
            rc = exec(db, set);
            g_free(set);
        }
        if (rc == SQLITE_OK)
            rc = exec(db, "COMMIT");
        if (rc != SQLITE_OK) {
            sd_result result = db_fail(d, db, rc, error);
            exec(db, "ROLLBACK");
            return result;
        }
    }
    if (version > SCHEMA_VERSION)
        return sd_fail(error, SD_ERROR, "directory '%s': database %s has "
                       "schema version %d, but this sasldir (%s) knows "
                       "versions up to %d: it was written by a newer "
                       "sasldir; use that version (or a backup)", d->name,
                       d->path, version, PACKAGE_VERSION, SCHEMA_VERSION);
    return SD_OK;
}

/*
 * Creates the database file with DATABASE_MODE when it does not exist,
 * so it is never briefly readable by others; the directory it is in is
 * left as it is.
 */
static sd_result
create_file(internal_directory *d, GError **error)
{
    int fd = open(d->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                  DATABASE_MODE);
    if (fd < 0 && errno == EEXIST)
        return SD_OK;
    if (fd < 0) {
        int saved = errno;
        char *dir = g_path_get_dirname(d->path);
        sd_result result = sd_fail(error, saved == ENOENT ? SD_ERROR
                                   : SD_TEMPFAIL,
                                   "directory '%s': cannot create database "
                                   "%s: %s%s%s", d->name, d->path,
                                   g_strerror(saved),
                                   saved == ENOENT ? "; create the directory "
                                   : "", saved == ENOENT ? dir : "");
        g_free(dir);
        return result;
    }
    if (fchmod(fd, DATABASE_MODE) != 0)
        sd_log(SD_LOG_WARNING, "directory '%s': cannot set mode %o on %s: %s",
               d->name, DATABASE_MODE, d->path, g_strerror(errno));
    close(fd);
    sd_log(SD_LOG_NOTICE, "directory '%s': created database %s", d->name,
           d->path);
    return SD_OK;
}

/* One short random sleep of a wait for a lock (see busy_handler). */
static void
busy_pause(int count)
{
    g_usleep((gulong)g_random_int_range(100, count < 100 ? 1000 : 2000));
}

/*
 * SQLite's busy handler: waits for a lock in short random sleeps until
 * the busy timeout.  SQLite's own sqlite3_busy_timeout() sleeps ever
 * longer (up to 100 ms), so a writer that waited once keeps losing the
 * lock to one that never did: two writers measured 8 and 1401 writes in
 * the same 4 s.  Random sleeps of 0.1 to 2 ms share the lock fairly.
 */
static int
busy_handler(void *context, int count)
{
    connection *c = context;
    gint64 now = g_get_monotonic_time();
    if (count == 0)
        c->busy_since = now;
    if (c->nowait
        || (uint64_t)(now - c->busy_since) >= c->timeout_ms * 1000)
        return 0;
    busy_pause(count);
    return 1;
}

/*
 * Puts C's database in WAL mode.  The mode is kept in the file, so this
 * changes something only at the database's first opening, when several
 * processes (forked servers loading the plugin, the CLI, the daemon) may
 * well race.  The switch reads the file's header, then upgrades that
 * read lock to the write lock; while another connection holds the write
 * lock, SQLite never waits for such an upgrade (the two could deadlock)
 * but answers SQLITE_BUSY at once, without calling the busy handler.
 * Two writers and two readers opening a new file together failed so in
 * 3 of 250 runs of tests/integration/internal-concurrency.test, with a
 * bogus "locked for longer than the timeout".  Retried here instead, up
 * to the timeout.
 */
static int
set_wal_mode(connection *c, sqlite3 *db)
{
    gint64 deadline = g_get_monotonic_time()
                      + (gint64)(c->timeout_ms * 1000);
    int rc;
    for (int count = 0;; count++) {
        rc = exec(db, "PRAGMA journal_mode = WAL");
        if ((rc & 0xff) != SQLITE_BUSY
            || g_get_monotonic_time() >= deadline)
            return rc;
        busy_pause(count);
    }
}

/*
 * Opens, configures and migrates a new connection.  Only the first one
 * (at open) may create the file: a database that disappears later is a
 * temporary failure, not a new empty directory that answers "no such
 * user" for everyone.
 */
static connection *
connection_open(internal_directory *d, bool create, GError **error)
{
    if (create && create_file(d, error) != SD_OK)
        return NULL;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(d->path, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    connection *c = g_new0(connection, 1);
    c->timeout_ms = d->timeout_ms;
    if (rc == SQLITE_OK) {
        sqlite3_busy_handler(db, busy_handler, c);
        sqlite3_extended_result_codes(db, 1);
        /* WAL persists in the file; asking again costs nothing. */
        rc = set_wal_mode(c, db);
    }
    /* Reads through a memory map, not a pread per page: an uncached
     * lookup touches some twenty B-tree pages (see MMAP_SIZE). */
    if (rc == SQLITE_OK)
        rc = exec(db, "PRAGMA foreign_keys = ON;"
                      "PRAGMA synchronous = FULL;"
                      "PRAGMA mmap_size = " G_STRINGIFY(MMAP_SIZE) ";"
                      "PRAGMA cache_size = -8192");
    if (rc != SQLITE_OK) {
        db_fail(d, db, rc, error);
        sqlite3_close_v2(db);
        g_free(c);
        return NULL;
    }
    if (migrate(d, db, error) != SD_OK) {
        sqlite3_close_v2(db);
        g_free(c);
        return NULL;
    }
    c->db = db;
    c->domains_written = g_hash_table_new_full(g_str_hash, g_str_equal,
                                               g_free, NULL);
    c->generation = g_atomic_int_get(&process_generation);
    return c;
}

/* The idle connections are the parent's: close them before fork, so a
 * child never inherits an open SQLite connection. */
static void
atfork_prepare(void)
{
    g_mutex_lock(&all_lock);
    for (guint i = 0; all_directories != NULL && i < all_directories->len;
         i++) {
        internal_directory *d = g_ptr_array_index(all_directories, i);
        g_mutex_lock(&d->lock);
        if (d->generation == g_atomic_int_get(&process_generation))
            g_ptr_array_set_size(d->idle, 0);
        g_mutex_unlock(&d->lock);
    }
}

static void
atfork_parent(void)
{
    g_mutex_unlock(&all_lock);
}

static void
atfork_child(void)
{
    g_atomic_int_inc(&process_generation);
    g_mutex_unlock(&all_lock);
}

static void
register_atfork(void)
{
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* A connection for this thread's use: an idle one, or a new one. */
static connection *
acquire(internal_directory *d, GError **error)
{
    connection *c = NULL;
    int generation = g_atomic_int_get(&process_generation);
    g_mutex_lock(&d->lock);
    if (d->generation != generation) {
        /* A child: the parent's connections are not ours to use or to
         * close; forget them. */
        g_ptr_array_set_free_func(d->idle, NULL);
        g_ptr_array_set_size(d->idle, 0);
        g_ptr_array_set_free_func(d->idle, (GDestroyNotify)connection_close);
        d->generation = generation;
    }
    if (d->idle->len > 0)
        c = g_ptr_array_steal_index_fast(d->idle, d->idle->len - 1);
    g_mutex_unlock(&d->lock);
    return c != NULL ? c : connection_open(d, false, error);
}

/* Gives C back; one in an unknown state (BROKEN) is closed instead. */
static void
release(internal_directory *d, connection *c, bool broken)
{
    if (c->generation != g_atomic_int_get(&process_generation))
        return;     /* inherited across fork: leave it alone */
    if (!broken && sqlite3_get_autocommit(c->db) == 0) {
        exec(c->db, "ROLLBACK");
        broken = sqlite3_get_autocommit(c->db) == 0;
    }
    g_mutex_lock(&d->lock);
    if (!broken && d->generation == c->generation
        && d->idle->len < MAX_IDLE) {
        g_ptr_array_add(d->idle, c);
        c = NULL;
    }
    g_mutex_unlock(&d->lock);
    connection_close(c);
}

/* The prepared statement ID of C, reset and unbound. */
static sqlite3_stmt *
stmt(internal_directory *d, connection *c, stmt_id id, GError **error)
{
    if (c->stmts[id] == NULL) {
        int rc = sqlite3_prepare_v3(c->db, stmt_sql[id], -1,
                                    SQLITE_PREPARE_PERSISTENT, &c->stmts[id],
                                    NULL);
        if (rc != SQLITE_OK) {
            db_fail(d, c->db, rc, error);
            return NULL;
        }
    } else {
        sqlite3_reset(c->stmts[id]);
        sqlite3_clear_bindings(c->stmts[id]);
    }
    return c->stmts[id];
}

static void
bind_text(sqlite3_stmt *s, int index, const char *text)
{
    if (text == NULL)
        sqlite3_bind_null(s, index);
    else
        sqlite3_bind_text(s, index, text, -1, SQLITE_STATIC);
}

/* Runs a statement that returns no rows (or ignores them). */
static sd_result
run(internal_directory *d, connection *c, sqlite3_stmt *s, GError **error)
{
    if (s == NULL)
        return SD_ERROR;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        rc = SQLITE_DONE;
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return db_fail(d, c->db, rc, error);
    return SD_OK;
}

/* Runs statement S like run(), but a failure whose extended code is
 * CONFLICT (a constraint) sets *CONFLICTED and is no error: the caller
 * looks up what it collided with, to name it.  SQLite undoes only the
 * failed statement; the transaction stays open. */
static sd_result
run_or_conflict(internal_directory *d, connection *c, sqlite3_stmt *s,
                int conflict, bool *conflicted, GError **error)
{
    *conflicted = false;
    if (s == NULL)
        return SD_ERROR;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        rc = SQLITE_DONE;
    if (rc != SQLITE_DONE)
        rc = sqlite3_extended_errcode(c->db);
    sqlite3_reset(s);
    if (rc == conflict) {
        *conflicted = true;
        return SD_OK;
    }
    if (rc != SQLITE_DONE)
        return db_fail(d, c->db, rc, error);
    return SD_OK;
}

/* The fixed statements, run by id. */
static sd_result
run_id(internal_directory *d, connection *c, stmt_id id, GError **error)
{
    return run(d, c, stmt(d, c, id, error), error);
}

/* ------------------------------------------------------------------ */
/* Keys                                                                */
/* ------------------------------------------------------------------ */

/* NAME casefolded, as names are unique and match (the same fold the
 * generic layer's cache keys use: ASCII names lowercased). */
static char *
name_key(const char *name)
{
    for (const char *p = name; *p != '\0'; p++)
        if ((unsigned char)*p >= 0x80)
            return g_utf8_casefold(name, -1);
    return g_ascii_strdown(name, -1);
}

/* The domain of a normalized address ("" for none). */
static const char *
address_domain(const char *address)
{
    const char *at = strrchr(address, '@');
    return at != NULL ? at + 1 : "";
}

/* ------------------------------------------------------------------ */
/* Reading a principal                                                 */
/* ------------------------------------------------------------------ */

static const char *
column_text(sqlite3_stmt *s, int column)
{
    return (const char *)sqlite3_column_text(s, column);
}

/* The principal of the current row of S (id, name, type, description,
 * quota), without its parts. */
static sd_principal *
principal_from_row(sqlite3_stmt *s, sqlite3_int64 *id)
{
    *id = sqlite3_column_int64(s, 0);
    int type = sqlite3_column_int(s, 2);
    sd_principal *p = sd_principal_new(column_text(s, 1),
                                       type >= SD_PRINCIPAL_INDIVIDUAL
                                       && type <= SD_PRINCIPAL_ADMIN
                                       ? (sd_principal_type)type
                                       : SD_PRINCIPAL_INDIVIDUAL);
    if (sqlite3_column_type(s, 3) != SQLITE_NULL)
        p->description = g_strdup(column_text(s, 3));
    sqlite3_int64 quota = sqlite3_column_int64(s, 4);
    p->quota = quota > 0 ? (uint64_t)quota : 0;
    return p;
}

/* Reads the secrets, addresses, lists and groups of principal ID. */
static sd_result
read_parts(internal_directory *d, connection *c, stmt_id id_stmt,
           sqlite3_int64 id, sd_principal *p, GError **error)
{
    sqlite3_stmt *s = stmt(d, c, id_stmt, error);
    if (s == NULL)
        return SD_ERROR;
    sqlite3_bind_int64(s, 1, id);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *value = column_text(s, 2);
        GPtrArray *to = NULL;
        switch (sqlite3_column_int(s, 0)) {
        case 1: to = p->secrets; break;
        case 2: to = p->auth_passwords; break;
        case 3: to = p->emails; break;
        case 4: to = p->lists; break;
        case 5: to = p->member_of; break;
        }
        /* Rows come in index order; placing each at its position keeps
         * the order without an ORDER BY (a sorter per lookup). */
        sqlite3_int64 position = sqlite3_column_int64(s, 1);
        if (to == NULL || value == NULL || position < 0
            || position >= 1000000)
            continue;
        if ((guint)position >= to->len)
            g_ptr_array_set_size(to, (guint)position + 1);
        if (to->pdata[position] == NULL)
            to->pdata[position] = g_strdup(value);
    }
    sqlite3_reset(s);
    /* Positions are written 0..n-1; a gap (a damaged file) is closed. */
    GPtrArray *parts[] = { p->secrets, p->auth_passwords, p->emails,
                           p->lists, p->member_of };
    for (size_t k = 0; k < G_N_ELEMENTS(parts); k++)
        while (g_ptr_array_remove(parts[k], NULL))
            ;
    if (rc != SQLITE_DONE)
        return db_fail(d, c->db, rc, error);
    return SD_OK;
}

/* NAME's principal as stored, on C (inside a transaction or not). */
static sd_result
load_principal(internal_directory *d, connection *c, const char *name,
               sd_principal **principal, sqlite3_int64 *id_out,
               GError **error)
{
    sqlite3_stmt *s = stmt(d, c, ST_LOOKUP, error);
    if (s == NULL)
        return SD_ERROR;
    char *key = name_key(name);
    bind_text(s, 1, key);
    int rc = sqlite3_step(s);
    sd_result result = SD_NOTFOUND;
    sd_principal *p = NULL;
    sqlite3_int64 id = 0;
    if (rc == SQLITE_ROW) {
        p = principal_from_row(s, &id);
        result = SD_OK;
    } else if (rc != SQLITE_DONE) {
        result = db_fail(d, c->db, rc, error);
    }
    sqlite3_reset(s);
    g_free(key);
    if (result == SD_OK)
        result = read_parts(d, c, ST_PARTS, id, p, error);
    if (result != SD_OK) {
        sd_principal_free(p);
        return result;
    }
    *principal = p;
    if (id_out != NULL)
        *id_out = id;
    return SD_OK;
}

static sd_result
internal_lookup(void *state, const char *name, sd_principal **principal,
                GError **error)
{
    internal_directory *d = state;
    connection *c = acquire(d, error);
    if (c == NULL)
        return SD_TEMPFAIL;
    /* One read transaction: the principal and its parts are one
     * snapshot even while a writer replaces them. */
    sd_result result = run_id(d, c, ST_BEGIN_READ, error);
    if (result == SD_OK) {
        result = load_principal(d, c, name, principal, NULL, error);
        sd_result end = run_id(d, c, ST_COMMIT, NULL);
        if (end != SD_OK && result == SD_OK) {
            sd_principal_free(*principal);
            *principal = NULL;
            result = end;
            sd_fail(error, end, "directory '%s': database %s: cannot end "
                    "a read transaction", d->name, d->path);
        }
    }
    release(d, c, false);
    return result;
}

static sd_result
internal_rcpt(void *state, const char *address, char **owner, GError **error)
{
    internal_directory *d = state;
    connection *c = acquire(d, error);
    if (c == NULL)
        return SD_TEMPFAIL;
    sd_result result = SD_NOTFOUND;
    sqlite3_stmt *s = stmt(d, c, ST_RCPT_EMAIL, error);
    int rc = SQLITE_DONE;
    if (s == NULL) {
        result = SD_ERROR;
    } else {
        bind_text(s, 1, address);
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            if (owner != NULL)
                *owner = g_strdup(column_text(s, 0));
            result = SD_OK;
        }
        sqlite3_reset(s);
    }
    if (result == SD_NOTFOUND && rc == SQLITE_DONE) {
        s = stmt(d, c, ST_RCPT_LIST, error);
        if (s == NULL) {
            result = SD_ERROR;
        } else {
            bind_text(s, 1, address);
            rc = sqlite3_step(s);
            if (rc == SQLITE_ROW) {
                if (owner != NULL)
                    *owner = NULL;
                result = SD_OK;
            }
            sqlite3_reset(s);
        }
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        result = db_fail(d, c->db, rc, error);
    release(d, c, false);
    return result;
}

/* Runs statement ID with TEXT bound and appends the first column of
 * every row to OUT (when not NULL); *ROWS counts the rows. */
static sd_result
collect(internal_directory *d, stmt_id id, const char *text, GPtrArray *out,
        guint *rows, GError **error)
{
    connection *c = acquire(d, error);
    if (c == NULL)
        return SD_TEMPFAIL;
    sqlite3_stmt *s = stmt(d, c, id, error);
    sd_result result = s != NULL ? SD_OK : SD_ERROR;
    *rows = 0;
    if (s != NULL) {
        if (text != NULL)
            bind_text(s, 1, text);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            (*rows)++;
            if (out != NULL && sqlite3_column_type(s, 0) != SQLITE_NULL)
                g_ptr_array_add(out, g_strdup(column_text(s, 0)));
        }
        sqlite3_reset(s);
        if (rc != SQLITE_DONE)
            result = db_fail(d, c->db, rc, error);
    }
    release(d, c, false);
    return result;
}

static sd_result
internal_is_local_domain(void *state, const char *domain, GError **error)
{
    guint rows = 0;
    sd_result result = collect(state, ST_DOMAIN, domain, NULL, &rows, error);
    return result == SD_OK && rows == 0 ? SD_NOTFOUND : result;
}

static sd_result
internal_expand(void *state, const char *address, GPtrArray *members,
                GError **error)
{
    guint rows = 0;
    sd_result result = collect(state, ST_EXPAND, address, members, &rows,
                               error);
    return result == SD_OK && rows == 0 ? SD_NOTFOUND : result;
}

static sd_result
internal_verify(void *state, const char *partial, GPtrArray *matches,
                GError **error)
{
    guint rows = 0;
    return collect(state, ST_VERIFY, partial, matches, &rows, error);
}

static sd_result
internal_list_domains(void *state, GPtrArray *domains, GError **error)
{
    guint rows = 0;
    return collect(state, ST_ALL_DOMAINS, NULL, domains, &rows, error);
}

static sd_result
internal_list_principals(void *state, GPtrArray *principals, GError **error)
{
    internal_directory *d = state;
    connection *c = acquire(d, error);
    if (c == NULL)
        return SD_TEMPFAIL;
    sd_result result = run_id(d, c, ST_BEGIN_READ, error);
    sqlite3_stmt *s = result == SD_OK ? stmt(d, c, ST_ALL_PRINCIPALS, error)
                                      : NULL;
    if (result == SD_OK && s == NULL)
        result = SD_ERROR;
    /* The principals first, then their parts, in one read transaction:
     * one statement open at a time. */
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(sqlite3_int64));
    guint first = principals->len;
    if (result == SD_OK) {
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            sqlite3_int64 id;
            g_ptr_array_add(principals, principal_from_row(s, &id));
            g_array_append_val(ids, id);
        }
        sqlite3_reset(s);
        if (rc != SQLITE_DONE)
            result = db_fail(d, c->db, rc, error);
    }
    for (guint i = 0; result == SD_OK && i < ids->len; i++)
        result = read_parts(d, c, ST_PARTS,
                            g_array_index(ids, sqlite3_int64, i),
                            g_ptr_array_index(principals, first + i), error);
    g_array_free(ids, TRUE);
    if (sqlite3_get_autocommit(c->db) == 0)
        run_id(d, c, ST_COMMIT, NULL);
    if (result != SD_OK)
        g_ptr_array_set_size(principals, first);
    release(d, c, false);
    return result;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

/* BEGIN IMMEDIATE (the write lock now, waiting up to the timeout, or at
 * once when NOWAIT). */
static sd_result
begin_write(internal_directory *d, connection *c, bool nowait,
            GError **error)
{
    g_hash_table_remove_all(c->domains_written);
    c->nowait = nowait;
    sd_result result = run_id(d, c, ST_BEGIN_WRITE, error);
    c->nowait = false;
    return result;
}

/* COMMIT on success, else ROLLBACK; returns the final result. */
static sd_result
end_write(internal_directory *d, connection *c, sd_result result,
          GError **error)
{
    if (result == SD_OK) {
        result = run_id(d, c, ST_COMMIT, error);
        if (result == SD_OK)
            return SD_OK;
    }
    if (sqlite3_get_autocommit(c->db) == 0)
        run_id(d, c, ST_ROLLBACK, NULL);
    return result;
}

/* The id and stored name of the principal whose key is KEY; SD_NOTFOUND
 * when there is none. */
static sd_result
find_id(internal_directory *d, connection *c, const char *key,
        sqlite3_int64 *id, char **stored_name, GError **error)
{
    sqlite3_stmt *s = stmt(d, c, ST_ID_BY_KEY, error);
    if (s == NULL)
        return SD_ERROR;
    bind_text(s, 1, key);
    int rc = sqlite3_step(s);
    sd_result result = SD_NOTFOUND;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        if (stored_name != NULL)
            *stored_name = g_strdup(column_text(s, 1));
        result = SD_OK;
    } else if (rc != SQLITE_DONE) {
        result = db_fail(d, c->db, rc, error);
    }
    sqlite3_reset(s);
    return result;
}

/* Inserts the strings of VALUES as rows (principal ID, position, value
 * [, key]) with statement INSERT. */
static sd_result
insert_values(internal_directory *d, connection *c, stmt_id insert,
              sqlite3_int64 id, const GPtrArray *values, GError **error)
{
    for (guint i = 0; i < values->len; i++) {
        sqlite3_stmt *s = stmt(d, c, insert, error);
        if (s == NULL)
            return SD_ERROR;
        const char *value = g_ptr_array_index(values, i);
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
        bind_text(s, 3, value);
        char *key = NULL;
        if (insert == ST_INSERT_MEMBER_OF) {
            key = name_key(value);
            bind_text(s, 4, key);
        }
        sd_result result = run(d, c, s, error);
        g_free(key);
        if (result != SD_OK)
            return result;
    }
    return SD_OK;
}

/*
 * What ADDRESS is already, in one statement: *OWNER (free it) the name of
 * the principal it is a mailbox or alias of, or *IS_LIST when it is a
 * mailing list.  The principal being written has had its own rows
 * deleted first, so an owner found is always another principal.
 */
static sd_result
address_use(internal_directory *d, connection *c, const char *address,
            char **owner, bool *is_list, GError **error)
{
    *owner = NULL;
    *is_list = false;
    sqlite3_stmt *s = stmt(d, c, ST_ADDRESS_USE, error);
    if (s == NULL)
        return SD_ERROR;
    bind_text(s, 1, address);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_int(s, 1) == 0)
            *owner = g_strdup(column_text(s, 0));
        else
            *is_list = true;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(d, c->db, rc, error);
    return SD_OK;
}

/* Is ADDRESS free to be a mailbox or alias (LIST false) or a list of
 * principal NAME? */
static sd_result
check_address(internal_directory *d, connection *c, const char *address,
              bool list, const char *name, GError **error)
{
    char *owner = NULL;
    bool is_list = false;
    sd_result result = address_use(d, c, address, &owner, &is_list, error);
    if (result == SD_OK && owner != NULL)
        result = sd_fail(error, SD_ERROR, "directory '%s': %saddress %s "
                         "already belongs to principal %s (storing %s)",
                         d->name, list ? "list " : "", address, owner, name);
    else if (result == SD_OK && is_list && !list)
        result = sd_fail(error, SD_ERROR, "directory '%s': address %s is "
                         "already a mailing list (storing %s)", d->name,
                         address, name);
    g_free(owner);
    return result;
}

static sd_result
insert_domain(internal_directory *d, connection *c, const char *domain,
              GError **error)
{
    /* An import adds the same few domains a million times: once per
     * transaction is enough. */
    if (g_hash_table_contains(c->domains_written, domain))
        return SD_OK;
    g_hash_table_add(c->domains_written, g_strdup(domain));
    sqlite3_stmt *s = stmt(d, c, ST_INSERT_DOMAIN, error);
    if (s == NULL)
        return SD_ERROR;
    bind_text(s, 1, domain);
    return run(d, c, s, error);
}

/* Is ADDRESS some principal's mailing list? */
static sd_result
is_list_address(internal_directory *d, connection *c, const char *address,
                bool *is_list, GError **error)
{
    *is_list = false;
    sqlite3_stmt *s = stmt(d, c, ST_RCPT_LIST, error);
    if (s == NULL)
        return SD_ERROR;
    bind_text(s, 1, address);
    int rc = sqlite3_step(s);
    *is_list = rc == SQLITE_ROW;
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(d, c->db, rc, error);
    return SD_OK;
}

/* Inserts mailbox or alias ADDRESS (position I) of P (principal ID).
 * The address is the table's primary key: the insert itself is the
 * uniqueness check, and only when it fails is the holder looked up, so
 * that the error names it. */
static sd_result
insert_email(internal_directory *d, connection *c, const sd_principal *p,
             sqlite3_int64 id, guint i, const char *address, GError **error)
{
    bool is_list = false;
    /* Its own lists were deleted with its other parts (or never were). */
    if (sd_string_list_contains(p->lists, address))
        return sd_fail(error, SD_ERROR, "directory '%s': address %s is "
                       "already a mailing list (storing %s)", d->name,
                       address, p->name);
    sd_result result = is_list_address(d, c, address, &is_list, error);
    if (result == SD_OK && is_list)
        return sd_fail(error, SD_ERROR, "directory '%s': address %s is "
                       "already a mailing list (storing %s)", d->name,
                       address, p->name);
    sqlite3_stmt *s = result == SD_OK ? stmt(d, c, ST_INSERT_EMAIL, error)
                                      : NULL;
    if (s == NULL)
        return SD_ERROR;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)i);
    bind_text(s, 3, address);
    bool taken = false;
    result = run_or_conflict(d, c, s, SQLITE_CONSTRAINT_PRIMARYKEY, &taken,
                             error);
    if (result == SD_OK && taken) {
        result = check_address(d, c, address, false, p->name, error);
        /* Taken, yet no holder found: still a failure. */
        if (result == SD_OK)
            result = sd_fail(error, SD_ERROR, "directory '%s': address %s "
                             "is given twice (storing %s)", d->name, address,
                             p->name);
    }
    return result;
}

/* Writes the addresses of P (principal ID): a conflict names the
 * principal holding the address. */
static sd_result
write_addresses(internal_directory *d, connection *c, const sd_principal *p,
                sqlite3_int64 id, GError **error)
{
    sd_result result = SD_OK;
    for (guint i = 0; result == SD_OK && i < p->emails->len; i++) {
        const char *address = g_ptr_array_index(p->emails, i);
        result = insert_email(d, c, p, id, i, address, error);
        if (result == SD_OK && *address_domain(address) != '\0')
            result = insert_domain(d, c, address_domain(address), error);
    }
    for (guint i = 0; result == SD_OK && i < p->lists->len; i++) {
        const char *address = g_ptr_array_index(p->lists, i);
        result = check_address(d, c, address, true, p->name, error);
        if (result == SD_OK && *address_domain(address) != '\0')
            result = insert_domain(d, c, address_domain(address), error);
    }
    if (result == SD_OK)
        result = insert_values(d, c, ST_INSERT_LIST, id, p->lists, error);
    return result;
}

static void
bind_fields(sqlite3_stmt *s, const sd_principal *p, const char *key)
{
    bind_text(s, 1, p->name);
    bind_text(s, 2, key);
    sqlite3_bind_int(s, 3, (int)p->type);
    bind_text(s, 4, p->description);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)MIN(p->quota,
                                                (uint64_t)INT64_MAX));
}

/* Deletes the rows of every part of principal ID. */
static sd_result
delete_parts(internal_directory *d, connection *c, sqlite3_int64 id,
             GError **error)
{
    static const stmt_id parts[] = {
        ST_DELETE_SECRETS, ST_DELETE_AUTH, ST_DELETE_EMAILS,
        ST_DELETE_LISTS, ST_DELETE_MEMBER_OF,
    };
    for (size_t i = 0; i < G_N_ELEMENTS(parts); i++) {
        sqlite3_stmt *s = stmt(d, c, parts[i], error);
        if (s == NULL)
            return SD_ERROR;
        sqlite3_bind_int64(s, 1, id);
        sd_result result = run(d, c, s, error);
        if (result != SD_OK)
            return result;
    }
    return SD_OK;
}

/* Inserts P as a new principal; *TAKEN when its name's key is already
 * stored (the unique index on name_key is the check: a new principal,
 * the common case of an import, costs no lookup and no deletes). */
static sd_result
insert_principal(internal_directory *d, connection *c, const sd_principal *p,
                 const char *key, sqlite3_int64 *id, bool *taken,
                 GError **error)
{
    sqlite3_stmt *s = stmt(d, c, ST_INSERT_PRINCIPAL, error);
    if (s == NULL)
        return SD_ERROR;
    bind_fields(s, p, key);
    sd_result result = run_or_conflict(d, c, s, SQLITE_CONSTRAINT_UNIQUE,
                                       taken, error);
    if (result == SD_OK && !*taken)
        *id = sqlite3_last_insert_rowid(c->db);
    return result;
}

/* Replaces the stored principal ID by P: its parts are deleted, its
 * fields updated. */
static sd_result
update_principal(internal_directory *d, connection *c, const sd_principal *p,
                 const char *key, sqlite3_int64 id, GError **error)
{
    sd_result result = delete_parts(d, c, id, error);
    sqlite3_stmt *s = result == SD_OK ? stmt(d, c, ST_UPDATE_PRINCIPAL,
                                             error)
                                      : NULL;
    if (s == NULL)
        return SD_ERROR;
    bind_fields(s, p, key);
    sqlite3_bind_int64(s, 6, id);
    return run(d, c, s, error);
}

/* The insert of P collided, yet no row has its key: a damaged index. */
static sd_result
collides_with_nothing(internal_directory *d, const sd_principal *p,
                      GError **error)
{
    return sd_fail(error, SD_ERROR, "directory '%s': database %s: principal "
                   "%s collides with no stored name", d->name, d->path,
                   p->name);
}

/* An update or merge may change everything but the name's key: NAME's
 * key was KEY before, P is what is to be written. */
static sd_result
check_not_renamed(internal_directory *d, const char *name, const char *key,
                  const sd_principal *p, const char *what, GError **error)
{
    char *after = name_key(p->name);
    sd_result result = strcmp(key, after) == 0
        ? SD_OK
        : sd_fail(error, SD_ERROR, "directory '%s': %s cannot rename %s",
                  d->name, what, name);
    g_free(after);
    return result;
}

/* Writes the row of P in the open transaction of C, as MODE says; *ID
 * its id. */
static sd_result
write_row(internal_directory *d, connection *c, const sd_principal *p,
          sd_store_mode mode, const char *key, sqlite3_int64 *id,
          GError **error)
{
    bool exists = false;
    char *existing = NULL;
    sd_result result = SD_OK;
    if (mode != SD_STORE_REPLACE)
        result = insert_principal(d, c, p, key, id, &exists, error);
    if (result == SD_OK && (mode == SD_STORE_REPLACE || exists)) {
        result = find_id(d, c, key, id, &existing, error);
        exists = result == SD_OK;
        if (result == SD_NOTFOUND && mode == SD_STORE_REPLACE)
            result = sd_fail(error, SD_NOTFOUND, "directory '%s': no "
                             "principal named '%s'", d->name, p->name);
        else if (result == SD_NOTFOUND)
            result = collides_with_nothing(d, p, error);
    }
    if (result == SD_OK && exists && mode == SD_STORE_CREATE)
        result = sd_fail(error, SD_ERROR, "directory '%s': principal %s "
                         "already exists%s%s%s", d->name, p->name,
                         strcmp(existing, p->name) != 0 ? " (as " : "",
                         strcmp(existing, p->name) != 0 ? existing : "",
                         strcmp(existing, p->name) != 0 ? ")" : "");
    else if (result == SD_OK && exists)
        result = update_principal(d, c, p, key, *id, error);
    g_free(existing);
    return result;
}

/* Inserts P's secrets, credentials, groups and addresses for row ID
 * (which has none). */
static sd_result
write_parts(internal_directory *d, connection *c, const sd_principal *p,
            sqlite3_int64 id, GError **error)
{
    sd_result result = insert_values(d, c, ST_INSERT_SECRET, id, p->secrets,
                                     error);
    if (result == SD_OK)
        result = insert_values(d, c, ST_INSERT_AUTH, id, p->auth_passwords,
                               error);
    if (result == SD_OK)
        result = insert_values(d, c, ST_INSERT_MEMBER_OF, id, p->member_of,
                               error);
    if (result == SD_OK)
        result = write_addresses(d, c, p, id, error);
    return result;
}

/* Writes P in the open transaction of C, as MODE says. */
static sd_result
write_principal(internal_directory *d, connection *c, const sd_principal *p,
                sd_store_mode mode, GError **error)
{
    char *key = name_key(p->name);
    sqlite3_int64 id = 0;
    sd_result result = write_row(d, c, p, mode, key, &id, error);
    g_free(key);
    return result == SD_OK ? write_parts(d, c, p, id, error) : result;
}

/* Writes GIVEN, or MERGE's result when GIVEN's name is stored: both in
 * the open transaction of C, so nothing comes between read and write. */
static sd_result
merge_principal(internal_directory *d, connection *c, guint index,
                const sd_principal *given,
                sd_principal *(*merge)(void *context, guint index,
                                       const sd_principal *stored,
                                       const sd_principal *given),
                void *context, GError **error)
{
    /* The insert first: a new name, as in a bulk load, costs no read. */
    char *key = name_key(given->name);
    sqlite3_int64 id = 0;
    bool taken = false;
    sd_result result = insert_principal(d, c, given, key, &id, &taken,
                                        error);
    sd_principal *stored = NULL;
    if (result == SD_OK && taken) {
        result = load_principal(d, c, given->name, &stored, &id, error);
        if (result == SD_NOTFOUND)
            result = collides_with_nothing(d, given, error);
    }
    if (result == SD_OK && stored == NULL) {
        result = write_parts(d, c, given, id, error);
    } else if (result == SD_OK) {
        /* The row is known: replaced in place, as write_row would after
         * colliding with it again. */
        sd_principal *merged = merge(context, index, stored, given);
        result = check_not_renamed(d, given->name, key, merged, "a merge",
                                   error);
        if (result == SD_OK)
            result = update_principal(d, c, merged, key, id, error);
        if (result == SD_OK)
            result = write_parts(d, c, merged, id, error);
        sd_principal_free(merged);
    }
    sd_principal_free(stored);
    g_free(key);
    return result;
}

static sd_result
internal_store_principals(void *state, GPtrArray *domains,
                          GPtrArray *principals, sd_store_mode mode,
                          sd_principal *(*merge)(void *context, guint index,
                                                 const sd_principal *stored,
                                                 const sd_principal *given),
                          void *merge_context, guint *failed, GError **error)
{
    internal_directory *d = state;
    *failed = principals->len;
    connection *c = acquire(d, error);
    if (c == NULL)
        return SD_TEMPFAIL;
    sd_result result = begin_write(d, c, false, error);
    for (guint i = 0; result == SD_OK && i < domains->len; i++)
        result = insert_domain(d, c, g_ptr_array_index(domains, i), error);
    for (guint i = 0; result == SD_OK && i < principals->len; i++) {
        const sd_principal *given = g_ptr_array_index(principals, i);
        result = merge != NULL
            ? merge_principal(d, c, i, given, merge, merge_context, error)
            : write_principal(d, c, given, mode, error);
        if (result != SD_OK)
            *failed = i;
    }
    result = end_write(d, c, result, error);
    release(d, c, false);
    return result;
}

static sd_result
internal_store_update(void *state, const char *name,
                      sd_result (*edit)(void *context,
                                        sd_principal *principal,
                                        GError **error),
                      void *context, bool nowait, GError **error)
{
    internal_directory *d = state;
    connection *c = acquire(d, error);
    if (c == NULL)
        return SD_TEMPFAIL;
    sd_principal *p = NULL;
    sd_result result = begin_write(d, c, nowait, error);
    if (result == SD_OK) {
        result = load_principal(d, c, name, &p, NULL, error);
        if (result == SD_NOTFOUND)
            sd_fail(error, SD_NOTFOUND, "directory '%s': no principal "
                    "named '%s'", d->name, name);
    }
    if (result == SD_OK) {
        char *before = name_key(p->name);
        result = edit(context, p, error);
        if (result == SD_OK)
            result = check_not_renamed(d, name, before, p, "an update",
                                       error);
        g_free(before);
    }
    if (result == SD_OK)
        result = write_principal(d, c, p, SD_STORE_REPLACE, error);
    sd_principal_free(p);
    result = end_write(d, c, result, error);
    release(d, c, false);
    return result;
}

static sd_result
internal_store_delete(void *state, const char *name, GError **error)
{
    internal_directory *d = state;
    connection *c = acquire(d, error);
    if (c == NULL)
        return SD_TEMPFAIL;
    char *key = name_key(name);
    sqlite3_int64 id = 0;
    sd_result result = begin_write(d, c, false, error);
    if (result == SD_OK) {
        result = find_id(d, c, key, &id, NULL, error);
        if (result == SD_NOTFOUND)
            sd_fail(error, SD_NOTFOUND, "directory '%s': no principal "
                    "named '%s'", d->name, name);
    }
    if (result == SD_OK) {
        sqlite3_stmt *s = stmt(d, c, ST_DELETE_PRINCIPAL, error);
        if (s != NULL)
            sqlite3_bind_int64(s, 1, id);
        result = run(d, c, s, error);
    }
    if (result == SD_OK) {
        /* Its members are no longer in the group it was. */
        sqlite3_stmt *s = stmt(d, c, ST_DELETE_MEMBERSHIPS_OF_GROUP, error);
        if (s != NULL)
            bind_text(s, 1, key);
        result = run(d, c, s, error);
    }
    result = end_write(d, c, result, error);
    g_free(key);
    release(d, c, false);
    return result;
}

static sd_result
internal_store_domain(void *state, const char *domain, bool add,
                      GError **error)
{
    internal_directory *d = state;
    connection *c = acquire(d, error);
    if (c == NULL)
        return SD_TEMPFAIL;
    sd_result result = begin_write(d, c, false, error);
    if (result == SD_OK && add) {
        result = insert_domain(d, c, domain, error);
    } else if (result == SD_OK) {
        sqlite3_stmt *s = stmt(d, c, ST_DOMAIN_USER, error);
        int rc = SQLITE_DONE;
        if (s == NULL) {
            result = SD_ERROR;
        } else {
            bind_text(s, 1, domain);
            rc = sqlite3_step(s);
            if (rc == SQLITE_ROW)
                result = sd_fail(error, SD_ERROR, "directory '%s': domain "
                                 "%s is still in use (address %s); remove "
                                 "its addresses first", d->name, domain,
                                 column_text(s, 0));
            else if (rc != SQLITE_DONE)
                result = db_fail(d, c->db, rc, error);
            sqlite3_reset(s);
        }
        if (result == SD_OK) {
            s = stmt(d, c, ST_DELETE_DOMAIN, error);
            if (s != NULL)
                bind_text(s, 1, domain);
            result = run(d, c, s, error);
            if (result == SD_OK && sqlite3_changes(c->db) == 0)
                result = sd_fail(error, SD_NOTFOUND, "directory '%s': %s is "
                                 "not a local domain", d->name, domain);
        }
    }
    result = end_write(d, c, result, error);
    release(d, c, false);
    return result;
}

/* ------------------------------------------------------------------ */
/* Opening                                                             */
/* ------------------------------------------------------------------ */

static void
internal_close(void *state)
{
    internal_directory *d = state;
    if (d == NULL)
        return;
    g_mutex_lock(&all_lock);
    if (all_directories != NULL)
        g_ptr_array_remove_fast(all_directories, d);
    g_mutex_unlock(&all_lock);
    if (d->idle != NULL) {
        if (d->generation != g_atomic_int_get(&process_generation))
            g_ptr_array_set_free_func(d->idle, NULL);
        g_ptr_array_unref(d->idle);
    }
    g_mutex_clear(&d->lock);
    g_free(d->name);
    g_free(d->path);
    g_free(d);
}

/* store = "<path>" or the name of a [store."<name>"] section. */
static bool
read_store(internal_directory *d, sd_cfg_table *section)
{
    const char *value = NULL;
    sd_cfg_status status = sd_cfg_get_string(section, "store", &value);
    if (status == SD_CFG_ABSENT) {
        sd_cfg_error(section, NULL, 0, "missing required key 'store' (the "
                     "path of the SQLite database, or the name of a "
                     "[store.\"<name>\"] section of type \"sqlite\")");
        return false;
    }
    if (status != SD_CFG_FOUND)
        return false;
    sd_cfg_table store;
    if (sd_cfg_get_store(section, value, &store) != SD_CFG_FOUND) {
        if (!g_path_is_absolute(value)) {
            sd_cfg_error(section, "store", 0, "'%s' is neither an absolute "
                         "path nor the name of a [store.\"%s\"] section",
                         value, value);
            return false;
        }
        d->path = g_strdup(value);
        return true;
    }
    const char *type = NULL, *path = NULL;
    bool ok = true;
    status = sd_cfg_get_string(&store, "type", &type);
    if (status == SD_CFG_ABSENT) {
        sd_cfg_error(&store, NULL, 0, "missing required key 'type' (an "
                     "internal directory supports stores of type "
                     "\"sqlite\")");
        ok = false;
    } else if (status == SD_CFG_FOUND && strcmp(type, "sqlite") != 0) {
        sd_cfg_error(&store, "type", 0, "store type '%s' cannot hold an "
                     "internal directory (supported: sqlite)", type);
        ok = false;
    }
    status = sd_cfg_get_string(&store, "path", &path);
    if (status == SD_CFG_ABSENT && ok) {
        sd_cfg_error(&store, NULL, 0, "an SQLite store needs 'path'");
        ok = false;
    } else if (status == SD_CFG_FOUND && !g_path_is_absolute(path)) {
        sd_cfg_error(&store, "path", 0, "'%s' is not an absolute path",
                     path);
        ok = false;
    }
    if (!ok || status != SD_CFG_FOUND) {
        sd_cfg_take_all(&store);
        sd_cfg_table_clear(&store);
        return false;
    }
    d->path = g_strdup(path);
    sd_cfg_table_clear(&store);
    return true;
}

static sd_result
internal_open(sd_directory *directory, sd_cfg_table *section, void **state,
              GError **error)
{
    internal_directory *d = g_new0(internal_directory, 1);
    d->name = g_strdup(sd_directory_name(directory));
    d->timeout_ms = DEFAULT_TIMEOUT_MS;
    g_mutex_init(&d->lock);
    d->idle = g_ptr_array_new_with_free_func(
        (GDestroyNotify)connection_close);
    d->generation = g_atomic_int_get(&process_generation);
    unsigned errors_before = sd_cfg_error_count(section->cfg);
    bool ok = read_store(d, section);
    sd_cfg_get_duration(section, "timeout", &d->timeout_ms);
    if (!ok || sd_cfg_error_count(section->cfg) != errors_before) {
        internal_close(d);
        return SD_ERROR;
    }
    pthread_once(&atfork_once, register_atfork);
    g_mutex_lock(&all_lock);
    if (all_directories == NULL)
        all_directories = g_ptr_array_new();
    g_ptr_array_add(all_directories, d);
    g_mutex_unlock(&all_lock);

    /* The first connection creates, checks and migrates the file now,
     * so a wrong path or a newer schema is a configuration error. */
    connection *c = connection_open(d, true, error);
    if (c == NULL) {
        internal_close(d);
        return SD_ERROR;
    }
    release(d, c, false);
    *state = d;
    return SD_OK;
}

/* PRAGMA NAME as C's connection answers it (NULL when it does not). */
static char *
pragma_value(connection *c, const char *name)
{
    char *sql = g_strdup_printf("PRAGMA %s", name);
    sqlite3_stmt *s = NULL;
    char *value = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) == SQLITE_OK
        && sqlite3_step(s) == SQLITE_ROW && column_text(s, 0) != NULL)
        value = g_strdup(column_text(s, 0));
    sqlite3_finalize(s);
    g_free(sql);
    return value;
}

/*
 * The settings the header promises, read back from a live connection
 * (configured as every connection is) rather than restated, so that
 * check-config shows what SQLite actually does.  The busy timeout is
 * the connection's busy handler's (SQLite's own PRAGMA busy_timeout is 0
 * when a handler is installed).
 */
static char *
internal_describe(void *state)
{
    internal_directory *d = state;
    GError *error = NULL;
    connection *c = acquire(d, &error);
    if (c == NULL) {
        char *text = g_strdup_printf("SQLite database %s (its settings "
                                     "cannot be read now: %s)", d->path,
                                     error->message);
        g_error_free(error);
        return text;
    }
    static const char *const sync_names[] = { "OFF", "NORMAL", "FULL",
                                              "EXTRA" };
    char *version = pragma_value(c, "user_version");
    char *journal = pragma_value(c, "journal_mode");
    char *sync = pragma_value(c, "synchronous");
    char *foreign = pragma_value(c, "foreign_keys");
    int sync_level = sync != NULL ? atoi(sync) : -1;
    char *text = g_strdup_printf(
        "SQLite database %s (schema version %s; journal_mode %s, "
        "synchronous %s, foreign_keys %s, busy timeout %" G_GUINT64_FORMAT
        " ms)", d->path, version != NULL ? version : "?",
        journal != NULL ? journal : "?",
        sync_level >= 0 && sync_level < (int)G_N_ELEMENTS(sync_names)
            ? sync_names[sync_level] : "?",
        foreign == NULL ? "?" : strcmp(foreign, "1") == 0 ? "on" : "off",
        c->timeout_ms);
    g_free(version);
    g_free(journal);
    g_free(sync);
    g_free(foreign);
    release(d, c, false);
    return text;
}

const sd_backend_ops sd_backend_internal = {
    .type = "internal",
    .open = internal_open,
    .close = internal_close,
    .describe = internal_describe,
    .lookup = internal_lookup,
    .authenticate = NULL,
    .rcpt = internal_rcpt,
    .is_local_domain = internal_is_local_domain,
    .expand = internal_expand,
    .verify = internal_verify,
    .pool = NULL,
    .list_principals = internal_list_principals,
    .list_domains = internal_list_domains,
    .store_principals = internal_store_principals,
    .store_update = internal_store_update,
    .store_delete = internal_store_delete,
    .store_domain = internal_store_domain,
};
