/*
 * test_daemon_frames.c - the saslauthd request parser and the netstring
 * parser of sasldird (daemon/saslauthd_frame.c, daemon/netstring.c):
 * sample requests in every chunking, every error, the encoders.
 */
#include "config.h"

#include <string.h>

#include "sd_check.h"
#include "saslauthd_frame.h"
#include "netstring.h"

/* ---- building requests ---- */

static void
put_field(GByteArray *out, const char *s, size_t len)
{
    uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)(len & 0xff) };
    g_byte_array_append(out, hdr, 2);
    g_byte_array_append(out, (const guint8 *)s, (guint)len);
}

/* A request of N fields taken from FIELDS. */
static GByteArray *
request(unsigned n, const char *const *fields)
{
    GByteArray *out = g_byte_array_new();
    for (unsigned i = 0; i < n; i++)
        put_field(out, fields[i], strlen(fields[i]));
    return out;
}

static const char *const sample4[] = {
    "alice@example.org", "s3cret pass", "imap", "example.org"
};
static const char *const sample5[] = {
    "bob", "pw", "smtp", "", "192.0.2.7"
};
static const char *const empty4[] = { "", "", "", "" };

/* Feeds DATA cut at the offsets in CUTS (ascending, NCUTS of them) and
 * returns the final status; every chunk must be consumed whole unless
 * the parser stopped. */
static frame_status
feed_cut(saslauthd_parser *parser, const uint8_t *data, size_t len,
         const size_t *cuts, size_t ncuts, const char **error)
{
    size_t start = 0;
    frame_status st = FRAME_MORE;
    for (size_t c = 0; c <= ncuts; c++) {
        size_t end = c < ncuts ? cuts[c] : len;
        size_t consumed = 999999;
        st = saslauthd_parser_feed(parser, data + start, end - start,
                                   &consumed, error);
        ck_assert_uint_le(consumed, end - start);
        if (st == FRAME_MORE)
            ck_assert_uint_eq(consumed, end - start);
        if (st != FRAME_MORE && c < ncuts)
            return st;
        start = end;
    }
    return st;
}

static void
assert_fields(const saslauthd_parser *parser, unsigned n,
              const char *const *fields)
{
    ck_assert_uint_eq(saslauthd_parser_fields(parser), n);
    for (unsigned i = 0; i < n; i++)
        ck_assert_str_eq(saslauthd_parser_field(parser, i), fields[i]);
    for (unsigned i = n; i < SASLAUTHD_FIELDS + 2; i++)
        ck_assert_str_eq(saslauthd_parser_field(parser, i), "");
}

/* Offset just after field K (0-based) of a request of FIELDS. */
static size_t
end_of_field(const char *const *fields, unsigned k)
{
    size_t off = 0;
    for (unsigned i = 0; i <= k; i++)
        off += 2 + strlen(fields[i]);
    return off;
}

/* ---- saslauthd frames ---- */

START_TEST(test_frame_whole)
{
    GByteArray *req = request(4, sample4);
    saslauthd_parser *p = saslauthd_parser_new(4096);
    size_t consumed;
    const char *error = "unset";
    ck_assert_int_eq(saslauthd_parser_feed(p, req->data, req->len,
                                           &consumed, &error), FRAME_DONE);
    ck_assert_uint_eq(consumed, req->len);
    ck_assert_ptr_null(error);
    assert_fields(p, 4, sample4);
    /* Done stays done, consuming nothing. */
    ck_assert_int_eq(saslauthd_parser_feed(p, req->data, req->len,
                                           &consumed, &error), FRAME_DONE);
    ck_assert_uint_eq(consumed, 0);
    saslauthd_parser_free(p);
    g_byte_array_unref(req);

    req = request(5, sample5);
    p = saslauthd_parser_new(4096);
    ck_assert_int_eq(saslauthd_parser_feed(p, req->data, req->len,
                                           &consumed, NULL), FRAME_DONE);
    ck_assert_uint_eq(consumed, req->len);
    assert_fields(p, 5, sample5);
    saslauthd_parser_free(p);
    g_byte_array_unref(req);
}
END_TEST

