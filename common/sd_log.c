/*
 * sd_log.c - levels, sink and filter for library messages.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sd_log.h"

static GMutex log_lock;
static sd_log_sink log_sink;
static void *log_user_data;
static gint log_level = SD_LOG_NOTICE;
static _Thread_local sd_log_sink thread_sink;
static _Thread_local void *thread_user_data;

static const char *const level_names[] = {
    "error", "warning", "notice", "info", "debug",
};

void
sd_log_set_sink(sd_log_sink sink, void *user_data)
{
    g_mutex_lock(&log_lock);
    log_sink = sink;
    log_user_data = user_data;
    g_mutex_unlock(&log_lock);
}

void
sd_log_set_thread_sink(sd_log_sink sink, void *user_data)
{
    thread_sink = sink;
    thread_user_data = user_data;
}

void
sd_log_set_level(sd_log_level level)
{
    g_atomic_int_set(&log_level, (gint)level);
}

sd_log_level
sd_log_get_level(void)
{
    return (sd_log_level)g_atomic_int_get(&log_level);
}

bool
sd_log_parse_level(const char *name, sd_log_level *level)
{
    for (size_t i = 0; i < G_N_ELEMENTS(level_names); i++) {
        if (g_ascii_strcasecmp(name, level_names[i]) == 0) {
            *level = (sd_log_level)i;
            return true;
        }
    }
    return false;
}

const char *
sd_log_level_name(sd_log_level level)
{
    if ((unsigned)level < G_N_ELEMENTS(level_names))
        return level_names[level];
    return "debug";
}

void
sd_log(sd_log_level level, const char *format, ...)
{
    if ((gint)level > g_atomic_int_get(&log_level))
        return;

    va_list ap;
    va_start(ap, format);
    char *message = g_strdup_vprintf(format, ap);
    va_end(ap);

    if (thread_sink != NULL) {
        thread_sink(level, message, thread_user_data);
        g_free(message);
        return;
    }
    g_mutex_lock(&log_lock);
    if (log_sink != NULL) {
        log_sink(level, message, log_user_data);
    } else {
        const char *prog = g_get_prgname();
        fprintf(stderr, "%s: %s: %s\n", prog != NULL ? prog : "sasldir",
                sd_log_level_name(level), message);
    }
    g_mutex_unlock(&log_lock);
    g_free(message);
}
