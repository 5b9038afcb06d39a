## daemon/ -- sasldird, the saslauthd-compatible daemon.

include daemon/ops.mk