/* Every way of cutting a request into two and into three chunks, and
 * byte by byte. */
static void
every_chunking(unsigned n, const char *const *fields)
{
    GByteArray *req = request(n, fields);
    size_t len = req->len;
    size_t after4 = end_of_field(fields, 3);
    const char *error;

    for (size_t a = 0; a <= len; a++) {
        for (size_t b = a; b <= len; b++) {
            size_t cuts[2] = { a, b };
            saslauthd_parser *p = saslauthd_parser_new(4096);
            frame_status st = feed_cut(p, req->data, len, cuts, 2, &error);
            ck_assert_int_eq(st, FRAME_DONE);
            /* The documented ambiguity: a five-field request whose input
             * pauses exactly after the fourth field reads as four. */
            if (n == 5 && (a == after4 || b == after4))
                assert_fields(p, 4, fields);
            else
                assert_fields(p, n, fields);
            saslauthd_parser_free(p);
        }
    }

    saslauthd_parser *p = saslauthd_parser_new(4096);
    frame_status st = FRAME_MORE;
    for (size_t i = 0; i < len && st == FRAME_MORE; i++) {
        size_t consumed;
        st = saslauthd_parser_feed(p, req->data + i, 1, &consumed, &error);
        ck_assert_uint_eq(consumed, 1);
        if (st == FRAME_MORE)
            ck_assert_uint_lt(i, len - 1);
    }
    ck_assert_int_eq(st, FRAME_DONE);
    assert_fields(p, 4, fields);    /* byte by byte pauses after field 4 */
    saslauthd_parser_free(p);
    g_byte_array_unref(req);
}

START_TEST(test_frame_every_chunking_4)
{
    every_chunking(4, sample4);
}
END_TEST

START_TEST(test_frame_every_chunking_5)
{
    every_chunking(5, sample5);
}
END_TEST

START_TEST(test_frame_every_chunking_empty)
{
    every_chunking(4, empty4);
}
END_TEST

START_TEST(test_frame_empty_chunks)
{
    saslauthd_parser *p = saslauthd_parser_new(4096);
    size_t consumed = 7;
    ck_assert_int_eq(saslauthd_parser_feed(p, NULL, 0, &consumed, NULL),
                     FRAME_MORE);
    ck_assert_uint_eq(consumed, 0);
    ck_assert_uint_eq(saslauthd_parser_fields(p), 0);
    ck_assert_str_eq(saslauthd_parser_field(p, 0), "");
    saslauthd_parser_free(p);
    saslauthd_parser_free(NULL);
}
END_TEST

START_TEST(test_frame_truncated)
{
    /* Every proper prefix that ends inside the first four fields is
     * incomplete, never done and never an error. */
    GByteArray *req = request(4, sample4);
    for (size_t cut = 0; cut < req->len; cut++) {
        saslauthd_parser *p = saslauthd_parser_new(4096);
        size_t consumed;
        ck_assert_int_eq(saslauthd_parser_feed(p, req->data, cut,
                                               &consumed, NULL), FRAME_MORE);
        ck_assert_uint_eq(consumed, cut);
        ck_assert_uint_eq(saslauthd_parser_fields(p), 0);
        saslauthd_parser_free(p);
    }
    g_byte_array_unref(req);

    /* Four fields and one byte of a fifth length: wait for the rest. */
    req = request(4, sample4);
    g_byte_array_append(req, (const guint8 *)"\0", 1);
    saslauthd_parser *p = saslauthd_parser_new(4096);
    ck_assert_int_eq(saslauthd_parser_feed(p, req->data, req->len, NULL,
                                           NULL), FRAME_MORE);
    saslauthd_parser_free(p);
    g_byte_array_unref(req);
}
END_TEST

