## common/stats.mk -- sd_stats: cache and pool statistics as text and
## JSON, shared by the sasldir tool and sasldird's control socket.
## Included from common/local.mk.

common_libsasldir_la_SOURCES += common/sd_stats.c common/sd_stats.h
