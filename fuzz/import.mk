## fuzz/import.mk -- the libFuzzer target for the import parsers
## (common/sd_import.c) with an export/import round-trip oracle; included
## from fuzz/local.mk.  Seeds: fuzz/import-seeds/ (first byte: 0
## passwd-file, 1 shadow, 2 htpasswd, 3 ldif, 4 csv); dictionary:
## fuzz/import.dict.  Run:  scripts/fuzz import 600

if ENABLE_FUZZERS
noinst_PROGRAMS += fuzz/fuzz-import
fuzz_fuzz_import_SOURCES = fuzz/import.c common/sd_import.c \
	common/sd_principal.c common/sd_address.c common/sd_json.c \
	common/sd_secret.c common/sd_secret_kdf.c common/sd_secret_totp.c \
	common/sd_secret_policy.c common/sd_secret_hash.c \
	common/sd_config.c common/sd_toml.c common/sd_result.c common/sd_log.c
fuzz_fuzz_import_CFLAGS = $(SD_CFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined \
	$(GLIB_CFLAGS) $(LIBCRYPTO_CFLAGS) $(LIBXCRYPT_CFLAGS) \
	$(LIBARGON2_CFLAGS) $(LIBOATH_CFLAGS) $(LIBSASL2_CFLAGS)
fuzz_fuzz_import_LDFLAGS = -fsanitize=fuzzer,address,undefined
fuzz_fuzz_import_LDADD = $(GLIB_LIBS) $(LIBCRYPTO_LIBS) $(LIBXCRYPT_LIBS) \
	$(LIBARGON2_LIBS) $(LIBOATH_LIBS) $(LIBSASL2_LIBS)
endif

EXTRA_DIST += fuzz/import.c fuzz/import.dict fuzz/import-seeds/passwd-file \
	fuzz/import-seeds/shadow fuzz/import-seeds/htpasswd \
	fuzz/import-seeds/ldif fuzz/import-seeds/csv
