## tests/secret.mk -- the password-scheme tests; included from
## tests/local.mk.  Vectors: tests/vectors/ (remade by
## tests/vectors/generate); round-trips need the tools scripts/install-deps
## installs (passlib, htpasswd, doveadm, oathtool).

check_PROGRAMS += tests/test_secret_vectors
tests_test_secret_vectors_SOURCES = tests/test_secret_vectors.c tests/sd_check.h
tests_test_secret_vectors_CFLAGS = $(TEST_CFLAGS)
tests_test_secret_vectors_LDADD = $(TEST_LDADD)

TESTS += tests/test_secret_vectors tests/secret-roundtrip.test
EXTRA_DIST += tests/secret-roundtrip.test tests/vectors/generate \
	tests/vectors/passwords.txt tests/vectors/secrets.txt
