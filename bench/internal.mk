## bench/internal.mk -- bench/internal: import rate, on-disk size and
## uncached lookup latency of the internal directory with 1 000 000
## principals, against sqlite3 .import and the driver's bare queries.
## Built with everything, never run by "make check"; run it by hand
## (results and the command in BENCHMARKS.md):
##   cd build && SASLDIR=tools/sasldir bench/internal [PRINCIPALS [LOOKUPS]]

if HAVE_SQLITE
noinst_PROGRAMS += bench/internal
bench_internal_SOURCES = bench/internal.c
bench_internal_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(LIBCRYPTO_CFLAGS) \
	$(SQLITE_CFLAGS)
bench_internal_LDADD = common/libsasldir.la $(GLIB_LIBS) $(LIBCRYPTO_LIBS) \
	$(SQLITE_LIBS)
endif
EXTRA_DIST += bench/internal.c
