## tests/sasl.mk -- the SASL plugins through the real libsasl2: a small
## server and client (sasl-harness), saslpluginviewer and saslpasswd2.

check_PROGRAMS += tests/sasl-harness
tests_sasl_harness_SOURCES = tests/sasl-harness.c
tests_sasl_harness_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(LIBSASL2_CFLAGS)
tests_sasl_harness_LDADD = common/libsasldir.la $(GLIB_LIBS) $(LIBSASL2_LIBS)

TESTS += tests/sasl-plugins.test tests/sasl-internal.test
EXTRA_DIST += tests/sasl-plugins.test tests/sasl-internal.test tests/sasl-lib.sh
