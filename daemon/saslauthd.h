/*
 * saslauthd.h - the answer to one saslauthd request.
 *
 * Input: the request's fields (login, password, service, realm, client
 * address; see saslauthd_frame.h) and the registry current when the
 * request arrived.  The realm rule (also in sasldird(8)):
 *   - a realm listed in [server.realm-directory] (compared without case)
 *     authenticates the bare login against that directory;
 *   - any other non-empty realm authenticates "login@realm" against the
 *     default directory ([storage] directory) with sasldir's realm rule
 *     (sd_realm.h): the name as given first, then, when no such
 *     principal exists, the bare login;
 *   - an empty realm authenticates the login as given.
 * Result: the reply text ("OK", "NO authentication failed", "NO temporary
 * failure: ..."), the directory's result and name (for metrics and the
 * log).  The reply never says whether the name exists.  Runs in a worker
 * thread; blocks as long as the directory does.
 */
#ifndef SASLAUTHD_H
#define SASLAUTHD_H

#include <stdbool.h>

#include "sd_directory.h"

typedef struct saslauthd_outcome {
    sd_result result;
    const char *directory;      /* the directory asked (borrowed from the
                                 * registry), NULL when none */
    char *reply;                /* "OK" / "NO ..." */
    char *log;                  /* the log line, without the password */
    char *detail;               /* the directory's reason, or NULL */
    bool cached;                /* answered by saslauthd_answer_cached */
} saslauthd_outcome;

/* FIELDS: SASLAUTHD_FIELDS strings ("" when absent). */
void saslauthd_answer(sd_registry *registry, const char *const *fields,
                      saslauthd_outcome *outcome);
/* The same answer from the directory's credential cache alone: true
 * when the cache held it (and the realm rule's second name, when the
 * first is cached as not found), false when the request must go to
 * saslauthd_answer.  Takes microseconds: sasldird calls it in its main
 * loop, so cache hits do not cross threads. */
bool saslauthd_answer_cached(sd_registry *registry, const char *const *fields,
                             saslauthd_outcome *outcome);
void saslauthd_outcome_clear(saslauthd_outcome *outcome);

#endif
