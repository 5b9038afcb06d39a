/*
 * sd_sqlite.h - what the two users of libsqlite3 in libsasldir share:
 * the sql directory's SQLite engine (sql_sqlite.c) and the internal
 * directory (backend_internal.c).  Private to libsasldir.
 */
#ifndef SD_SQLITE_H
#define SD_SQLITE_H

#include "sd_result.h"

/*
 * The sd_result of a failed SQLite call with result code RC (extended
 * codes allowed): SD_TEMPFAIL for the database's state, which may pass
 * (busy, locked, I/O error, cannot open, out of memory or disk, read-only
 * file), SD_ERROR for a fault of the query or the data.
 */
sd_result sd_sqlite_result(int rc);

#endif
