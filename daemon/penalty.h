/*
 * penalty.h - delays for names and client addresses that keep failing
 * (the idea of Dovecot's auth_penalty).
 *
 * The table counts failures per name (lowercased) and per client
 * address, forgetting an entry FORGET after its last failure; it is
 * bounded (oldest entries dropped first) so a flood of random names
 * cannot grow it without limit.  The delay for a request is
 * min(max_delay, initial * 2^(n - threshold)) where n is the larger of
 * the two counts and n >= threshold, else 0.  The caller applies the
 * delay to the reply - success or failure alike, so timing does not tell
 * an attacker which guess was right - without holding a worker thread
 * (a main-loop timeout).  A success clears the name's count, not the
 * address's.  Thread-safe.
 */
#ifndef PENALTY_H
#define PENALTY_H

#include <stdbool.h>
#include <stdint.h>

#include "sd_server.h"

typedef struct penalty penalty;

penalty *penalty_new(const sd_penalty_settings *settings, unsigned capacity);
void penalty_free(penalty *table);
/* NAME or ADDRESS may be NULL or "". NOW_MS: g_get_monotonic_time()/1000. */
int64_t penalty_delay_ms(penalty *table, const char *name,
                         const char *address, int64_t now_ms);
void penalty_record(penalty *table, const char *name, const char *address,
                    bool success, int64_t now_ms);

#endif
