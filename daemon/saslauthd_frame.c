/*
 * saslauthd_frame.c - the saslauthd request parser and reply encoder.
 *
 * Offers what saslauthd_frame.h declares.  The parser is a small state
 * machine: for each field it first collects the two length bytes, then
 * allocates exactly that many bytes (plus a NUL) and copies the field as
 * it arrives, so no chunking of the input changes the result except the
 * one the header documents (a request that ends after four fields in the
 * bytes received so far is taken as a four-field request).
 *
 * Failure modes: a length over the limit, a NUL byte in a field, bytes
 * after the fifth field.  The reason is kept in the parser (it names the
 * field, never its contents) and stays valid until the parser is freed.
 */
#include "config.h"

#include <string.h>

#include "saslauthd_frame.h"
#include "sd_secret.h"          /* sd_memwipe */

/* The wire format's own limit: a 16-bit length. */
#define WIRE_MAX_FIELD 65535u

struct saslauthd_parser {
    unsigned max_field;
    frame_status status;
    const char *error;
    unsigned field;             /* the field being read (0-based) */
    unsigned len_have;          /* length bytes of it read so far: 0..2 */
    uint8_t len_bytes[2];
    size_t need;                /* its length, once len_have == 2 */
    size_t have;                /* its bytes read so far */
    char *value[SASLAUTHD_FIELDS];
    size_t value_len[SASLAUTHD_FIELDS];
    unsigned fields;            /* complete fields */
    char reason[128];           /* storage for a reason naming a field */
};

static const char *const field_names[SASLAUTHD_FIELDS] = {
    "login", "password", "service", "realm", "client address"
};

saslauthd_parser *
saslauthd_parser_new(unsigned max_field)
{
    saslauthd_parser *parser = g_new0(saslauthd_parser, 1);
    /* 0 or more than the wire allows both mean "what the wire allows". */
    parser->max_field = max_field == 0 || max_field > WIRE_MAX_FIELD
                        ? WIRE_MAX_FIELD : max_field;
    parser->status = FRAME_MORE;
    return parser;
}

void
saslauthd_parser_free(saslauthd_parser *parser)
{
    if (parser == NULL)
        return;
    /* Every field is wiped, not only the password: a client may have
     * sent its fields in an unexpected order. */
    for (unsigned i = 0; i < SASLAUTHD_FIELDS; i++) {
        sd_memwipe(parser->value[i], parser->value_len[i]);
        g_free(parser->value[i]);
    }
    sd_memwipe(parser, sizeof *parser);
    g_free(parser);
}

static frame_status
fail(saslauthd_parser *parser, const char *error)
{
    parser->status = FRAME_ERROR;
    parser->error = error;
    return FRAME_ERROR;
}

/* The field's length is known: refuse it now if over the limit, before
 * any of its bytes are buffered. */
static frame_status
start_field(saslauthd_parser *parser)
{
    unsigned i = parser->field;
    parser->need = (size_t)parser->len_bytes[0] << 8 | parser->len_bytes[1];
    if (parser->need > parser->max_field) {
        g_snprintf(parser->reason, sizeof parser->reason,
                   "the %s field is %zu bytes, more than max-field %u",
                   field_names[i], parser->need, parser->max_field);
        return fail(parser, parser->reason);
    }
    parser->value[i] = g_malloc(parser->need + 1);
    parser->value_len[i] = parser->need + 1;
    parser->have = 0;
    return FRAME_MORE;
}

/* Copies what is there of the current field; FRAME_ERROR on a NUL. */
static frame_status
fill_field(saslauthd_parser *parser, const uint8_t *data, size_t len,
           size_t *used)
{
    unsigned i = parser->field;
    size_t n = parser->need - parser->have;
    if (n > len)
        n = len;
    *used = n;
    const uint8_t *nul = memchr(data, '\0', n);
    if (nul != NULL) {
        /* Consumed up to the NUL, whatever the chunking. */
        *used = (size_t)(nul - data) + 1;
        g_snprintf(parser->reason, sizeof parser->reason,
                   "the %s field holds a NUL byte", field_names[i]);
        return fail(parser, parser->reason);
    }
    memcpy(parser->value[i] + parser->have, data, n);
    parser->have += n;
    return FRAME_MORE;
}

frame_status
saslauthd_parser_feed(saslauthd_parser *parser, const uint8_t *data,
                      size_t len, size_t *consumed, const char **error)
{
    size_t pos = 0;

    while (parser->status == FRAME_MORE) {
        if (parser->field == SASLAUTHD_FIELDS) {
            if (pos < len)
                fail(parser, "bytes after the last field");
            else
                parser->status = FRAME_DONE;
            break;
        }
        if (parser->len_have == 2 && parser->have == parser->need) {
            /* Also an empty field, complete with its length. */
            parser->value[parser->field][parser->need] = '\0';
            parser->field++;
            parser->fields++;
            parser->len_have = 0;
            continue;
        }
        if (parser->field == SASLAUTHD_CLIENT_ADDR && parser->len_have == 0
            && pos == len) {
            /* Four fields and nothing after them: an older client. */
            parser->status = FRAME_DONE;
            break;
        }
        if (pos == len)
            break;
        if (parser->len_have < 2) {
            parser->len_bytes[parser->len_have++] = data[pos++];
            if (parser->len_have == 2)
                start_field(parser);
            continue;
        }
        size_t used;
        fill_field(parser, data + pos, len - pos, &used);
        pos += used;
    }
    if (consumed != NULL)
        *consumed = pos;
    if (error != NULL)
        *error = parser->status == FRAME_ERROR ? parser->error : NULL;
    return parser->status;
}

unsigned
saslauthd_parser_fields(const saslauthd_parser *parser)
{
    return parser->status == FRAME_DONE ? parser->fields : 0;
}

const char *
saslauthd_parser_field(const saslauthd_parser *parser, unsigned i)
{
    if (parser->status != FRAME_DONE || i >= parser->fields)
        return "";
    return parser->value[i];
}

void
saslauthd_reply_encode(GString *out, const char *text)
{
    size_t len = strlen(text);
    if (len > WIRE_MAX_FIELD)
        len = WIRE_MAX_FIELD;
    g_string_append_c(out, (char)(len >> 8 & 0xff));
    g_string_append_c(out, (char)(len & 0xff));
    g_string_append_len(out, text, (gssize)len);
}
