/*
 * sd_log.h - the library's one way to say something to the administrator.
 *
 * Offers: sd_log() with syslog-like levels, a settable sink (stderr by
 * default; the SASL plugins route it to libsasl2's log callback, the
 * daemon to syslog) and a level filter.
 *
 * Rule for every caller: a message names the directory, key, file, line
 * or host concerned, and never contains a password or a secret.
 */
#ifndef SD_LOG_H
#define SD_LOG_H

#include <stdbool.h>
#include <glib.h>

G_BEGIN_DECLS

typedef enum sd_log_level {
    SD_LOG_ERROR = 0,
    SD_LOG_WARNING,
    SD_LOG_NOTICE,
    SD_LOG_INFO,
    SD_LOG_DEBUG,
} sd_log_level;

typedef void (*sd_log_sink)(sd_log_level level, const char *message,
                            void *user_data);

/* Sends messages to SINK; NULL restores the default (standard error). */
void sd_log_set_sink(sd_log_sink sink, void *user_data);

/*
 * Sends the messages of the calling thread to SINK instead (NULL: back
 * to the process's sink).  The SASL plugins set it around the work they
 * do for one connection, so messages reach that connection's log
 * callback.
 */
void sd_log_set_thread_sink(sd_log_sink sink, void *user_data);

/* Messages less important than LEVEL are dropped (default: notice). */
void sd_log_set_level(sd_log_level level);
sd_log_level sd_log_get_level(void);

/* "error", "warning", "notice", "info", "debug"; false if unknown. */
bool sd_log_parse_level(const char *name, sd_log_level *level);
const char *sd_log_level_name(sd_log_level level);

void sd_log(sd_log_level level, const char *format, ...) G_GNUC_PRINTF(2, 3);

G_END_DECLS

#endif
