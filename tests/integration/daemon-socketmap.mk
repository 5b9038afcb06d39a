## tests/integration/daemon-socketmap.mk -- sasldird's socketmap against
## real Postfix (postmap) and python3 sockets.  Included from
## tests/local.mk.

TESTS += tests/integration/daemon-socketmap.test
EXTRA_DIST += tests/integration/daemon-socketmap.test
