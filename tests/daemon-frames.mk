## tests/daemon-frames.mk -- unit tests of sasldird's wire formats
## (daemon/saslauthd_frame.c, daemon/netstring.c) and socketmap answers
## (daemon/socketmap.c).  Included from tests/local.mk; each test links
## the daemon modules it tests directly.

DAEMON_TEST_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/daemon

check_PROGRAMS += tests/test_daemon_frames
tests_test_daemon_frames_SOURCES = tests/test_daemon_frames.c \
	tests/sd_check.h daemon/saslauthd_frame.c daemon/saslauthd_frame.h \
	daemon/netstring.c daemon/netstring.h
tests_test_daemon_frames_CFLAGS = $(DAEMON_TEST_CFLAGS)
tests_test_daemon_frames_LDADD = $(TEST_LDADD)

TESTS += tests/test_daemon_frames

check_PROGRAMS += tests/test_socketmap
tests_test_socketmap_SOURCES = tests/test_socketmap.c tests/sd_check.h \
	daemon/socketmap.c daemon/socketmap.h
tests_test_socketmap_CFLAGS = $(DAEMON_TEST_CFLAGS)
tests_test_socketmap_LDADD = $(TEST_LDADD)

TESTS += tests/test_socketmap
