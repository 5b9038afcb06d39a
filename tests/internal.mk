## tests/internal.mk -- the internal directory (common/backend_internal.c):
## unit tests through the public API, and the concurrency and durability
## tests of tests/integration/.  Included from tests/local.mk.

if HAVE_SQLITE
check_PROGRAMS += tests/test_internal
tests_test_internal_SOURCES = tests/test_internal.c tests/sd_check.h
tests_test_internal_CFLAGS = $(TEST_CFLAGS) $(SQLITE_CFLAGS)
tests_test_internal_LDADD = $(TEST_LDADD) $(SQLITE_LIBS)
TESTS += tests/test_internal
endif
EXTRA_DIST += tests/test_internal.c
