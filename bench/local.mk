## bench/ -- benchmarks that print ratios against a named peer.  None
## exist yet: the first arrive with the secrets and cache work.

EXTRA_DIST += bench/README.md
include bench/secret.mk
