/*
 * socketmap.c - libFuzzer target for sasldird's socketmap side: the
 * netstring parser (daemon/netstring.c) and the maps' request handling
 * (daemon/socketmap.c) against a memory directory.
 *
 * Offers: LLVMFuzzerInitialize() (loads the directory once) and
 * LLVMFuzzerTestOneInput().  Input: byte 0 picks the netstring limit
 * (0-255 bytes, or 4096 when it is 255), byte 1 seeds the chunk sizes;
 * the rest is what a client sends on one connection: any number of
 * netstrings, fed in chunks of 1..32 bytes, each finished request
 * answered as sasldird answers it, until the input ends or the parser
 * fails (then sasldird drops the connection).
 *
 * Results: nothing; the sanitizers report memory errors.  Oracles, which
 * abort() when broken: the parser consumes at most what it is given and
 * all of it while it wants more; a finished netstring re-encoded is
 * exactly the bytes consumed for it; a payload is NUL-terminated and no
 * longer than the limit; a failure has a reason; every answer is "OK ",
 * "NOTFOUND " (exactly), "TEMP " or "PERM " with a result that agrees,
 * no longer than Postfix reads, and TEMP never comes from a memory
 * directory; the same request asked twice gets the same answer.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netstring.h"
#include "sd_directory.h"
#include "socketmap.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sd_registry *registry;  /* kept for the whole run */
static sd_directory *directory;

static const char config[] =
    "[storage]\n"
    "directory = \"mem\"\n"
    "[directory.\"mem\"]\n"
    "type = \"memory\"\n"
    "[directory.\"mem\".options]\n"
    "subaddressing = true\n"
    "catch-all = true\n"
    "[directory.\"mem\".lookup]\n"
    "domains = [\"example.org\", \"example.net\", \"xn--bcher-kva.example\"]\n"
    "[[directory.\"mem\".principals]]\n"
    "name = \"alice\"\n"
    "email = [\"alice@example.org\", \"a.liddell@example.org\"]\n"
    "email-list = [\"staff@example.org\"]\n"
    "member-of = [\"staff\"]\n"
    "[[directory.\"mem\".principals]]\n"
    "name = \"bob\"\n"
    "email = [\"bob@example.org\", \"bob@b\xc3\xbc" "cher.example\"]\n"
    "email-list = [\"staff@example.org\"]\n"
    "quota = \"5G\"\n"
    "[[directory.\"mem\".principals]]\n"
    "name = \"postmaster\"\n"
    "class = \"admin\"\n"
    "email = [\"postmaster@example.org\", \"@example.net\"]\n"
    "[[directory.\"mem\".principals]]\n"
    "name = \"staff\"\n"
    "class = \"group\"\n"
    "quota = \"1G\"\n";

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

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    GError *error = NULL;
    registry = sd_registry_load_data(config, strlen(config),
                                                  "fuzz.toml", &error);
    if (registry == NULL) {
        fprintf(stderr, "fuzz-socketmap: %s\n", error->message);
        abort();
    }
    directory = sd_registry_default(registry);
    return 0;
}

static void
check_answer(const char *request, size_t len)
{
    sd_result result = (sd_result)-1;
    char *answer = socketmap_answer(directory, request, len, &result);
    size_t alen = strlen(answer);
    check(alen <= 100000);
    if (g_str_has_prefix(answer, "OK "))
        check(result == SD_OK);
    else if (g_str_has_prefix(answer, "NOTFOUND"))
        check(result == SD_NOTFOUND && strcmp(answer, "NOTFOUND ") == 0);
    else if (g_str_has_prefix(answer, "PERM "))
        check(result == SD_ERROR);
    else
        check(false);           /* TEMP cannot come from memory */
    for (size_t i = 0; i < alen; i++)
        check((unsigned char)answer[i] >= 0x20 && answer[i] != 0x7f);
    /* No state: the same request, the same answer. */
    char *again = socketmap_answer(directory, request, len, NULL);
    check(strcmp(again, answer) == 0);
    g_free(again);
    g_free(answer);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t limit = data[0] == 255 ? 4096 : data[0];
    unsigned seed = data[1];
    data += 2;
    size -= 2;

    netstring_parser *parser = netstring_parser_new(limit);
    size_t pos = 0, start = 0;
    frame_status st = FRAME_MORE;
    GString *again = g_string_new(NULL);
    while (pos < size) {
        seed = seed * 1103515245u + 12345u;
        size_t n = 1 + (seed >> 16) % 32;
        if (n > size - pos)
            n = size - pos;
        size_t consumed = (size_t)-1;
        const char *error = NULL;
        st = netstring_parser_feed(parser, data + pos, n, &consumed, &error);
        check(consumed <= n);
        check(st != FRAME_MORE || consumed == n);
        check((st == FRAME_ERROR) == (error != NULL));
        pos += consumed;
        if (st == FRAME_ERROR)
            break;
        if (st == FRAME_DONE) {
            size_t len = (size_t)-1;
            const char *payload = netstring_parser_payload(parser, &len);
            check(payload != NULL && len <= limit && payload[len] == '\0');
            g_string_truncate(again, 0);
            netstring_encode(again, payload, len);
            check(again->len == pos - start
                  && memcmp(again->str, data + start, again->len) == 0);
            check_answer(payload, len);
            netstring_parser_reset(parser);
            start = pos;
        }
    }
    g_string_free(again, TRUE);
    netstring_parser_free(parser);
    return 0;
}
