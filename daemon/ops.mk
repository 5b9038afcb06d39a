## daemon/ops.mk -- sasldird's control socket (daemon/control.c),
## metrics (daemon/metrics.c, HTTP with libmicrohttpd in
## daemon/metrics_http.c) and failed-login penalty (daemon/penalty.c).
## Included from daemon/local.mk, after sasldird's own variables: this
## adds the modules to it.  The headers are in daemon/local.mk's list.

daemon_sasldird_SOURCES += daemon/control.c daemon/metrics.c \
	daemon/metrics_http.c daemon/penalty.c
daemon_sasldird_CFLAGS += $(LIBMICROHTTPD_CFLAGS)
daemon_sasldird_LDADD += $(LIBMICROHTTPD_LIBS)
