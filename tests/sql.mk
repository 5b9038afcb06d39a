## tests/sql.mk -- the connection pool and the sql directory.
## Included from tests/local.mk.

check_PROGRAMS += tests/test_pool
tests_test_pool_SOURCES = tests/test_pool.c tests/sd_check.h
tests_test_pool_CFLAGS = $(TEST_CFLAGS)
tests_test_pool_LDADD = $(TEST_LDADD)
TESTS += tests/test_pool

# Integration tests against real servers (tests/integration/).
check_PROGRAMS += tests/integration/sql-hammer
tests_integration_sql_hammer_SOURCES = tests/integration/sql-hammer.c
tests_integration_sql_hammer_CFLAGS = $(TEST_CFLAGS)
tests_integration_sql_hammer_LDADD = $(TEST_LDADD)
TESTS += tests/integration/sql-sqlite.test tests/integration/sql-postgresql.test \
	tests/integration/sql-mysql.test
EXTRA_DIST += tests/integration/sql-lib.sh tests/integration/sql-suite.sh \
	tests/integration/sql-sqlite.test tests/integration/sql-postgresql.test \
	tests/integration/sql-mysql.test

check_PROGRAMS += tests/test_sql
tests_test_sql_SOURCES = tests/test_sql.c tests/sd_check.h
tests_test_sql_CFLAGS = $(TEST_CFLAGS)
tests_test_sql_LDADD = $(TEST_LDADD)
TESTS += tests/test_sql
