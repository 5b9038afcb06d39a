/*
 * sd_config.h - typed, strict access to sasldir's TOML configuration.
 *
 * Offers: sd_cfg, a parsed configuration file, and sd_cfg_table, a cursor
 * on one of its tables that knows its own dotted path.  Accessors read a
 * key with the type a setting needs (string, boolean, integer in a range,
 * duration, size, list of strings, sub-table, array of tables) and mark
 * the key as taken.
 *
 * Strictness: a wrong type, a bad duration or size, a value out of range,
 * or two spellings of one renamed key set at once is recorded as an error
 * of the form "FILE:LINE: KEY: what is wrong".  sd_cfg_finish() then adds
 * one "unknown key" error for every key nobody took, and returns all
 * errors at once (one per line) so an administrator can fix a file in one
 * pass.  Nothing is silently ignored.
 *
 * Accessors return SD_CFG_ABSENT (key not set: the caller applies its
 * default), SD_CFG_FOUND, or SD_CFG_INVALID (an error has been recorded;
 * the caller keeps going so later errors are reported too).
 */
#ifndef SD_CONFIG_H
#define SD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "sd_toml.h"

G_BEGIN_DECLS

typedef struct sd_cfg sd_cfg;

typedef struct sd_cfg_table {
    sd_cfg *cfg;
    sd_toml_value *table;   /* a TOML table */
    char *path;             /* e.g. directory."default".cache; "" = root */
} sd_cfg_table;

typedef enum sd_cfg_status {
    SD_CFG_INVALID = -1,
    SD_CFG_ABSENT = 0,
    SD_CFG_FOUND = 1,
} sd_cfg_status;

/* Reads and parses PATH.  NULL with *ERROR set if it is not valid TOML. */
sd_cfg *sd_cfg_load(const char *path, GError **error);
/* Parses LEN bytes of TEXT; FILENAME names them in messages. */
sd_cfg *sd_cfg_parse(const char *text, size_t len, const char *filename,
                     GError **error);
void sd_cfg_free(sd_cfg *cfg);

const char *sd_cfg_filename(const sd_cfg *cfg);

/* A cursor on the root table.  Free with sd_cfg_table_clear(). */
void sd_cfg_root(sd_cfg *cfg, sd_cfg_table *out);
void sd_cfg_table_clear(sd_cfg_table *table);

/*
 * Records an error about KEY of TABLE (KEY may be NULL: the table
 * itself) at LINE (0: the line of KEY, or of the table).
 */
void sd_cfg_error(const sd_cfg_table *table, const char *key, unsigned line,
                  const char *format, ...) G_GNUC_PRINTF(4, 5);
/* Logs a warning in the same "FILE:LINE: KEY: ..." form. */
void sd_cfg_warning(const sd_cfg_table *table, const char *key,
                    const char *format, ...) G_GNUC_PRINTF(3, 4);
unsigned sd_cfg_error_count(const sd_cfg *cfg);

/* The line where KEY of TABLE is written, or of TABLE if KEY is NULL. */
unsigned sd_cfg_line(const sd_cfg_table *table, const char *key);
/* "PATH.KEY" with KEY quoted when it is not a bare TOML key. */
char *sd_cfg_key_path(const sd_cfg_table *table, const char *key);

/*
 * Reports every key not taken by an accessor as unknown, then returns
 * true if no error was recorded, else false with *ERROR holding all of
 * them, one per line.
 */
bool sd_cfg_finish(sd_cfg *cfg, GError **error);

/* Takes a key without reading it (for a subtree skipped on purpose). */
void sd_cfg_take(sd_cfg_table *table, const char *key);
/* Takes every key of TABLE, recursively. */
void sd_cfg_take_all(sd_cfg_table *table);

/* The raw value of KEY (taken), or NULL when not set. */
sd_toml_value *sd_cfg_get_value(sd_cfg_table *table, const char *key);

/*
 * A string without NUL bytes.  The pointer stays valid as long as CFG.
 */
sd_cfg_status sd_cfg_get_string(sd_cfg_table *table, const char *key,
                                const char **out);
/*
 * Like sd_cfg_get_string for a key Stalwart renamed between versions:
 * KEY or its other spelling ALIAS, never both.  *USED_KEY (may be NULL)
 * tells which one was written.
 */
sd_cfg_status sd_cfg_get_string_alias(sd_cfg_table *table, const char *key,
                                      const char *alias, const char **out,
                                      const char **used_key);
sd_cfg_status sd_cfg_get_bool(sd_cfg_table *table, const char *key, bool *out);
sd_cfg_status sd_cfg_get_int(sd_cfg_table *table, const char *key,
                             int64_t min, int64_t max, int64_t *out);
/* "500ms", "30s", "10m", "1h", "1d"; the result in milliseconds. */
sd_cfg_status sd_cfg_get_duration(sd_cfg_table *table, const char *key,
                                  uint64_t *out_ms);
/* An integer number of bytes, or "512M", "2G", "10kb"... (1024-based). */
sd_cfg_status sd_cfg_get_size(sd_cfg_table *table, const char *key,
                              uint64_t *out_bytes);
/*
 * A string or an array of strings; *OUT is a new GPtrArray of borrowed
 * strings (free the array only).  LINES (may be NULL) receives, for each
 * string, the line it is written on.
 */
sd_cfg_status sd_cfg_get_string_list(sd_cfg_table *table, const char *key,
                                     GPtrArray **out, GArray **lines);
/* A sub-table (a [header], a dotted key or an inline table). */
sd_cfg_status sd_cfg_get_table(sd_cfg_table *table, const char *key,
                               sd_cfg_table *out);
/*
 * An array of tables; *OUT is a new GArray of sd_cfg_table, each to be
 * cleared, then the array freed: use sd_cfg_table_array_free().
 */
sd_cfg_status sd_cfg_get_table_array(sd_cfg_table *table, const char *key,
                                     GArray **out);
void sd_cfg_table_array_free(GArray *tables);

/*
 * [store."NAME"], the named store sections of Stalwart v0.5+, found
 * from any table of the same file and taken.  SD_CFG_ABSENT (no error
 * recorded: the caller names the key that refers to it) when there is
 * no such section.  One place for every directory type that refers to
 * a store (sql today, the internal directory later).
 */
sd_cfg_status sd_cfg_get_store(sd_cfg_table *table, const char *name,
                               sd_cfg_table *out);
/*
 * Takes every [store."<name>"] section no directory has taken, logging
 * each at debug level, and returns how many.  Stalwart's files also hold
 * data, blob and lookup stores that sasldir has no use for: they are
 * left unread rather than made errors, so such a file loads as it is.
 * Call it after every directory has been opened.
 */
unsigned sd_cfg_skip_unused_stores(sd_cfg *cfg);

/* Parsers shared with the CLI (sizes on the command line, durations). */
bool sd_parse_duration(const char *text, uint64_t *out_ms);
bool sd_parse_size(const char *text, uint64_t *out_bytes);

G_END_DECLS

#endif
