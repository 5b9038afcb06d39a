## fuzz/saslauthd.mk -- the libFuzzer target for sasldird's saslauthd
## request parser (daemon/saslauthd_frame.c); included from
## fuzz/local.mk.  Seeds: fuzz/saslauthd-seeds/ (byte 0: the field
## limit, byte 1: the chunking); dictionary: fuzz/saslauthd.dict.
## Run:  scripts/fuzz saslauthd 600

if ENABLE_FUZZERS
noinst_PROGRAMS += fuzz/fuzz-saslauthd
fuzz_fuzz_saslauthd_SOURCES = fuzz/saslauthd.c daemon/saslauthd_frame.c
fuzz_fuzz_saslauthd_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
fuzz_fuzz_saslauthd_CFLAGS = $(SD_CFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined \
	$(GLIB_CFLAGS)
# -no-install: a real executable, not a libtool wrapper script.
fuzz_fuzz_saslauthd_LDFLAGS = -fsanitize=fuzzer,address,undefined -no-install
fuzz_fuzz_saslauthd_LDADD = common/libsasldir.la $(GLIB_LIBS)
endif

EXTRA_DIST += fuzz/saslauthd.c fuzz/saslauthd.dict \
	fuzz/saslauthd-seeds/four fuzz/saslauthd-seeds/five \
	fuzz/saslauthd-seeds/empty fuzz/saslauthd-seeds/limit \
	fuzz/saslauthd-seeds/nul fuzz/saslauthd-seeds/trailing \
	fuzz/saslauthd-seeds/truncated