START_TEST(test_frame_too_long)
{
    /* The password's length says 5000: refused as soon as the two length
     * bytes are read, without its bytes. */
    GByteArray *req = g_byte_array_new();
    put_field(req, "carol", 5);
    uint8_t hdr[2] = { 5000 >> 8, 5000 & 0xff };
    g_byte_array_append(req, hdr, 2);
    saslauthd_parser *p = saslauthd_parser_new(4096);
    size_t consumed;
    const char *error = NULL;
    ck_assert_int_eq(saslauthd_parser_feed(p, req->data, req->len,
                                           &consumed, &error), FRAME_ERROR);
    ck_assert_uint_eq(consumed, req->len);
    ck_assert_str_eq(error, "the password field is 5000 bytes, "
                     "more than max-field 4096");
    ck_assert_uint_eq(saslauthd_parser_fields(p), 0);
    ck_assert_str_eq(saslauthd_parser_field(p, 0), "");
    /* Error stays error, consuming nothing. */
    error = NULL;
    ck_assert_int_eq(saslauthd_parser_feed(p, req->data, req->len,
                                           &consumed, &error), FRAME_ERROR);
    ck_assert_uint_eq(consumed, 0);
    ck_assert_ptr_nonnull(error);
    saslauthd_parser_free(p);
    g_byte_array_unref(req);

    /* Exactly the limit is accepted; one more is not (every field). */
    for (unsigned f = 0; f < SASLAUTHD_FIELDS; f++) {
        for (unsigned extra = 0; extra < 2; extra++) {
            char *big = g_malloc(17 + extra);
            memset(big, 'x', 16 + extra);
            big[16 + extra] = '\0';
            const char *fields[SASLAUTHD_FIELDS] = { "u", "p", "s", "r", "a" };
            fields[f] = big;
            GByteArray *r = request(SASLAUTHD_FIELDS, fields);
            p = saslauthd_parser_new(16);
            frame_status st = saslauthd_parser_feed(p, r->data, r->len,
                                                    NULL, &error);
            if (extra == 0) {
                ck_assert_int_eq(st, FRAME_DONE);
                ck_assert_str_eq(saslauthd_parser_field(p, f), big);
            } else {
                ck_assert_int_eq(st, FRAME_ERROR);
                ck_assert_ptr_nonnull(strstr(error, "is 17 bytes, more "
                                             "than max-field 16"));
            }
            saslauthd_parser_free(p);
            g_byte_array_unref(r);
            g_free(big);
        }
    }
}
END_TEST

START_TEST(test_frame_64k_field)
{
    /* A 65535-byte field against the default limit: refused at once. */
    uint8_t hdr[2] = { 0xff, 0xff };
    saslauthd_parser *p = saslauthd_parser_new(4096);
    const char *error;
    ck_assert_int_eq(saslauthd_parser_feed(p, hdr, 2, NULL, &error),
                     FRAME_ERROR);
    ck_assert_str_eq(error, "the login field is 65535 bytes, "
                     "more than max-field 4096");
    saslauthd_parser_free(p);

    /* With no limit (0) the wire's own limit holds: a 65535-byte login
     * is read in pieces. */
    GByteArray *req = g_byte_array_new();
    char *big = g_malloc(65536);
    memset(big, 'L', 65535);
    big[65535] = '\0';
    put_field(req, big, 65535);
    put_field(req, "p", 1);
    put_field(req, "s", 1);
    put_field(req, "", 0);
    p = saslauthd_parser_new(0);
    frame_status st = FRAME_MORE;
    for (size_t off = 0; off < req->len && st == FRAME_MORE; off += 1000) {
        size_t n = req->len - off < 1000 ? req->len - off : 1000;
        st = saslauthd_parser_feed(p, req->data + off, n, NULL, NULL);
    }
    ck_assert_int_eq(st, FRAME_DONE);
    ck_assert_str_eq(saslauthd_parser_field(p, SASLAUTHD_LOGIN), big);
    ck_assert_str_eq(saslauthd_parser_field(p, SASLAUTHD_REALM), "");
    saslauthd_parser_free(p);
    g_byte_array_unref(req);
    g_free(big);
}
END_TEST

