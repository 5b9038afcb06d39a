/*
 * sd_json.h - writing JSON text.
 *
 * Offers: sd_json_append_string() appends a JSON string literal to a
 * GString.  Used by the CLI's --json output and by test tools.  sasldir
 * never parses JSON, so there is no reader.
 *
 * Inputs: UTF-8 bytes, possibly containing NUL.  Results: quotes,
 * backslashes and every control character escaped; other bytes copied.
 * Invalid UTF-8 is written as U+FFFD so the output is always valid JSON.
 */
#ifndef SD_JSON_H
#define SD_JSON_H

#include <stddef.h>
#include <glib.h>

G_BEGIN_DECLS

void sd_json_append_string(GString *out, const char *s, size_t len);

G_END_DECLS

#endif
