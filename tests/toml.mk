## tests/toml.mk -- the TOML reader's tests; included from tests/local.mk.
##
## tests/test_toml: Check unit tests of common/sd_toml.c.
## tests/toml-oracle.py: compares sd_toml with tomli (python3-tomli) on
##   every document of tests/toml/{valid,invalid,range}, through the
##   dumper tests/toml-to-json.  The harness runs it with $(PYTHON_TOMLI)
##   and passes TOML_TO_JSON and top_srcdir in the environment.

check_PROGRAMS += tests/test_toml tests/toml-to-json

tests_test_toml_SOURCES = tests/test_toml.c tests/sd_check.h
tests_test_toml_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(CHECK_CFLAGS)
tests_test_toml_LDADD = common/libsasldir.la $(GLIB_LIBS) $(CHECK_LIBS)

tests_toml_to_json_SOURCES = tests/toml-to-json.c
tests_toml_to_json_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_toml_to_json_LDADD = common/libsasldir.la $(GLIB_LIBS)

TESTS += tests/test_toml tests/toml-oracle.py

EXTRA_DIST += tests/toml-oracle.py tests/toml
