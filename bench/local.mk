## bench/ -- benchmarks that print ratios against a named peer.

EXTRA_DIST += bench/README.md
include bench/sql.mk

include bench/cache.mk

include bench/secret.mk

include bench/internal.mk
include bench/sasl.mk
include bench/daemon.mk
