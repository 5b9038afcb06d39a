## tests/ -- unit tests (Check) and tool tests, all reporting TAP so the
## harness counts every single test, not just every program.

LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
LOG_DRIVER_FLAGS = --ignore-exit
TEST_EXTENSIONS = .test .py
TEST_LOG_DRIVER = $(LOG_DRIVER)
TEST_LOG_DRIVER_FLAGS = $(LOG_DRIVER_FLAGS)
PY_LOG_DRIVER = $(LOG_DRIVER)
PY_LOG_DRIVER_FLAGS = $(LOG_DRIVER_FLAGS)
PY_LOG_COMPILER = $(PYTHON_TOMLI)

AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; export top_srcdir; \
	top_builddir='$(abs_top_builddir)'; export top_builddir; \
	SASLDIR='$(abs_top_builddir)/tools/sasldir'; export SASLDIR; \
	TOML_TO_JSON='$(abs_top_builddir)/tests/toml-to-json'; export TOML_TO_JSON; \
	PYTHON_TOMLI='$(PYTHON_TOMLI)'; export PYTHON_TOMLI; \
	SASLDIR_CONFIG=/nonexistent/sasldir.toml; export SASLDIR_CONFIG;

# Flags and libraries every Check program uses.
TEST_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(CHECK_CFLAGS)
TEST_LDADD = common/libsasldir.la $(GLIB_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/test_config tests/test_principal \
	tests/test_address tests/test_memory tests/test_secret \
	tests/test_result
tests_test_config_SOURCES = tests/test_config.c tests/sd_check.h
tests_test_config_CFLAGS = $(TEST_CFLAGS)
tests_test_config_LDADD = $(TEST_LDADD)
tests_test_principal_SOURCES = tests/test_principal.c tests/sd_check.h
tests_test_principal_CFLAGS = $(TEST_CFLAGS)
tests_test_principal_LDADD = $(TEST_LDADD)
tests_test_address_SOURCES = tests/test_address.c tests/sd_check.h
tests_test_address_CFLAGS = $(TEST_CFLAGS)
tests_test_address_LDADD = $(TEST_LDADD)
tests_test_memory_SOURCES = tests/test_memory.c tests/sd_check.h
tests_test_memory_CFLAGS = $(TEST_CFLAGS)
tests_test_memory_LDADD = $(TEST_LDADD)
tests_test_secret_SOURCES = tests/test_secret.c tests/sd_check.h \
	tests/sd_totp_code.h
tests_test_secret_CFLAGS = $(TEST_CFLAGS) $(LIBOATH_CFLAGS)
tests_test_secret_LDADD = $(TEST_LDADD) $(LIBOATH_LIBS)
tests_test_result_SOURCES = tests/test_result.c tests/sd_check.h
tests_test_result_CFLAGS = $(TEST_CFLAGS) $(LIBSASL2_CFLAGS)
tests_test_result_LDADD = $(TEST_LDADD) $(LIBSASL2_LIBS)

TESTS += tests/test_config tests/test_principal tests/test_address \
	tests/test_memory tests/test_secret tests/test_result \
	tests/cli.test tests/secret-vectors.test

EXTRA_DIST += tests/cli.test tests/secret-vectors.test tests/tap.sh

include tests/toml.mk
include tests/sql.mk
include tests/cache.mk
include tests/secret.mk
include tests/sasl.mk
include tests/internal.mk
include tests/internal-cli.mk
include tests/daemon-frames.mk
include tests/integration/sasl-daemons.mk
include tests/integration/daemon.mk
include tests/server.mk
include tests/daemon-ops.mk
include tests/integration/daemon-socketmap.mk
