/*
 * netstring.h - netstrings (LEN ":" BYTES ","), the framing of the
 * Postfix/Sendmail socketmap protocol, parsed incrementally.
 *
 * Input: bytes in any chunking; a client may send several requests on
 * one connection, so the parser stops after one netstring and
 * netstring_parser_reset() readies it for the next (unconsumed bytes
 * stay with the caller).  Results as in saslauthd_frame.h: FRAME_MORE,
 * FRAME_DONE, FRAME_ERROR with a static reason (leading zero, a length
 * of more than MAX_LEN or more than 10 digits, a missing ':' or ',').
 */
#ifndef NETSTRING_H
#define NETSTRING_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

#include "saslauthd_frame.h"    /* frame_status */

typedef struct netstring_parser netstring_parser;

netstring_parser *netstring_parser_new(size_t max_len);
void netstring_parser_free(netstring_parser *parser);
void netstring_parser_reset(netstring_parser *parser);
frame_status netstring_parser_feed(netstring_parser *parser,
                                   const uint8_t *data, size_t len,
                                   size_t *consumed, const char **error);
/* After FRAME_DONE: the payload (NUL-terminated; *LEN without it). */
const char *netstring_parser_payload(const netstring_parser *parser,
                                     size_t *len);

void netstring_encode(GString *out, const char *payload, size_t len);

#endif
