## bench/sql.mk -- the sql directory benchmark (bench/sql.sh runs it
## against local servers).  Built with "make check" so it keeps compiling.

check_PROGRAMS += bench/bench-sql
bench_bench_sql_SOURCES = bench/sql.c
bench_bench_sql_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(PGSQL_CFLAGS) \
	$(MYSQL_CFLAGS)
bench_bench_sql_LDADD = common/libsasldir.la $(GLIB_LIBS) $(PGSQL_LIBS) \
	$(MYSQL_LIBS)
EXTRA_DIST += bench/sql.sh
