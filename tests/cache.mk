## tests/cache.mk -- the lookup cache's tests; included from tests/local.mk.
##
## tests/test_cache: Check unit tests of common/sd_cache.c (with an
##   injected clock) and of the cached directory operations.
## tests/cache-helgrind.test: the 8-thread case of test_cache under
##   valgrind --tool=helgrind, which must report no error (skipped when
##   valgrind is missing or the build uses sanitizers).
## tests/cache-cli.test: "sasldir cache stats|flush", --cache-stats and
##   --repeat.

check_PROGRAMS += tests/test_cache
tests_test_cache_SOURCES = tests/test_cache.c tests/sd_check.h \
	tests/sd_totp_code.h
tests_test_cache_CFLAGS = $(TEST_CFLAGS) $(LIBOATH_CFLAGS)
tests_test_cache_LDADD = $(TEST_LDADD) $(LIBOATH_LIBS)

TESTS += tests/test_cache tests/cache-helgrind.test tests/cache-cli.test
EXTRA_DIST += tests/cache-helgrind.test tests/cache-cli.test \
	tests/helgrind.supp

AM_TESTS_ENVIRONMENT += \
	SANITIZER_FLAGS='$(SANITIZER_FLAGS)'; export SANITIZER_FLAGS; \
	LIBTOOL='$(abs_top_builddir)/libtool'; export LIBTOOL;