START_TEST(test_frame_nul_byte)
{
    for (unsigned f = 0; f < SASLAUTHD_FIELDS; f++) {
        GByteArray *req = g_byte_array_new();
        for (unsigned i = 0; i < SASLAUTHD_FIELDS; i++)
            put_field(req, i == f ? "a\0b" : "ok", i == f ? 3 : 2);
        static const char *const expect[] = {
            "the login field holds a NUL byte",
            "the password field holds a NUL byte",
            "the service field holds a NUL byte",
            "the realm field holds a NUL byte",
            "the client address field holds a NUL byte",
        };
        /* Whole, and byte by byte (the NUL in its own chunk). */
        saslauthd_parser *p = saslauthd_parser_new(4096);
        const char *error = NULL;
        size_t consumed;
        ck_assert_int_eq(saslauthd_parser_feed(p, req->data, req->len,
                                               &consumed, &error),
                         FRAME_ERROR);
        ck_assert_str_eq(error, expect[f]);
        /* Consumed up to and including the NUL: 4 bytes per field
         * before, its length and "a". */
        ck_assert_uint_eq(consumed, 4 * f + 2 + 2);
        saslauthd_parser_free(p);
        p = saslauthd_parser_new(4096);
        frame_status st = FRAME_MORE;
        for (size_t i = 0; i < req->len && st == FRAME_MORE; i++)
            st = saslauthd_parser_feed(p, req->data + i, 1, NULL, &error);
        /* Byte by byte, a NUL in the fifth field is never read: the
         * request is done after four. */
        if (f == SASLAUTHD_CLIENT_ADDR) {
            ck_assert_int_eq(st, FRAME_DONE);
        } else {
            ck_assert_int_eq(st, FRAME_ERROR);
            ck_assert_str_eq(error, expect[f]);
        }
        saslauthd_parser_free(p);
        g_byte_array_unref(req);
    }
}
END_TEST

START_TEST(test_frame_trailing_bytes)
{
    GByteArray *req = request(5, sample5);
    g_byte_array_append(req, (const guint8 *)"X", 1);
    saslauthd_parser *p = saslauthd_parser_new(4096);
    size_t consumed;
    const char *error;
    ck_assert_int_eq(saslauthd_parser_feed(p, req->data, req->len,
                                           &consumed, &error), FRAME_ERROR);
    ck_assert_str_eq(error, "bytes after the last field");
    ck_assert_uint_eq(consumed, req->len - 1);
    ck_assert_uint_eq(saslauthd_parser_fields(p), 0);
    saslauthd_parser_free(p);
    g_byte_array_unref(req);

    /* A second request behind the first in one read is refused too. */
    req = request(4, sample4);
    GByteArray *two = request(4, sample4);
    g_byte_array_append(req, two->data, two->len);
    p = saslauthd_parser_new(4096);
    ck_assert_int_eq(saslauthd_parser_feed(p, req->data, req->len,
                                           NULL, &error), FRAME_ERROR);
    saslauthd_parser_free(p);
    g_byte_array_unref(req);
    g_byte_array_unref(two);
}
END_TEST

