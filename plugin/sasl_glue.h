/*
 * sasl_glue.h - what both SASL plugins (auxprop/ and plugin/) need from
 * libsasl2 around libsasldir: their options, their directory, logging.
 *
 * Offers: sd_glue, one per loaded plugin.  It reads the options
 * sasldir_config, sasldir_directory and sasldir_log_level through
 * libsasl2's getopt callback, routes libsasldir's log to libsasl2's log
 * callback, reports sasldir_* options it does not know (in the
 * application's <app>.conf) and a sasldir_log_level it does not
 * understand as errors (once per process, at the first authentication,
 * so they reach the application's log), and hands out the directory to
 * use, from the process-wide shared registry (sd_shared.h), so every
 * plugin of one process uses one configuration, cache and pool set.
 *
 * Failure modes: a configuration that cannot be loaded, or a
 * sasldir_directory that names no directory, is logged once per attempt
 * and sd_glue_directory() returns NULL with SASL_FAIL; the load is
 * tried again on the next call, so a fixed file takes effect.
 *
 * This file is compiled into both plugins; it decides nothing about
 * principals or passwords.
 */
#ifndef SASL_GLUE_H
#define SASL_GLUE_H

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "sd_directory.h"

typedef struct sd_glue sd_glue;

sd_glue *sd_glue_new(const sasl_utils_t *utils, const char *plugin);
void sd_glue_free(sd_glue *glue);

/* The directory for connections of SPARAMS (may be NULL: no connection),
 * or NULL with *RESULT set to the SASL code to return.  Until
 * sd_glue_done(), libsasldir's messages from the calling thread go to
 * the log callback of SPARAMS's connection. */
sd_directory *sd_glue_directory(sd_glue *glue, sasl_server_params_t *sparams,
                                int *result);

/* Ends what sd_glue_directory() began for this thread (its log
 * routing); call it whatever sd_glue_directory() returned. */
void sd_glue_done(void);

/* Logs through UTILS (a connection's or the plugin's); FORMAT must never
 * be given a password. */
void sd_glue_log(const sasl_utils_t *utils, int level, const char *format,
                 ...) G_GNUC_PRINTF(3, 4);

/* The user realm and host name of a connection, for sd_realm.h. */
const char *sd_glue_realm(const sasl_server_params_t *sparams);
const char *sd_glue_fqdn(const sasl_server_params_t *sparams);

#endif
