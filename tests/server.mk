## tests/server.mk -- the [server] section (common/sd_server.c).
## Included from tests/local.mk.

check_PROGRAMS += tests/test_server
tests_test_server_SOURCES = tests/test_server.c tests/sd_check.h
tests_test_server_CFLAGS = $(TEST_CFLAGS)
tests_test_server_LDADD = $(TEST_LDADD)
TESTS += tests/test_server
