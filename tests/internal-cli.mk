## tests/internal-cli.mk -- the administration commands, import and
## export of the internal directory; included from tests/local.mk.
## The import tests use files made by htpasswd, doveadm pw, mkpasswd
## and slappasswd (scripts/install-deps), and SKIP what is missing;
## internal-tty.test runs passwd and import on a pseudo-terminal;
## quickstart.test runs scripts/quickstart (the README's first command)
## on this build.

check_PROGRAMS += tests/test_import
tests_test_import_SOURCES = tests/test_import.c tests/sd_check.h
tests_test_import_CFLAGS = $(TEST_CFLAGS)
tests_test_import_LDADD = $(TEST_LDADD)

TESTS += tests/test_import tests/internal-cli.test tests/internal-tty.test \
	tests/quickstart.test
EXTRA_DIST += tests/internal-cli.test tests/internal-tty.test \
	tests/quickstart.test
