## fuzz/socketmap.mk -- the libFuzzer target for sasldird's socketmap
## side: netstrings (daemon/netstring.c) and the maps (daemon/socketmap.c)
## against a memory directory; included from fuzz/local.mk.  Seeds:
## fuzz/socketmap-seeds/ (byte 0: the netstring limit, byte 1: the
## chunking); dictionary: fuzz/socketmap.dict.
## Run:  scripts/fuzz socketmap 600

if ENABLE_FUZZERS
noinst_PROGRAMS += fuzz/fuzz-socketmap
fuzz_fuzz_socketmap_SOURCES = fuzz/socketmap.c daemon/netstring.c \
	daemon/socketmap.c
fuzz_fuzz_socketmap_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/daemon
fuzz_fuzz_socketmap_CFLAGS = $(SD_CFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined \
	$(GLIB_CFLAGS)
# -no-install: a real executable, not a libtool wrapper script.
fuzz_fuzz_socketmap_LDFLAGS = -fsanitize=fuzzer,address,undefined -no-install
fuzz_fuzz_socketmap_LDADD = common/libsasldir.la $(GLIB_LIBS)
endif

EXTRA_DIST += fuzz/socketmap.c fuzz/socketmap.dict \
	fuzz/socketmap-seeds/domains fuzz/socketmap-seeds/mailboxes \
	fuzz/socketmap-seeds/aliases fuzz/socketmap-seeds/lists \
	fuzz/socketmap-seeds/quota fuzz/socketmap-seeds/login-owner \
	fuzz/socketmap-seeds/malformed fuzz/socketmap-seeds/idn \
	fuzz/socketmap-seeds/small-limit
