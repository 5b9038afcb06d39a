/*
 * test_result.c - result names, errors, exit statuses and the mapping to
 * libsasl2's codes.
 */
#include "config.h"

#include <sasl/sasl.h>

#include "sd_check.h"
#include "sd_result.h"
#include "sd_sasl.h"

START_TEST(test_names)
{
    ck_assert_str_eq(sd_result_name(SD_OK), "ok");
    ck_assert_str_eq(sd_result_name(SD_NOTFOUND), "not found");
    ck_assert_str_eq(sd_result_name(SD_MISMATCH), "mismatch");
    ck_assert_str_eq(sd_result_name(SD_TEMPFAIL), "temporary failure");
    ck_assert_str_eq(sd_result_name(SD_ERROR), "error");
}
END_TEST

START_TEST(test_exit_statuses)
{
    ck_assert_int_eq(sd_result_exit_status(SD_OK), 0);
    ck_assert_int_eq(sd_result_exit_status(SD_NOTFOUND), 1);
    ck_assert_int_eq(sd_result_exit_status(SD_MISMATCH), 1);
    ck_assert_int_eq(sd_result_exit_status(SD_TEMPFAIL), 75);
    ck_assert_int_eq(sd_result_exit_status(SD_ERROR), 2);
}
END_TEST

START_TEST(test_fail_sets_error)
{
    GError *error = NULL;
    ck_assert_int_eq(sd_fail(&error, SD_TEMPFAIL, "host %s down", "db1"),
                     SD_TEMPFAIL);
    ck_assert_ptr_nonnull(error);
    ck_assert_str_eq(error->message, "host db1 down");
    ck_assert_int_eq(sd_result_of_error(error), SD_TEMPFAIL);
    /* A second failure replaces the first instead of tripping GLib. */
    sd_fail(&error, SD_ERROR, "bad");
    ck_assert_str_eq(error->message, "bad");
    g_error_free(error);
    ck_assert_int_eq(sd_fail(NULL, SD_MISMATCH, "ignored"), SD_MISMATCH);
}
END_TEST

START_TEST(test_foreign_error_is_error)
{
    GError *error = g_error_new_literal(G_FILE_ERROR, G_FILE_ERROR_NOENT,
                                        "gone");
    ck_assert_int_eq(sd_result_of_error(error), SD_ERROR);
    ck_assert_int_eq(sd_result_of_error(NULL), SD_ERROR);
    g_error_free(error);
}
END_TEST

START_TEST(test_sasl_mapping)
{
    ck_assert_int_eq(sd_result_to_sasl(SD_OK, 0), SASL_OK);
    ck_assert_int_eq(sd_result_to_sasl(SD_NOTFOUND, 0), SASL_NOUSER);
    ck_assert_int_eq(sd_result_to_sasl(SD_NOTFOUND, SD_SASL_HIDE_NOUSER),
                     SASL_BADAUTH);
    ck_assert_int_eq(sd_result_to_sasl(SD_MISMATCH, 0), SASL_BADAUTH);
    ck_assert_int_eq(sd_result_to_sasl(SD_TEMPFAIL, 0), SASL_UNAVAIL);
    ck_assert_int_eq(sd_result_to_sasl(SD_TEMPFAIL, SD_SASL_TRYAGAIN),
                     SASL_TRYAGAIN);
    ck_assert_int_eq(sd_result_to_sasl(SD_ERROR, 0), SASL_FAIL);
    /* A temporary failure is never a wrong password. */
    ck_assert_int_ne(sd_result_to_sasl(SD_TEMPFAIL, SD_SASL_HIDE_NOUSER),
                     SASL_BADAUTH);
}
END_TEST

int
main(void)
{
    Suite *suite = suite_create("result");
    TCase *tc = tcase_create("result");
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_exit_statuses);
    tcase_add_test(tc, test_fail_sets_error);
    tcase_add_test(tc, test_foreign_error_is_error);
    tcase_add_test(tc, test_sasl_mapping);
    suite_add_tcase(suite, tc);
    return sd_check_run(suite);
}
