## plugin/ -- the libsasl2 server plugin with the mechanisms PLAIN and
## LOGIN, installed into libsasl2's plugin directory.

saslplugin_LTLIBRARIES += plugin/libsasldir_server.la
plugin_libsasldir_server_la_SOURCES = plugin/server.c \
	plugin/sasl_glue.c plugin/sasl_glue.h
plugin_libsasldir_server_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) \
	$(LIBSASL2_CFLAGS)
plugin_libsasldir_server_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugin
plugin_libsasldir_server_la_LIBADD = common/libsasldir.la $(GLIB_LIBS)
plugin_libsasldir_server_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version \
	-export-symbols-regex '^sasl_server_plug_init$$' -no-undefined