START_TEST(test_frame_reply)
{
    GString *out = g_string_new("prefix");
    saslauthd_reply_encode(out, "OK");
    ck_assert_uint_eq(out->len, 6 + 4);
    ck_assert_int_eq(memcmp(out->str + 6, "\0\2OK", 4), 0);
    g_string_truncate(out, 0);
    saslauthd_reply_encode(out, "");
    ck_assert_uint_eq(out->len, 2);
    ck_assert_int_eq(memcmp(out->str, "\0\0", 2), 0);
    g_string_truncate(out, 0);
    saslauthd_reply_encode(out, "NO temporary failure: db1 down");
    ck_assert_uint_eq(out->len, 2 + 30);
    ck_assert_int_eq((uint8_t)out->str[0], 0);
    ck_assert_int_eq((uint8_t)out->str[1], 30);
    g_string_truncate(out, 0);

    /* Over 65535 bytes: cut, and the length says what was sent. */
    char *big = g_malloc(70001);
    memset(big, 'N', 70000);
    big[70000] = '\0';
    saslauthd_reply_encode(out, big);
    ck_assert_uint_eq(out->len, 2 + 65535);
    ck_assert_int_eq((uint8_t)out->str[0], 0xff);
    ck_assert_int_eq((uint8_t)out->str[1], 0xff);
    g_free(big);
    g_string_free(out, TRUE);
}
END_TEST

/* A length over 255 uses both bytes, high byte first. */
START_TEST(test_frame_reply_length_300)
{
    char text[301];
    memset(text, 'r', 300);
    text[300] = '\0';
    GString *out = g_string_new(NULL);
    saslauthd_reply_encode(out, text);
    ck_assert_uint_eq(((uint8_t)out->str[0] << 8) | (uint8_t)out->str[1], 300);
    ck_assert_int_eq(memcmp(out->str + 2, text, 300), 0);
    g_string_free(out, TRUE);
}
END_TEST

/* ---- netstrings ---- */

/* Parses one netstring from DATA cut at every pair of offsets; each must
 * give PAYLOAD (PLEN bytes) and consume exactly USED bytes in all. */
static void
netstring_every_chunking(const char *data, size_t len, const char *payload,
                         size_t plen, size_t used)
{
    for (size_t a = 0; a <= len; a++) {
        for (size_t b = a; b <= len; b++) {
            size_t cuts[3] = { a, b, len };
            netstring_parser *p = netstring_parser_new(1000);
            size_t start = 0, total = 0;
            frame_status st = FRAME_MORE;
            for (size_t c = 0; c < 3 && st == FRAME_MORE; c++) {
                size_t consumed = 99999;
                const char *error = "unset";
                st = netstring_parser_feed(p, (const uint8_t *)data + start,
                                           cuts[c] - start, &consumed,
                                           &error);
                ck_assert_uint_le(consumed, cuts[c] - start);
                if (st == FRAME_MORE)
                    ck_assert_uint_eq(consumed, cuts[c] - start);
                ck_assert_ptr_null(error);
                total += consumed;
                start = cuts[c];
            }
            ck_assert_int_eq(st, FRAME_DONE);
            ck_assert_uint_eq(total, used);
            size_t got_len = 12345;
            const char *got = netstring_parser_payload(p, &got_len);
            ck_assert_uint_eq(got_len, plen);
            ck_assert_int_eq(memcmp(got, payload, plen), 0);
            ck_assert_int_eq(got[plen], '\0');
            netstring_parser_free(p);
        }
    }
}

START_TEST(test_netstring_every_chunking)
{
    static const char req[] = "27:mailboxes alice@example.org,";
    netstring_every_chunking(req, sizeof req - 1,
                             "mailboxes alice@example.org", 27,
                             sizeof req - 1);
    netstring_every_chunking("0:,", 3, "", 0, 3);
    /* A payload may hold any byte, a NUL and a ',' too. */
    netstring_every_chunking("5:a\0b,c,", 8, "a\0b,c", 5, 8);
    /* Bytes after the netstring stay with the caller. */
    netstring_every_chunking("3:abc,4:next,", 13, "abc", 3, 6);
}
END_TEST

