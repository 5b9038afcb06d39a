## tests/integration/daemon.mk -- sasldird against real clients
## (testsaslauthd, libsasl2, Python sockets).  Included from
## tests/local.mk; tests/sasl-harness comes from tests/sasl.mk.

TESTS += tests/integration/daemon-saslauthd.test \
	tests/integration/daemon-badinput.test \
	tests/integration/daemon-process.test \
	tests/integration/daemon-busy.test
EXTRA_DIST += tests/integration/daemon-lib.sh \
	tests/integration/stage-lib.sh \
	tests/integration/daemon-saslauthd.test \
	tests/integration/daemon-badinput.test \
	tests/integration/daemon-process.test \
	tests/integration/daemon-busy.test \
	tests/integration/daemon-hostile.py
