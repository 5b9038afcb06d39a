/*
 * saslauthd.c - libFuzzer target for sasldird's saslauthd request parser
 * (daemon/saslauthd_frame.c).
 *
 * Offers: LLVMFuzzerTestOneInput().  Input: byte 0 picks the field
 * limit (0-63 bytes, or 4096 when it is 255), byte 1 seeds the chunk
 * sizes; the rest is what a client sends.  The request is fed in chunks
 * of 1..16 bytes (sizes drawn from a small generator seeded by byte 1),
 * as a slow client's reads would arrive, then whole in a second parser.
 *
 * Results: nothing; the sanitizers report memory errors.  Oracles, which
 * abort() when broken: the parser never consumes more than it is given;
 * a chunk is consumed whole while more is wanted; once done or failed
 * it consumes nothing; a finished request re-encoded field by field is
 * exactly the bytes the parser consumed, with 4 or 5 fields, none longer
 * than the limit and none holding a NUL; a failure has a reason; the
 * whole feed agrees with the chunked feed except where the chunked one
 * finished with input left over (see below).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "saslauthd_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The line of a broken oracle goes to stderr before the abort. */
#define check(ok) check_at((ok), __LINE__)

static void
check_at(bool ok, int line)
{
    if (!ok) {
        fprintf(stderr, "%s:%d: oracle broken\n", __FILE__, line);
        abort();
    }
}

/* Parses DATA in chunks; returns the status and sets *USED. */
static frame_status
parse_chunked(saslauthd_parser *parser, const uint8_t *data, size_t size,
              unsigned seed, size_t *used)
{
    size_t pos = 0;
    frame_status st = FRAME_MORE;
    while (st == FRAME_MORE && pos < size) {
        seed = seed * 1103515245u + 12345u;
        size_t n = 1 + (seed >> 16) % 16;
        if (n > size - pos)
            n = size - pos;
        size_t consumed = (size_t)-1;
        const char *error = NULL;
        st = saslauthd_parser_feed(parser, data + pos, n, &consumed, &error);
        check(consumed <= n);
        check(st != FRAME_MORE || consumed == n);
        check((st == FRAME_ERROR) == (error != NULL));
        check(error == NULL || error[0] != '\0');
        pos += consumed;
    }
    *used = pos;
    return st;
}

static void
check_done(const saslauthd_parser *parser, const uint8_t *data, size_t used,
           unsigned limit)
{
    unsigned n = saslauthd_parser_fields(parser);
    check(n == 4 || n == 5);
    GString *again = g_string_new(NULL);
    for (unsigned i = 0; i < n; i++) {
        const char *f = saslauthd_parser_field(parser, i);
        size_t len = strlen(f);
        check(len <= limit);
        check(again->len + 2 + len <= used);
        /* strlen stops at the first NUL: a NUL inside a field shows up
         * as a mismatch of the re-encoding below. */
        again = g_string_append_c(again, (char)(len >> 8));
        again = g_string_append_c(again, (char)(len & 0xff));
        g_string_append_len(again, f, (gssize)len);
    }
    check(again->len == used && memcmp(again->str, data, used) == 0);
    for (unsigned i = n; i <= SASLAUTHD_FIELDS; i++)
        check(saslauthd_parser_field(parser, i)[0] == '\0');
    g_string_free(again, TRUE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned limit = data[0] == 255 ? 4096 : data[0] % 64;
    unsigned seed = data[1];
    data += 2;
    size -= 2;
    /* A limit of 0 means the wire's own: 65535. */
    unsigned effective = limit == 0 ? 65535 : limit;

    saslauthd_parser *chunked = saslauthd_parser_new(limit);
    size_t used_chunked;
    frame_status st_chunked = parse_chunked(chunked, data, size, seed,
                                            &used_chunked);
    if (st_chunked == FRAME_DONE)
        check_done(chunked, data, used_chunked, effective);
    else
        check(saslauthd_parser_fields(chunked) == 0);
    if (st_chunked != FRAME_MORE) {
        size_t consumed = 1;
        check(saslauthd_parser_feed(chunked, data, size, &consumed, NULL)
              == st_chunked && consumed == 0);
    }

    saslauthd_parser *whole = saslauthd_parser_new(limit);
    size_t used_whole = (size_t)-1;
    frame_status st_whole = saslauthd_parser_feed(whole, data, size,
                                                  &used_whole, NULL);
    check(used_whole <= size);
    if (st_whole == FRAME_DONE)
        check_done(whole, data, used_whole, effective);

    /* A parse can only see what has arrived: where the chunked one
     * stopped with input left over (a chunk ended right after field
     * four or five), the whole one read on, to a fifth field or to the
     * error of bytes after the last field.  Otherwise they agree. */
    if (st_chunked == FRAME_DONE && used_chunked < size) {
        if (saslauthd_parser_fields(chunked) == 4)
            check(used_whole > used_chunked
                  && (st_whole != FRAME_DONE
                      || saslauthd_parser_fields(whole) == 5));
        else
            check(st_whole == FRAME_ERROR && used_whole == used_chunked);
    } else {
        check(st_whole == st_chunked);
        check(used_whole == used_chunked);
        check(saslauthd_parser_fields(whole)
              == saslauthd_parser_fields(chunked));
    }

    /* The reply encoder on the input as text. */
    char *text = g_strndup((const char *)data, size);
    GString *reply = g_string_new(NULL);
    saslauthd_reply_encode(reply, text);
    size_t tlen = strlen(text);
    check(reply->len == 2 + tlen
          && (((size_t)(uint8_t)reply->str[0] << 8) | (uint8_t)reply->str[1])
             == tlen
          && memcmp(reply->str + 2, text, tlen) == 0);
    g_string_free(reply, TRUE);
    g_free(text);

    saslauthd_parser_free(chunked);
    saslauthd_parser_free(whole);
    return 0;
}