START_TEST(test_netstring_pipelined)
{
    /* Several requests on one connection, in one read. */
    static const char in[] = "9:domains a,0:,11:quota alice,";
    netstring_parser *p = netstring_parser_new(100);
    const uint8_t *data = (const uint8_t *)in;
    size_t left = sizeof in - 1, consumed, len;
    static const char *const expect[] = { "domains a", "", "quota alice" };
    for (unsigned i = 0; i < 3; i++) {
        ck_assert_int_eq(netstring_parser_feed(p, data, left, &consumed,
                                               NULL), FRAME_DONE);
        ck_assert_str_eq(netstring_parser_payload(p, &len), expect[i]);
        ck_assert_uint_eq(len, strlen(expect[i]));
        /* Done stays done until reset. */
        ck_assert_int_eq(netstring_parser_feed(p, data + consumed,
                                               left - consumed, &len, NULL),
                         FRAME_DONE);
        ck_assert_uint_eq(len, 0);
        data += consumed;
        left -= consumed;
        netstring_parser_reset(p);
        ck_assert_ptr_null(netstring_parser_payload(p, &len));
        ck_assert_uint_eq(len, 0);
    }
    ck_assert_uint_eq(left, 0);
    ck_assert_int_eq(netstring_parser_feed(p, data, 0, &consumed, NULL),
                     FRAME_MORE);
    netstring_parser_free(p);
    netstring_parser_free(NULL);
}
END_TEST

/* Every error, whole and byte by byte, with the bytes consumed up to
 * and including the offending one. */
static void
netstring_error(size_t max_len, const char *in, size_t len,
                const char *reason, size_t at)
{
    netstring_parser *p = netstring_parser_new(max_len);
    size_t consumed;
    const char *error = NULL;
    ck_assert_int_eq(netstring_parser_feed(p, (const uint8_t *)in, len,
                                           &consumed, &error), FRAME_ERROR);
    ck_assert_str_eq(error, reason);
    ck_assert_uint_eq(consumed, at);
    ck_assert_ptr_null(netstring_parser_payload(p, NULL));
    /* Error stays error. */
    ck_assert_int_eq(netstring_parser_feed(p, (const uint8_t *)in, len,
                                           &consumed, &error), FRAME_ERROR);
    ck_assert_uint_eq(consumed, 0);
    ck_assert_str_eq(error, reason);
    /* Reset makes it usable again. */
    netstring_parser_reset(p);
    ck_assert_int_eq(netstring_parser_feed(p, (const uint8_t *)"1:x,", 4,
                                           &consumed, &error), FRAME_DONE);
    netstring_parser_free(p);

    p = netstring_parser_new(max_len);
    frame_status st = FRAME_MORE;
    size_t i;
    for (i = 0; i < len && st == FRAME_MORE; i++)
        st = netstring_parser_feed(p, (const uint8_t *)in + i, 1, &consumed,
                                   &error);
    ck_assert_int_eq(st, FRAME_ERROR);
    ck_assert_uint_eq(i, at);
    ck_assert_str_eq(error, reason);
    netstring_parser_free(p);
}

START_TEST(test_netstring_errors)
{
    netstring_error(100, "01:a,", 5, "netstring length with a leading zero",
                    2);
    netstring_error(100, "00:,", 4, "netstring length with a leading zero",
                    2);
    netstring_error(100, ":a,", 3, "netstring without a length before ':'",
                    1);
    netstring_error(100, "x:a,", 4, "netstring does not start with a digit",
                    1);
    netstring_error(100, "-1:a,", 5,
                    "netstring does not start with a digit", 1);
    netstring_error(100, "3x:abc,", 7, "netstring length not followed by ':'",
                    2);
    netstring_error(100, "3 :abc,", 7,
                    "netstring length not followed by ':'", 2);
    netstring_error(100, "3:abc;", 6, "netstring payload not followed by ','",
                    6);
    netstring_error(100, "3:abcd,", 7,
                    "netstring payload not followed by ','", 6);
    /* Over the limit: refused at the digit that crosses it, before any
     * payload is buffered. */
    netstring_error(100, "101:", 4, "netstring longer than the limit", 3);
    netstring_error(100, "1000", 4, "netstring longer than the limit", 4);
    netstring_error((size_t)-1, "12345678901:", 12,
                    "netstring length of more than 10 digits", 11);
    /* A limit of exactly the length is fine. */
    netstring_parser *p = netstring_parser_new(3);
    ck_assert_int_eq(netstring_parser_feed(p, (const uint8_t *)"3:abc,", 6,
                                           NULL, NULL), FRAME_DONE);
    netstring_parser_free(p);
}
END_TEST

