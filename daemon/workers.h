/*
 * workers.h - a fixed set of worker threads behind one queue.
 *
 * sasldird's verification threads.  Unlike GLib's GThreadPool, whose
 * threads outlive the pool (GLib keeps them for reuse and ends them
 * asynchronously), these threads are joined by workers_free(), so that
 * whatever libraries keep per thread (OpenSSL's per-thread random
 * generators and error state, freed by a thread-exit destructor) is
 * released before the process exits and runs OpenSSL's atexit cleanup.
 * Otherwise a thread still ending while that cleanup deletes OpenSSL's
 * thread-local keys loses its state, which LeakSanitizer then reports.
 *
 * Input: a job function and N >= 1.  workers_push() never blocks;
 * workers_waiting() is the number of jobs not yet taken, for the
 * caller's bound on the queue.  workers_free() must be called only when
 * no job is running or queued (it joins every thread).
 */
#ifndef WORKERS_H
#define WORKERS_H

#include <glib.h>

typedef struct workers workers;

/* NULL with *ERROR when a thread cannot be started. */
workers *workers_new(const char *name, unsigned count, GFunc job_fn,
                     gpointer user_data, GError **error);
void workers_push(workers *set, gpointer job);
unsigned workers_waiting(workers *set);
void workers_free(workers *set);

#endif
