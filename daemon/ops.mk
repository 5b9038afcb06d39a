## daemon/ops.mk -- sasldird's control socket (daemon/control.c),
## metrics (daemon/metrics.c, HTTP with libmicrohttpd in
## daemon/metrics_http.c) and failed-login penalty (daemon/penalty.c).
## Included from daemon/local.mk; daemon/local.mk adds
## $(DAEMON_OPS_FILES) to sasldird's sources and the flags below to
## its CFLAGS and LDADD.

DAEMON_OPS_FILES = daemon/control.c daemon/control.h \
	daemon/metrics.c daemon/metrics_http.c daemon/metrics.h \
	daemon/penalty.c daemon/penalty.h
DAEMON_OPS_COMPILE_FLAGS = $(LIBMICROHTTPD_CFLAGS)
DAEMON_OPS_LINK_LIBS = $(LIBMICROHTTPD_LIBS)
EXTRA_DIST += $(DAEMON_OPS_FILES)