START_TEST(test_netstring_truncated)
{
    static const char in[] = "12:quota carol,";
    for (size_t cut = 0; cut < sizeof in - 1; cut++) {
        netstring_parser *p = netstring_parser_new(100);
        size_t consumed;
        ck_assert_int_eq(netstring_parser_feed(p, (const uint8_t *)in, cut,
                                               &consumed, NULL), FRAME_MORE);
        ck_assert_uint_eq(consumed, cut);
        ck_assert_ptr_null(netstring_parser_payload(p, NULL));
        netstring_parser_free(p);
    }
}
END_TEST

START_TEST(test_netstring_encode)
{
    GString *out = g_string_new("x");
    netstring_encode(out, "OK alice@example.org", 20);
    ck_assert_str_eq(out->str, "x20:OK alice@example.org,");
    g_string_truncate(out, 0);
    netstring_encode(out, "NOTFOUND ", 9);
    ck_assert_str_eq(out->str, "9:NOTFOUND ,");
    g_string_truncate(out, 0);
    netstring_encode(out, "", 0);
    ck_assert_str_eq(out->str, "0:,");
    g_string_truncate(out, 0);
    netstring_encode(out, "a\0b", 3);
    ck_assert_uint_eq(out->len, 6);
    ck_assert_int_eq(memcmp(out->str, "3:a\0b,", 6), 0);

    /* What the encoder writes, the parser reads back. */
    char *big = g_malloc(100000);
    for (size_t i = 0; i < 100000; i++)
        big[i] = (char)(i * 7);
    g_string_truncate(out, 0);
    netstring_encode(out, big, 100000);
    netstring_parser *p = netstring_parser_new(100000);
    size_t consumed, len;
    ck_assert_int_eq(netstring_parser_feed(p, (const uint8_t *)out->str,
                                           out->len, &consumed, NULL),
                     FRAME_DONE);
    ck_assert_uint_eq(consumed, out->len);
    const char *payload = netstring_parser_payload(p, &len);
    ck_assert_uint_eq(len, 100000);
    ck_assert_int_eq(memcmp(payload, big, 100000), 0);
    netstring_parser_free(p);
    g_free(big);
    g_string_free(out, TRUE);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("daemon-frames");
    TCase *tc = tcase_create("saslauthd");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_frame_whole);
    tcase_add_test(tc, test_frame_every_chunking_4);
    tcase_add_test(tc, test_frame_every_chunking_5);
    tcase_add_test(tc, test_frame_every_chunking_empty);
    tcase_add_test(tc, test_frame_empty_chunks);
    tcase_add_test(tc, test_frame_truncated);
    tcase_add_test(tc, test_frame_too_long);
    tcase_add_test(tc, test_frame_64k_field);
    tcase_add_test(tc, test_frame_nul_byte);
    tcase_add_test(tc, test_frame_trailing_bytes);
    tcase_add_test(tc, test_frame_reply);
    tcase_add_test(tc, test_frame_reply_length_300);
    suite_add_tcase(suite, tc);
    tc = tcase_create("netstring");
    tcase_add_test(tc, test_netstring_every_chunking);
    tcase_add_test(tc, test_netstring_pipelined);
    tcase_add_test(tc, test_netstring_errors);
    tcase_add_test(tc, test_netstring_truncated);
    tcase_add_test(tc, test_netstring_encode);
    suite_add_tcase(suite, tc);
    return sd_check_run(suite);
}
