/*
 * netstring.c - the netstring parser and encoder of the socketmap
 * protocol.
 *
 * Offers what netstring.h declares.  The parser reads the decimal length
 * digit by digit (so a length is refused as soon as it exceeds the limit
 * or has too many digits, before anything is buffered), then allocates
 * exactly the payload plus a NUL and copies it as it arrives, then wants
 * the closing ','.  It never reads past the netstring: the bytes after it
 * are left to the caller for the next request.
 *
 * Failure modes: the reasons below; each is a static string.
 */
#include "config.h"

#include <string.h>

#include "netstring.h"

/* A length of more than ten digits is refused whatever the limit. */
#define MAX_DIGITS 10

enum netstring_state { NS_LENGTH, NS_PAYLOAD, NS_COMMA };

struct netstring_parser {
    size_t max_len;
    frame_status status;
    const char *error;
    enum netstring_state state;
    unsigned digits;
    uint64_t length;            /* while reading it: 10 digits fit */
    size_t need;
    size_t have;
    char *payload;
};

netstring_parser *
netstring_parser_new(size_t max_len)
{
    netstring_parser *parser = g_new0(netstring_parser, 1);
    parser->max_len = max_len;
    parser->status = FRAME_MORE;
    parser->state = NS_LENGTH;
    return parser;
}

void
netstring_parser_reset(netstring_parser *parser)
{
    g_free(parser->payload);
    parser->payload = NULL;
    parser->status = FRAME_MORE;
    parser->error = NULL;
    parser->state = NS_LENGTH;
    parser->digits = 0;
    parser->length = 0;
    parser->need = 0;
    parser->have = 0;
}

void
netstring_parser_free(netstring_parser *parser)
{
    if (parser == NULL)
        return;
    g_free(parser->payload);
    g_free(parser);
}

static frame_status
fail(netstring_parser *parser, const char *error)
{
    parser->status = FRAME_ERROR;
    parser->error = error;
    return FRAME_ERROR;
}

/* One byte of the length part: a digit or the ':' that ends it. */
static void
length_byte(netstring_parser *parser, uint8_t c)
{
    if (c == ':') {
        if (parser->digits == 0) {
            fail(parser, "netstring without a length before ':'");
            return;
        }
        parser->need = (size_t)parser->length;
        parser->payload = g_malloc(parser->need + 1);
        parser->have = 0;
        parser->state = NS_PAYLOAD;
        return;
    }
    if (c < '0' || c > '9') {
        fail(parser, parser->digits == 0
             ? "netstring does not start with a digit"
             : "netstring length not followed by ':'");
        return;
    }
    if (parser->digits == 1 && parser->length == 0) {
        fail(parser, "netstring length with a leading zero");
        return;
    }
    if (parser->digits == MAX_DIGITS) {
        fail(parser, "netstring length of more than 10 digits");
        return;
    }
    parser->digits++;
    parser->length = parser->length * 10 + (uint64_t)(c - '0');
    if (parser->length > (uint64_t)parser->max_len)
        fail(parser, "netstring longer than the limit");
}

frame_status
netstring_parser_feed(netstring_parser *parser, const uint8_t *data,
                      size_t len, size_t *consumed, const char **error)
{
    size_t pos = 0;

    while (parser->status == FRAME_MORE) {
        if (parser->state == NS_PAYLOAD && parser->have == parser->need) {
            /* Also an empty payload, complete with its ':'. */
            parser->payload[parser->need] = '\0';
            parser->state = NS_COMMA;
            continue;
        }
        if (pos == len)
            break;
        switch (parser->state) {
        case NS_LENGTH:
            length_byte(parser, data[pos++]);
            break;
        case NS_PAYLOAD: {
            size_t n = parser->need - parser->have;
            if (n > len - pos)
                n = len - pos;
            memcpy(parser->payload + parser->have, data + pos, n);
            parser->have += n;
            pos += n;
            break;
        }
        case NS_COMMA:
            if (data[pos++] == ',')
                parser->status = FRAME_DONE;
            else
                fail(parser, "netstring payload not followed by ','");
            break;
        }
    }
    if (consumed != NULL)
        *consumed = pos;
    if (error != NULL)
        *error = parser->status == FRAME_ERROR ? parser->error : NULL;
    return parser->status;
}

const char *
netstring_parser_payload(const netstring_parser *parser, size_t *len)
{
    if (parser->status != FRAME_DONE) {
        if (len != NULL)
            *len = 0;
        return NULL;
    }
    if (len != NULL)
        *len = parser->need;
    return parser->payload;
}

void
netstring_encode(GString *out, const char *payload, size_t len)
{
    g_string_append_printf(out, "%zu:", len);
    g_string_append_len(out, payload, (gssize)len);
    g_string_append_c(out, ',');
}
