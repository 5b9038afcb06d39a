## bench/secret.mk -- bench/secret: sd_secret_verify against the bare
## library call, per scheme (see BENCHMARKS.md).  Built, never run by
## "make check":  build/bench/secret [REPEATS]

noinst_PROGRAMS += bench/secret
bench_secret_SOURCES = bench/secret.c
bench_secret_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(LIBCRYPTO_CFLAGS) \
	$(LIBXCRYPT_CFLAGS) $(LIBARGON2_CFLAGS)
bench_secret_LDADD = common/libsasldir.la $(GLIB_LIBS) $(LIBCRYPTO_LIBS) \
	$(LIBXCRYPT_LIBS) $(LIBARGON2_LIBS)
