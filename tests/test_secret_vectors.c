/*
 * test_secret_vectors.c - every stored secret of tests/vectors/secrets.txt
 * (made by independent tools: see tests/vectors/generate) checked in
 * process with sd_secret_verify(), for its password and a wrong one.
 * secret-vectors.test does the same through "sasldir verify-secret" for
 * one of the passwords; this program covers all of them without paying
 * for a process per check.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd_check.h"
#include "sd_secret.h"

static char **passwords;        /* passwords.txt, one per line */
static guint password_count;
static GPtrArray *vectors;      /* lines of secrets.txt */

static char **
read_lines(const char *name, guint *count)
{
    const char *top = g_getenv("top_srcdir");
    char *path = g_build_filename(top != NULL ? top : "..", "tests",
                                  "vectors", name, NULL);
    char *text = NULL;
    GError *error = NULL;
    if (!g_file_get_contents(path, &text, NULL, &error)) {
        fprintf(stderr, "%s\n", error->message);
        exit(1);
    }
    g_free(path);
    g_strchomp(text);
    char **lines = g_strsplit(text, "\n", -1);
    g_free(text);
    *count = g_strv_length(lines);
    return lines;
}

START_TEST(test_vector)
{
    char **fields = g_strsplit(g_ptr_array_index(vectors, _i), "\t", 3);
    ck_assert_uint_eq(g_strv_length(fields), 3);
    guint64 n = g_ascii_strtoull(fields[1], NULL, 10);
    ck_assert(n >= 1 && n <= password_count);
    const char *password = passwords[n - 1];
    GError *error = NULL;
    sd_result result = sd_secret_verify(fields[2], password, &error);
    ck_assert_msg(result == SD_OK, "%s, password %s: %s", fields[0],
                  fields[1], error != NULL ? error->message : "mismatch");
    char *wrong = g_strconcat("X", password, NULL);
    ck_assert_msg(sd_secret_verify(fields[2], wrong, NULL) == SD_MISMATCH,
                  "%s, password %s: a wrong password matched", fields[0],
                  fields[1]);
    g_free(wrong);
    g_strfreev(fields);
}
END_TEST

int
main(void)
{
    passwords = read_lines("passwords.txt", &password_count);
    guint count = 0;
    char **lines = read_lines("secrets.txt", &count);
    vectors = g_ptr_array_new();
    for (guint i = 0; i < count; i++)
        g_ptr_array_add(vectors, lines[i]);
    Suite *suite = suite_create("secret-vectors");
    TCase *tc = tcase_create("vectors");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_vector, 0, (int)vectors->len);
    suite_add_tcase(suite, tc);
    int status = sd_check_run(suite);
    g_ptr_array_unref(vectors);
    g_strfreev(lines);
    g_strfreev(passwords);
    return status;
}
