## fuzz/toml.mk -- the libFuzzer target for the TOML reader; included
## from fuzz/local.mk.  Seeds: tests/toml/; dictionary: fuzz/toml.dict.
## Run:  fuzz/fuzz-toml -dict=$(srcdir)/fuzz/toml.dict -max_len=4096 \
##         CORPUS_DIR $(srcdir)/tests/toml/valid $(srcdir)/tests/toml/invalid

if ENABLE_FUZZERS
noinst_PROGRAMS += fuzz/fuzz-toml
fuzz_fuzz_toml_SOURCES = fuzz/toml.c common/sd_toml.c
fuzz_fuzz_toml_CFLAGS = $(SD_CFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined $(GLIB_CFLAGS)
fuzz_fuzz_toml_LDFLAGS = -fsanitize=fuzzer,address,undefined
fuzz_fuzz_toml_LDADD = $(GLIB_LIBS)
endif

EXTRA_DIST += fuzz/toml.c fuzz/toml.dict
