## tests/daemon-ops.mk -- sasldird's control, metrics and penalty modules.
## Included from tests/local.mk.
##
## tests/test_penalty: Check unit tests of daemon/penalty.c.
## tests/test_control: Check unit tests of daemon/control.c (every
##   command against a memory directory with a cache, errors, and
##   SO_PEERCRED on a socketpair) and daemon/metrics.c (the counters,
##   the exposition text, and GET /metrics over libmicrohttpd fetched
##   with curl).

OPS_TEST_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/daemon

check_PROGRAMS += tests/test_penalty tests/test_control
tests_test_penalty_SOURCES = tests/test_penalty.c tests/sd_check.h \
	daemon/penalty.c daemon/penalty.h
tests_test_penalty_CFLAGS = $(OPS_TEST_CFLAGS)
tests_test_penalty_LDADD = $(TEST_LDADD)
tests_test_control_SOURCES = tests/test_control.c tests/sd_check.h \
	daemon/control.c daemon/control.h daemon/metrics.c \
	daemon/metrics_http.c daemon/metrics.h
tests_test_control_CFLAGS = $(OPS_TEST_CFLAGS) $(LIBMICROHTTPD_CFLAGS)
tests_test_control_LDADD = $(TEST_LDADD) $(LIBMICROHTTPD_LIBS)

TESTS += tests/test_penalty tests/test_control

## tests/integration/daemon-control.test: a running sasldird (started
##   with tests/integration/daemon-lib.sh) and the sasldir tool over its
##   control socket; metrics over HTTP with curl; the penalty timed.
TESTS += tests/integration/daemon-control.test
EXTRA_DIST += tests/integration/daemon-control.test
