## tests/sql.mk -- the connection pool and the sql directory.
## Included from tests/local.mk.

check_PROGRAMS += tests/test_pool
tests_test_pool_SOURCES = tests/test_pool.c tests/sd_check.h
tests_test_pool_CFLAGS = $(TEST_CFLAGS)
tests_test_pool_LDADD = $(TEST_LDADD)
TESTS += tests/test_pool
