## daemon/ -- sasldird, the saslauthd-protocol, socketmap and control
## socket server.  Other parts add their files with their own fragment
## (one include line each, below).

sbin_PROGRAMS += daemon/sasldird
daemon_sasldird_SOURCES = daemon/sasldird.c \
	daemon/server.c daemon/server.h daemon/workers.c daemon/workers.h \
	daemon/process.c daemon/process.h \
	daemon/saslauthd.c daemon/saslauthd.h \
	daemon/saslauthd_frame.c daemon/saslauthd_frame.h \
	daemon/netstring.c daemon/netstring.h \
	daemon/socketmap.c daemon/socketmap.h daemon/control.h \
	daemon/metrics.h daemon/penalty.h
daemon_sasldird_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
daemon_sasldird_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
daemon_sasldird_LDADD = common/libsasldir.la $(GLIB_LIBS)

dist_man_MANS += man/sasldird.8
dist_sasldirexamples_DATA += conf/sasldird.service

include daemon/ops.mk
