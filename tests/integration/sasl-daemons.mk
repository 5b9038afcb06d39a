## tests/integration/sasl-daemons.mk -- the SASL plugins in real daemons:
## a throw-away Postfix (swaks) and Cyrus IMAP (imtest, imaplib).
## Included from tests/local.mk.  Both need root (CI runs as root) and
## SKIP otherwise, or when the daemons are not installed, or in a
## sanitizer build (whose plugins an uninstrumented daemon cannot load).

TESTS += tests/integration/postfix-sasl.test tests/integration/cyrus-imap.test
EXTRA_DIST += tests/integration/sasl-daemons-lib.sh \
	tests/integration/postfix-sasl.test tests/integration/cyrus-imap.test
