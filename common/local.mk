## common/ -- libsasldir.so.0, the one backend layer every part links.

lib_LTLIBRARIES += common/libsasldir.la

common_libsasldir_la_SOURCES = \
	common/sd_result.c common/sd_result.h \
	common/sd_log.c common/sd_log.h \
	common/sd_json.c common/sd_json.h \
	common/sd_toml.c common/sd_toml.h \
	common/sd_config.c common/sd_config.h \
	common/sd_secret.c common/sd_secret.h common/sd_secret_impl.h \
	common/sd_secret_kdf.c common/sd_secret_totp.c \
	common/sd_secret_policy.c common/sd_secret_hash.c \
	common/sd_secret_scram.c \
	common/sd_principal.c common/sd_principal.h \
	common/sd_address.c common/sd_address.h \
	common/sd_directory.c common/sd_directory.h \
	common/sd_cache.c common/sd_cache.h \
	common/sd_backend.h \
	common/backend_memory.c \
	common/sd_pool.c common/sd_pool.h \
	common/backend_sql.c common/sd_sql.h \
	common/sd_sasl.c common/sd_sasl.h \
	common/sd_shared.c common/sd_shared.h \
	common/sd_realm.c common/sd_realm.h \
	common/sd_server.c common/sd_server.h

common_libsasldir_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) \
	$(LIBCRYPTO_CFLAGS) $(LIBXCRYPT_CFLAGS) $(LIBSASL2_CFLAGS) \
	$(LIBARGON2_CFLAGS) $(LIBOATH_CFLAGS)
common_libsasldir_la_LIBADD = $(GLIB_LIBS) $(LIBCRYPTO_LIBS) \
	$(LIBXCRYPT_LIBS) $(LIBSASL2_LIBS) $(LIBARGON2_LIBS) $(LIBOATH_LIBS)
# The SQL engines, each only when configure found its library.
if HAVE_SQLITE
common_libsasldir_la_SOURCES += common/sql_sqlite.c common/backend_internal.c \
	common/sd_sqlite.h
common_libsasldir_la_CFLAGS += $(SQLITE_CFLAGS)
common_libsasldir_la_LIBADD += $(SQLITE_LIBS)
endif
if HAVE_MYSQL
common_libsasldir_la_SOURCES += common/sql_mysql.c
common_libsasldir_la_CFLAGS += $(MYSQL_CFLAGS)
common_libsasldir_la_LIBADD += $(MYSQL_LIBS)
endif
if HAVE_PGSQL
common_libsasldir_la_SOURCES += common/sql_pgsql.c
common_libsasldir_la_CFLAGS += $(PGSQL_CFLAGS)
common_libsasldir_la_LIBADD += $(PGSQL_LIBS)
endif
EXTRA_DIST += common/sql_sqlite.c common/sql_mysql.c common/sql_pgsql.c \
	common/backend_internal.c common/sd_sqlite.h
# Only the sd_ interface is exported; everything else stays private.
common_libsasldir_la_LDFLAGS = $(AM_LDFLAGS) \
	-version-info $(LIBSASLDIR_LT_VERSION) \
	-export-symbols-regex '^sd_' -no-undefined

sasldirincludedir = $(includedir)/sasldir
sasldirinclude_HEADERS = common/sasldir.h common/sd_address.h \
	common/sd_cache.h common/sd_config.h common/sd_directory.h \
	common/sd_json.h common/sd_log.h common/sd_pool.h common/sd_principal.h \
	common/sd_result.h \
	common/sd_secret.h common/sd_sasl.h common/sd_toml.h \
	common/sd_shared.h common/sd_realm.h

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = common/sasldir.pc
EXTRA_DIST += common/sasldir.pc.in
include common/import.mk
include common/stats.mk
