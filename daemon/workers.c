/*
 * workers.c - a fixed set of joined worker threads (see workers.h).
 */
#include "config.h"

#include "workers.h"

struct workers {
    GAsyncQueue *queue;
    GPtrArray *threads;
    GFunc job_fn;
    gpointer user_data;
};

/* A pointer no job can be: the address of this object. */
static const char stop_marker;
#define STOP_JOB ((gpointer)&stop_marker)

static gpointer
worker_main(gpointer data)
{
    workers *set = data;
    for (;;) {
        gpointer job = g_async_queue_pop(set->queue);
        if (job == STOP_JOB)
            return NULL;
        set->job_fn(job, set->user_data);
    }
}

workers *
workers_new(const char *name, unsigned count, GFunc job_fn,
            gpointer user_data, GError **error)
{
    workers *set = g_new0(workers, 1);
    set->queue = g_async_queue_new();
    set->threads = g_ptr_array_new();
    set->job_fn = job_fn;
    set->user_data = user_data;
    for (unsigned i = 0; i < count; i++) {
        GThread *thread = g_thread_try_new(name, worker_main, set, error);
        if (thread == NULL) {
            workers_free(set);
            return NULL;
        }
        g_ptr_array_add(set->threads, thread);
    }
    return set;
}

void
workers_push(workers *set, gpointer job)
{
    g_async_queue_push(set->queue, job);
}

unsigned
workers_waiting(workers *set)
{
    gint length = g_async_queue_length(set->queue);
    return length > 0 ? (unsigned)length : 0;
}

void
workers_free(workers *set)
{
    if (set == NULL)
        return;
    for (guint i = 0; i < set->threads->len; i++)
        g_async_queue_push(set->queue, STOP_JOB);
    for (guint i = 0; i < set->threads->len; i++)
        g_thread_join(g_ptr_array_index(set->threads, i));
    g_ptr_array_free(set->threads, TRUE);
    g_async_queue_unref(set->queue);
    g_free(set);
}
