/*
 * saslauthd_frame.h - the saslauthd wire format, parsed incrementally.
 *
 * A request is four or five fields, each a 16-bit big-endian length and
 * that many bytes: login, password, service, realm and (newer clients
 * only) the client address.  libsasl2 writes the whole request with one
 * writev(), so a request is complete after four fields when nothing
 * follows them in the bytes received so far, and after five otherwise.
 * One request per connection; bytes after the last field are an error
 * when they arrive in the same feed (later ones are the caller's to see:
 * after FRAME_DONE the parser reads nothing more).
 *
 * Input: bytes as they arrive, in any chunking.  Results: FRAME_MORE
 * (feed more), FRAME_DONE (the request is in the parser), FRAME_ERROR
 * with a static reason ("field 2 is 5000 bytes, more than max-field
 * 4096", "bytes after the last field", ...).  A field longer than the
 * limit is refused as soon as its length is read, before its bytes
 * arrive, so a client cannot make the daemon buffer more than
 * 5 * (2 + limit) bytes.  A field holding a NUL byte is an error (no
 * name or password contains one; C strings would cut it).  Buffers that
 * held the password are wiped when freed or reset.
 */
#ifndef SASLAUTHD_FRAME_H
#define SASLAUTHD_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <glib.h>

enum { SASLAUTHD_LOGIN, SASLAUTHD_PASSWORD, SASLAUTHD_SERVICE,
       SASLAUTHD_REALM, SASLAUTHD_CLIENT_ADDR, SASLAUTHD_FIELDS };

typedef enum frame_status { FRAME_MORE, FRAME_DONE, FRAME_ERROR } frame_status;

typedef struct saslauthd_parser saslauthd_parser;

saslauthd_parser *saslauthd_parser_new(unsigned max_field);
void saslauthd_parser_free(saslauthd_parser *parser);

/* Consumes up to LEN bytes; *CONSUMED says how many.  After FRAME_DONE
 * or FRAME_ERROR further calls return the same status. */
frame_status saslauthd_parser_feed(saslauthd_parser *parser,
                                   const uint8_t *data, size_t len,
                                   size_t *consumed, const char **error);

/* After FRAME_DONE: how many fields (4 or 5), and field I as a
 * NUL-terminated string owned by the parser ("" when absent). */
unsigned saslauthd_parser_fields(const saslauthd_parser *parser);
const char *saslauthd_parser_field(const saslauthd_parser *parser,
                                   unsigned i);

/* The reply frame for TEXT ("OK" or "NO reason"): 2-byte length + text,
 * the text cut to 65535 bytes. */
void saslauthd_reply_encode(GString *out, const char *text);

#endif
