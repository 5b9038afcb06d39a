/*
 * metrics.h - sasldird's counters, rendered in the Prometheus text
 * exposition format (version 0.0.4).
 *
 * Counters are process-wide atomics, safe from any thread, never reset
 * by a reload.  Rendered: sasldird_auth_total{directory,result} with
 * result ok|mismatch|notfound|tempfail|error; a latency histogram
 * sasldird_auth_duration_seconds{directory} (buckets from 100 us to
 * 10 s); sasldird_requests_total{protocol,result} with protocol
 * saslauthd|socketmap|control|other; sasldird_refused_total{reason}
 * (max-clients, queue-full, bad-frame, timeout, not-allowed, other);
 * sasldird_penalty_delayed_total; and, read from the registry at render
 * time, the counters sasldir_cache_{hits,evictions,expirations}_total
 * {directory,kind,side}, sasldir_cache_misses_total{directory,kind},
 * the gauge sasldir_cache_entries{directory,kind,side}, the gauges
 * sasldir_pool_{open,idle,in_use}{directory} and the counters
 * sasldir_pool_{waits,wait_timeouts,create_failures}_total{directory}.
 * Names outside those lists are counted under "other"; directories
 * beyond the 63rd seen are counted under directory="(other)".
 * metrics_http_* serves GET /metrics with libmicrohttpd on a loopback or
 * configured address; anything else is 404.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "sd_directory.h"

void metrics_count_auth(const char *directory, sd_result result,
                        int64_t elapsed_us);
void metrics_count_request(const char *protocol, sd_result result);
void metrics_count_refused(const char *reason);
void metrics_count_penalty(void);

/* Append everything to OUT; REGISTRY may be NULL (no cache/pool part). */
void metrics_render(sd_registry *registry, GString *out);

/* Serve LISTEN ("HOST:PORT", "[V6]:PORT") with REGISTRY_FN giving the
 * current registry (with a reference the server drops). */
typedef sd_registry *(*metrics_registry_fn)(void *self);
bool metrics_http_start(const char *listen, metrics_registry_fn registry,
                        void *self, GError **error);
void metrics_http_stop(void);
/* The port bound, or 0 when not serving.  LISTEN may have port 0 (any
 * free port; the unit tests), which [server] metrics-listen refuses. */
unsigned metrics_http_port(void);

#endif
