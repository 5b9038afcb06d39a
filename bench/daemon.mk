## bench/daemon.mk -- bench/daemon: authentications per second and p50/p99
## through daemons speaking the saslauthd protocol (sasldird against the
## real saslauthd, driven by bench/daemon.sh), and bench/soak.sh (a long
## run through a sanitizer build of sasldird).  Built with everything,
## never run by "make check" except tests/bench-daemon-smoke.test (a few
## seconds); results and the commands are in BENCHMARKS.md.

noinst_PROGRAMS += bench/daemon
bench_daemon_SOURCES = bench/daemon.c
bench_daemon_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
bench_daemon_LDADD = $(GLIB_LIBS)
EXTRA_DIST += bench/daemon.sh bench/soak.sh

TESTS += tests/integration/bench-daemon-smoke.test
EXTRA_DIST += tests/integration/bench-daemon-smoke.test
