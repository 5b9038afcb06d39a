/*
 * test_penalty.c - the failed-login penalty table (daemon/penalty.c):
 * the threshold, exponential growth to the maximum, names and addresses
 * counted apart, success clearing the name only, forgetting after the
 * forget time, the bound on the table, case-insensitive names, the
 * switch, and eight threads recording at once.
 */
#include "config.h"

#include "sd_check.h"
#include "penalty.h"

static const sd_penalty_settings defaults = {
    .enable = true, .threshold = 3, .initial_ms = 1000,
    .max_delay_ms = 15000, .forget_ms = 15 * 60 * 1000,
};

static void
fail_n(penalty *p, const char *name, const char *address, int n,
       int64_t now)
{
    for (int i = 0; i < n; i++)
        penalty_record(p, name, address, false, now);
}

START_TEST(test_threshold_and_growth)
{
    penalty *p = penalty_new(&defaults, 100);
    ck_assert_int_eq(penalty_delay_ms(p, "bob", "192.0.2.1", 0), 0);
    fail_n(p, "bob", "192.0.2.1", 2, 0);
    ck_assert_int_eq(penalty_delay_ms(p, "bob", "192.0.2.1", 0), 0);
    /* n = 3 = threshold: initial; then doubling each time. */
    static const int64_t expected[] = { 1000, 2000, 4000, 8000, 15000,
                                        15000, 15000 };
    for (size_t i = 0; i < G_N_ELEMENTS(expected); i++) {
        penalty_record(p, "bob", "192.0.2.1", false, 0);
        ck_assert_int_eq(penalty_delay_ms(p, "bob", "192.0.2.1", 0),
                         expected[i]);
    }
    /* Many more failures never overflow past the maximum. */
    fail_n(p, "bob", "192.0.2.1", 200, 0);
    ck_assert_int_eq(penalty_delay_ms(p, "bob", NULL, 0), 15000);
    penalty_free(p);
}
END_TEST

START_TEST(test_name_and_address_apart)
{
    penalty *p = penalty_new(&defaults, 100);
    /* One address guessing many names: the address is penalised, a
     * fresh name from another address is not. */
    const char *names[] = { "a", "b", "c", "d" };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        penalty_record(p, names[i], "198.51.100.7", false, 0);
    ck_assert_int_eq(penalty_delay_ms(p, "e", "198.51.100.7", 0), 2000);
    ck_assert_int_eq(penalty_delay_ms(p, "e", "198.51.100.8", 0), 0);
    ck_assert_int_eq(penalty_delay_ms(p, "a", "198.51.100.8", 0), 0);
    /* One name guessed from many addresses: the name is penalised. */
    char address[32];
    for (int i = 0; i < 5; i++) {
        g_snprintf(address, sizeof address, "203.0.113.%d", i);
        penalty_record(p, "victim", address, false, 0);
    }
    ck_assert_int_eq(penalty_delay_ms(p, "victim", "203.0.113.99", 0),
                     4000);
    ck_assert_int_eq(penalty_delay_ms(p, "victim", NULL, 0), 4000);
    ck_assert_int_eq(penalty_delay_ms(p, NULL, "203.0.113.0", 0), 0);
    /* The larger of the two counts decides. */
    ck_assert_int_eq(penalty_delay_ms(p, "victim", "198.51.100.7", 0),
                     4000);
    ck_assert_int_eq(penalty_delay_ms(p, "", "", 0), 0);
    penalty_free(p);
}
END_TEST

START_TEST(test_success_clears_name_only)
{
    penalty *p = penalty_new(&defaults, 100);
    fail_n(p, "carol", "192.0.2.9", 4, 0);
    ck_assert_int_eq(penalty_delay_ms(p, "carol", NULL, 0), 2000);
    penalty_record(p, "carol", "192.0.2.9", true, 0);
    ck_assert_int_eq(penalty_delay_ms(p, "carol", NULL, 0), 0);
    ck_assert_int_eq(penalty_delay_ms(p, NULL, "192.0.2.9", 0), 2000);
    ck_assert_int_eq(penalty_delay_ms(p, "carol", "192.0.2.9", 0), 2000);
    penalty_free(p);
}
END_TEST

START_TEST(test_forget)
{
    sd_penalty_settings s = defaults;
    s.forget_ms = 60000;
    penalty *p = penalty_new(&s, 100);
    fail_n(p, "dave", NULL, 3, 1000);
    ck_assert_int_eq(penalty_delay_ms(p, "dave", NULL, 60999), 1000);
    /* A failure later restarts the forget time from it. */
    penalty_record(p, "dave", NULL, false, 30000);
    ck_assert_int_eq(penalty_delay_ms(p, "dave", NULL, 89999), 2000);
    ck_assert_int_eq(penalty_delay_ms(p, "dave", NULL, 90000), 0);
    /* Forgotten means counting starts again. */
    penalty_record(p, "dave", NULL, false, 90000);
    ck_assert_int_eq(penalty_delay_ms(p, "dave", NULL, 90000), 0);
    penalty_free(p);
}
END_TEST

