## tools/ -- the sasldir command-line tool.

bin_PROGRAMS += tools/sasldir
tools_sasldir_SOURCES = tools/sasldir.c tools/cli.h tools/admin.c \
	tools/import.c tools/control.c
tools_sasldir_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tools_sasldir_LDADD = common/libsasldir.la $(GLIB_LIBS)
