## bench/sasl.mk -- bench/sasl: sasl_checkpass through auxprop sasldir
## against the stock sasldb auxprop, and PLAIN exchanges through
## sasldir's PLAIN with the cache on and off (see BENCHMARKS.md).  Built
## with everything, never run by "make check":  build/bench/sasl
## It loads the plugins from this build tree.

noinst_PROGRAMS += bench/sasl
bench_sasl_SOURCES = bench/sasl.c
bench_sasl_CPPFLAGS = $(AM_CPPFLAGS) \
	-DBENCH_PLUGIN_PATH=\"$(abs_top_builddir)/auxprop/.libs:$(abs_top_builddir)/plugin/.libs\" \
	-DBENCH_SQLITE_SCHEMA=\"$(abs_top_srcdir)/conf/sql/schema-sqlite.sql\"
bench_sasl_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(LIBSASL2_CFLAGS)
bench_sasl_LDADD = $(GLIB_LIBS) $(LIBSASL2_LIBS)
