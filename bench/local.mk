## bench/ -- benchmarks that print ratios against a named peer.

EXTRA_DIST += bench/README.md

include bench/cache.mk
