/*
 * sd_check.h - the one way unit-test programs run their Check suites.
 *
 * Every test program builds a Suite and hands it to sd_check_run(), which
 * reports each test as a TAP line on standard output (the automake
 * harness counts them one by one) and returns the process exit status.
 */
#ifndef SD_CHECK_H
#define SD_CHECK_H

#include <check.h>
#include <stdlib.h>

static inline int
sd_check_run(Suite *suite)
{
    SRunner *runner = srunner_create(suite);
    srunner_set_tap(runner, "-");
    srunner_run_all(runner, CK_SILENT);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
