## bench/cache.mk -- bench/cache: what the lookup cache buys (hit against
## uncached check, 1 against 2 threads, bytes per entry).  Built with
## everything (so it keeps compiling), never run by "make check"; run it
## by hand: results and the command are in BENCHMARKS.md.

noinst_PROGRAMS += bench/cache
bench_cache_SOURCES = bench/cache.c
bench_cache_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(LIBCRYPTO_CFLAGS) \
	$(LIBXCRYPT_CFLAGS)
bench_cache_LDADD = common/libsasldir.la $(GLIB_LIBS) $(LIBCRYPTO_LIBS) \
	$(LIBXCRYPT_LIBS)
