## fuzz/ -- libFuzzer targets for parsers of untrusted input.  Built only
## with ./configure --enable-fuzzers CC=clang; run with scripts/fuzz.

include fuzz/toml.mk
EXTRA_DIST += fuzz/README.md
include fuzz/secret.mk
include fuzz/import.mk
include fuzz/saslauthd.mk
include fuzz/socketmap.mk