START_TEST(test_bounded)
{
    penalty *p = penalty_new(&defaults, 8);
    fail_n(p, "old", NULL, 5, 0);
    ck_assert_int_eq(penalty_delay_ms(p, "old", NULL, 0), 4000);
    /* A flood of random names pushes the oldest out, never grows past
     * the capacity (checked by ASan/valgrind for memory, here by the
     * fact that the oldest entry is gone). */
    char name[32];
    for (int i = 0; i < 10000; i++) {
        g_snprintf(name, sizeof name, "random%d", i);
        penalty_record(p, name, NULL, false, 1 + i);
    }
    ck_assert_int_eq(penalty_delay_ms(p, "old", NULL, 20000), 0);
    /* The newest are still there. */
    fail_n(p, "random9999", NULL, 2, 20000);
    ck_assert_int_eq(penalty_delay_ms(p, "random9999", NULL, 20000), 1000);
    penalty_free(p);
}
END_TEST

START_TEST(test_case_insensitive_names)
{
    penalty *p = penalty_new(&defaults, 100);
    penalty_record(p, "Erin", NULL, false, 0);
    penalty_record(p, "ERIN", NULL, false, 0);
    penalty_record(p, "erin", NULL, false, 0);
    ck_assert_int_eq(penalty_delay_ms(p, "eRiN", NULL, 0), 1000);
    penalty_record(p, "ERIN", NULL, true, 0);
    ck_assert_int_eq(penalty_delay_ms(p, "erin", NULL, 0), 0);
    penalty_free(p);
}
END_TEST

START_TEST(test_disabled)
{
    sd_penalty_settings s = defaults;
    s.enable = false;
    penalty *p = penalty_new(&s, 100);
    fail_n(p, "frank", "192.0.2.1", 50, 0);
    ck_assert_int_eq(penalty_delay_ms(p, "frank", "192.0.2.1", 0), 0);
    penalty_free(p);
    ck_assert_int_eq(penalty_delay_ms(NULL, "frank", NULL, 0), 0);
}
END_TEST

START_TEST(test_other_settings)
{
    sd_penalty_settings s = { .enable = true, .threshold = 1,
                              .initial_ms = 300, .max_delay_ms = 1000,
                              .forget_ms = 1000 };
    penalty *p = penalty_new(&s, 4);
    penalty_record(p, "g", NULL, false, 0);
    ck_assert_int_eq(penalty_delay_ms(p, "g", NULL, 0), 300);
    penalty_record(p, "g", NULL, false, 0);
    ck_assert_int_eq(penalty_delay_ms(p, "g", NULL, 0), 600);
    penalty_record(p, "g", NULL, false, 0);
    ck_assert_int_eq(penalty_delay_ms(p, "g", NULL, 0), 1000);
    penalty_free(p);
}
END_TEST

typedef struct worker_args {
    penalty *table;
    int id;
} worker_args;

static gpointer
worker(gpointer data)
{
    worker_args *args = data;
    char name[32];
    for (int i = 0; i < 2000; i++) {
        g_snprintf(name, sizeof name, "t%d-%d", args->id, i % 50);
        penalty_record(args->table, name, "192.0.2.200", i % 7 == 0, i);
        penalty_record(args->table, "shared", NULL, false, i);
        (void)penalty_delay_ms(args->table, name, "192.0.2.200", i);
    }
    return NULL;
}

START_TEST(test_threads)
{
    penalty *p = penalty_new(&defaults, 256);
    GThread *threads[8];
    worker_args args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (worker_args){ p, i };
        threads[i] = g_thread_new("penalty", worker, &args[i]);
    }
    for (int i = 0; i < 8; i++)
        g_thread_join(threads[i]);
    /* 16000 failures of "shared", never forgotten: at the maximum. */
    ck_assert_int_eq(penalty_delay_ms(p, "shared", NULL, 2000), 15000);
    /* The address failed 8 * 2000 * 6/7 times. */
    ck_assert_int_eq(penalty_delay_ms(p, NULL, "192.0.2.200", 2000), 15000);
    penalty_free(p);
}
END_TEST

static Suite *
penalty_suite(void)
{
    Suite *s = suite_create("penalty");
    TCase *tc = tcase_create("penalty");
    tcase_add_test(tc, test_threshold_and_growth);
    tcase_add_test(tc, test_name_and_address_apart);
    tcase_add_test(tc, test_success_clears_name_only);
    tcase_add_test(tc, test_forget);
    tcase_add_test(tc, test_bounded);
    tcase_add_test(tc, test_case_insensitive_names);
    tcase_add_test(tc, test_disabled);
    tcase_add_test(tc, test_other_settings);
    tcase_add_test(tc, test_threads);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return sd_check_run(penalty_suite());
}
