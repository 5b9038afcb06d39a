## fuzz/secret.mk -- the libFuzzer target for the stored-secret parsers;
## included from fuzz/local.mk.  Seeds: tests/vectors/ (one secret a
## line) and fuzz/secret-seeds/; dictionary: fuzz/secret.dict.
## Run:  scripts/fuzz secret 600

if ENABLE_FUZZERS
noinst_PROGRAMS += fuzz/fuzz-secret
fuzz_fuzz_secret_SOURCES = fuzz/secret.c common/sd_secret.c \
	common/sd_secret_kdf.c common/sd_secret_totp.c \
	common/sd_secret_policy.c common/sd_secret_hash.c \
	common/sd_config.c common/sd_toml.c common/sd_result.c common/sd_log.c
fuzz_fuzz_secret_CFLAGS = $(SD_CFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined \
	$(GLIB_CFLAGS) $(LIBCRYPTO_CFLAGS) $(LIBXCRYPT_CFLAGS) \
	$(LIBARGON2_CFLAGS) $(LIBOATH_CFLAGS) $(LIBSASL2_CFLAGS)
fuzz_fuzz_secret_LDFLAGS = -fsanitize=fuzzer,address,undefined
fuzz_fuzz_secret_LDADD = $(GLIB_LIBS) $(LIBCRYPTO_LIBS) $(LIBXCRYPT_LIBS) \
	$(LIBARGON2_LIBS) $(LIBOATH_LIBS) $(LIBSASL2_LIBS)
endif

EXTRA_DIST += fuzz/secret.c fuzz/secret.dict fuzz/secret-seeds/README \
	fuzz/secret-seeds/totp fuzz/secret-seeds/app fuzz/secret-seeds/scram \
	fuzz/secret-seeds/phc fuzz/secret-seeds/scrypt fuzz/secret-seeds/argon2 \
	fuzz/secret-seeds/dovecot-pbkdf2
