## auxprop/ -- the libsasl2 auxiliary-property plugin "sasldir",
## installed into libsasl2's plugin directory.

saslplugin_LTLIBRARIES += auxprop/libsasldir_auxprop.la
auxprop_libsasldir_auxprop_la_SOURCES = auxprop/auxprop.c \
	plugin/sasl_glue.c plugin/sasl_glue.h
auxprop_libsasldir_auxprop_la_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) \
	$(LIBSASL2_CFLAGS)
auxprop_libsasldir_auxprop_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugin
auxprop_libsasldir_auxprop_la_LIBADD = common/libsasldir.la $(GLIB_LIBS)
# A module libsasl2 dlopens: no version suffix, only the entry point.
auxprop_libsasldir_auxprop_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version \
	-export-symbols-regex '^sasl_auxprop_plug_init$$' -no-undefined
