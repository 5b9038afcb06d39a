## tests/sasl.mk -- the SASL plugins through the real libsasl2: a small
## server and client (sasl-harness), saslpluginviewer and saslpasswd2.

check_PROGRAMS += tests/sasl-harness
tests_sasl_harness_SOURCES = tests/sasl-harness.c
tests_sasl_harness_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(LIBSASL2_CFLAGS)
tests_sasl_harness_LDADD = common/libsasldir.la $(GLIB_LIBS) $(LIBSASL2_LIBS)

check_PROGRAMS += tests/test_shared
tests_test_shared_SOURCES = tests/test_shared.c tests/sd_check.h
tests_test_shared_CFLAGS = $(TEST_CFLAGS)
tests_test_shared_LDADD = $(TEST_LDADD)

TESTS += tests/test_shared tests/sasl-plugins.test tests/sasl-internal.test
EXTRA_DIST += tests/sasl-plugins.test tests/sasl-internal.test tests/sasl-lib.sh

# A mechanism for the tests only (tests/sasl-testmech.c), in a directory
# of its own that the tests add to SASL_PATH: libsasl2 loads every
# plugin it finds in a directory.
check_LTLIBRARIES = tests/saslmech/libsasldir_testmech.la
tests_saslmech_libsasldir_testmech_la_SOURCES = tests/sasl-testmech.c
tests_saslmech_libsasldir_testmech_la_CFLAGS = $(AM_CFLAGS) $(LIBSASL2_CFLAGS)
tests_saslmech_libsasldir_testmech_la_LDFLAGS = $(AM_LDFLAGS) -module \
	-avoid-version -rpath /nowhere -no-undefined \
	-export-symbols-regex '^sasl_server_plug_init$$'
