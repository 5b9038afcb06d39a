/*
 * test_secret.c - scheme selection, malformed and hostile stored secrets,
 * and the plaintext rules.  Hashes made by independent tools are checked
 * by secret-vectors.test; the fixed vectors here are published values.
 */
#include "config.h"

#include <string.h>

#include "sd_check.h"
#include "sd_secret.h"

/* Asserts that STORED gives SD_ERROR with a message containing NEEDLE. */
static void
assert_error(const char *stored, const char *needle)
{
    GError *error = NULL;
    ck_assert_int_eq(sd_secret_verify(stored, "canary-8b1f", &error),
                     SD_ERROR);
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(strstr(error->message, needle) != NULL,
                  "'%s' does not mention '%s'", error->message, needle);
    ck_assert_ptr_null(strstr(error->message, "canary"));
    g_error_free(error);
}

START_TEST(test_plaintext)
{
    ck_assert_int_eq(sd_secret_verify("s3cret", "s3cret", NULL), SD_OK);
    ck_assert_int_eq(sd_secret_verify("s3cret", "s3cre", NULL), SD_MISMATCH);
    ck_assert_int_eq(sd_secret_verify("s3cret", "s3crett", NULL),
                     SD_MISMATCH);
    ck_assert_int_eq(sd_secret_verify("{PLAIN}s3cret", "s3cret", NULL),
                     SD_OK);
    ck_assert_int_eq(sd_secret_verify("{plain}s3cret", "s3cret", NULL),
                     SD_OK);
    ck_assert_int_eq(sd_secret_verify("{CLEAR}s3cret", "s3cret", NULL),
                     SD_OK);
    ck_assert_int_eq(sd_secret_verify("{CLEARTEXT}s3cret", "s3cret", NULL),
                     SD_OK);
    /* The prefix is not part of the password. */
    ck_assert_int_eq(sd_secret_verify("{PLAIN}s3cret", "{PLAIN}s3cret",
                                      NULL), SD_MISMATCH);
}
END_TEST

START_TEST(test_empty_never_matches)
{
    ck_assert_int_eq(sd_secret_verify("", "", NULL), SD_MISMATCH);
    ck_assert_int_eq(sd_secret_verify("", "x", NULL), SD_MISMATCH);
    ck_assert_int_eq(sd_secret_verify("{PLAIN}", "", NULL), SD_MISMATCH);
    ck_assert_int_eq(sd_secret_verify(NULL, "x", NULL), SD_MISMATCH);
    ck_assert_int_eq(sd_secret_verify("x", NULL, NULL), SD_MISMATCH);
}
END_TEST

START_TEST(test_published_digest_vectors)
{
    /* SHA-1("password") and MD5("password"), base64: RFC 2307 style. */
    ck_assert_int_eq(sd_secret_verify("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
                                      "password", NULL), SD_OK);
    ck_assert_int_eq(sd_secret_verify("{sha}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
                                      "Password", NULL), SD_MISMATCH);
    ck_assert_int_eq(sd_secret_verify("{MD5}X03MO1qnZdYdgyfeuILPmQ==",
                                      "password", NULL), SD_OK);
}
END_TEST

START_TEST(test_unknown_scheme_is_error)
{
    assert_error("{NOSUCH}abc", "{NOSUCH}");
    assert_error("{SSHA", "closing '}'");
    assert_error("{AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA}x", "closing '}'");
}
END_TEST

START_TEST(test_malformed_digests)
{
    assert_error("{SHA}not*base64", "malformed {SHA}");
    assert_error("{SHA}AAAA", "20-byte digest");        /* too short */
    assert_error("{SSHA}AAAA", "followed by the salt");  /* shorter than SHA-1 */
    assert_error("{SHA256}", "32-byte digest");
    assert_error("{SSHA512}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "{SSHA512}");
}
END_TEST

START_TEST(test_crypt_limits)
{
    /* Refused before any work: a cost of 2^31 would take days. */
    assert_error("$2b$31$abcdefghijklmnopqrstuu5Yb5X1lQ5ZGZJcm0ytSd8qy2FjYo6W",
                 "bcrypt cost 31");
    assert_error("$6$rounds=999999999$salt$x", "rounds=999999999");
    assert_error("$5$rounds=20000000$salt$x", "above the limit");
}
END_TEST

START_TEST(test_crypt_unsupported)
{
    assert_error("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", "crypt");
    assert_error("$nosuch$abc", "crypt");
    assert_error("_bad", "bsdi-crypt");
}
END_TEST

START_TEST(test_is_plaintext)
{
    ck_assert(sd_secret_is_plaintext("word"));
    ck_assert(sd_secret_is_plaintext("{PLAIN}word"));
    ck_assert(sd_secret_is_plaintext("{clear}word"));
    ck_assert(!sd_secret_is_plaintext("{SSHA}abcd"));
    ck_assert(!sd_secret_is_plaintext("$6$salt$hash"));
    ck_assert(!sd_secret_is_plaintext("{UNKNOWN}word"));
}
END_TEST

START_TEST(test_scheme_names)
{
    ck_assert_str_eq(sd_secret_scheme_name("$2b$05$x"), "bcrypt");
    ck_assert_str_eq(sd_secret_scheme_name("$y$j9T$x"), "yescrypt");
    ck_assert_str_eq(sd_secret_scheme_name("{ssha512}x"), "SSHA512");
    ck_assert_str_eq(sd_secret_scheme_name("{CRYPT}$6$x"), "sha512-crypt");
    ck_assert_str_eq(sd_secret_scheme_name("{CRYPT}abcdefghijklm"),
                     "des-crypt");
    ck_assert_str_eq(sd_secret_scheme_name("hello"), "plain");
    ck_assert_str_eq(sd_secret_scheme_name("{WHAT}x"), "unknown");
    ck_assert_ptr_nonnull(sd_secret_scheme_names()[0]);
}
END_TEST

START_TEST(test_dummy_never_crashes)
{
    sd_secret_verify_dummy(NULL, "anything");
    sd_secret_verify_dummy(NULL, "");
    sd_secret_verify_dummy(NULL, NULL);
}
END_TEST

START_TEST(test_wipe)
{
    char buffer[16];
    memset(buffer, 'x', sizeof buffer);
    sd_memwipe(buffer, sizeof buffer);
    for (size_t i = 0; i < sizeof buffer; i++)
        ck_assert_int_eq(buffer[i], 0);
    sd_secret_free(NULL);
    sd_secret_free(g_strdup("secret"));
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("secret");
    TCase *tc = tcase_create("secret");
    tcase_add_test(tc, test_plaintext);
    tcase_add_test(tc, test_empty_never_matches);
    tcase_add_test(tc, test_published_digest_vectors);
    tcase_add_test(tc, test_unknown_scheme_is_error);
    tcase_add_test(tc, test_malformed_digests);
    tcase_add_test(tc, test_crypt_limits);
    tcase_add_test(tc, test_crypt_unsupported);
    tcase_add_test(tc, test_is_plaintext);
    tcase_add_test(tc, test_scheme_names);
    tcase_add_test(tc, test_dummy_never_crashes);
    tcase_add_test(tc, test_wipe);
    suite_add_tcase(suite, tc);
    return sd_check_run(suite);
}
