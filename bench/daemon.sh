#!/bin/sh
# daemon.sh - sasldird against the real saslauthd, in one run: the same
# users, authenticated over the saslauthd protocol by bench/daemon with
# 1, 8 and 32 clients, a connection per request.
#
#   saslauthd -c   saslauthd -a sasldb -c (credential cache), sasldb2
#                  made with saslpasswd2 -f (the peer: ratios are to it)
#   saslauthd      the same without -c
#   sasldird cached / uncached
#                  sasldird on an internal directory holding the same
#                  users with {SSHA512} secrets (made here with Python's
#                  hashlib, imported with "sasldir import --format csv"),
#                  with and without a [directory."bench".cache] section
#
# Target (issue 9): "sasldird cached" >= 3x "saslauthd -c" at 8 clients.
#
# saslauthd's sasldb module has no option for the database's path: its
# getopt callback answers nothing, so libsasldb falls back to the
# compiled-in /etc/sasldb2 (Debian: "sasldb_path" is only read from a
# SASL application's configuration, which saslauthd does not have).  So
# saslauthd runs in a private mount namespace (unshare --mount, needs
# root) where the scratch sasldb2 is bind-mounted over /etc/sasldb2, or,
# when that file does not exist, an overlay on /etc holds it.  The
# system's /etc, its saslauthd and its sasldb2 are never touched, and no
# other process sees the mount.
#
# usage: bench/daemon.sh BUILD-DIR [SECONDS [ROUNDS [USERS]]]
#   (defaults 2, 3, 200; SASLAUTHD_PROCS=5 sets saslauthd -n;
#   BENCH_SASLDB_MOUNT=overlay uses the overlay even when /etc/sasldb2
#   exists, to try that way)
# Exit status: bench/daemon's (1 when a request failed), 77 when root,
# unshare or a tool is missing.
set -eu
top_builddir=$(cd "${1:?usage: bench/daemon.sh BUILD-DIR [SECONDS [ROUNDS [USERS]]]}" && pwd)
seconds=${2:-2}
rounds=${3:-3}
users=${4:-200}
procs=${SASLAUTHD_PROCS:-5}
bench=$top_builddir/bench/daemon
sasldir=$top_builddir/tools/sasldir
sasldird=$top_builddir/daemon/sasldird

# The system's Python (a version manager's shim can take a second to start).
python=${PYTHON:-python3}
[ -x /usr/bin/python3 ] && [ -z "${PYTHON:-}" ] && python=/usr/bin/python3
# What this machine lacks exits 77 (a test running this script skips).
for tool in saslauthd saslpasswd2 unshare "$python"; do
    command -v "$tool" >/dev/null || { echo "bench/daemon.sh: $tool not found" >&2; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "bench/daemon.sh: needs root (saslauthd runs in a private mount namespace)" >&2; exit 77; }
unshare --mount --propagation private true 2>/dev/null \
    || { echo "bench/daemon.sh: unshare --mount is not permitted here" >&2; exit 77; }

tmp=$(mktemp -d /tmp/bench-daemon.XXXXXX)
pids=
cleanup() {
    for pidfile in "$tmp"/sa-*/saslauthd.pid; do
        [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || :
    done
    for pid in $pids; do kill "$pid" 2>/dev/null || :; done
    for pid in $pids; do wait "$pid" 2>/dev/null || :; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# saslauthd looks a login up in the realm it is sent, or, when the realm
# is empty (what bench/daemon sends), in the host name's.
realm=$(hostname)
i=0
while [ "$i" -lt "$users" ]; do
    printf 'pw-%s' "$i" | saslpasswd2 -f "$tmp/sasldb2" -c -p -u "$realm" "user$i"
    i=$((i + 1))
done

start_saslauthd() { # DIR FLAGS...
    dir=$1; shift
    mkdir -p "$tmp/$dir"
    if [ -e /etc/sasldb2 ] && [ "${BENCH_SASLDB_MOUNT:-}" != overlay ]; then
        setup='mount --bind "$0" /etc/sasldb2'
    else
        mkdir -p "$tmp/$dir.up" "$tmp/$dir.work"
        setup='mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1.up,workdir=$1.work" /etc && cp "$0" /etc/sasldb2'
    fi
    # saslauthd detaches; its pid file is in its -m directory.
    unshare --mount --propagation private sh -c "$setup && exec saslauthd -a sasldb -m \"\$1\" -n $procs $*" \
        "$tmp/sasldb2" "$tmp/$dir" >"$tmp/$dir.log" 2>&1
    n=0
    while [ ! -S "$tmp/$dir/mux" ] || [ ! -s "$tmp/$dir/saslauthd.pid" ]; do
        n=$((n + 1))
        [ "$n" -lt 100 ] || { cat "$tmp/$dir.log" >&2; echo "bench/daemon.sh: saslauthd $* did not start" >&2; exit 1; }
        sleep 0.1
    done
}

start_saslauthd sa-cache -c
start_saslauthd sa-nocache
set -- "saslauthd -c=$tmp/sa-cache/mux" "saslauthd=$tmp/sa-nocache/mux" \
    --pid "saslauthd -c=$(cat "$tmp/sa-cache/saslauthd.pid")" \
    --pid "saslauthd=$(cat "$tmp/sa-nocache/saslauthd.pid")"

if [ -x "$sasldird" ]; then
    "$python" - "$users" >"$tmp/users.csv" <<'PY'
import base64, hashlib, os, sys
print("name,secret")
for i in range(int(sys.argv[1])):
    salt = os.urandom(16)
    digest = hashlib.sha512(b"pw-%d" % i + salt).digest()
    print("user%d,{SSHA512}%s" % (i, base64.b64encode(digest + salt).decode()))
PY
    for kind in cached uncached; do
        {
            cat <<TOML
[storage]
directory = "bench"

[directory."bench"]
type = "internal"
store = "$tmp/directory.db"

# The store holds {SSHA512}: an unknown name is checked against a dummy
# secret of the same scheme, as the store's own users are.
[secret]
default-scheme = "ssha512"

[server]
saslauthd-socket = "$tmp/sasldird-$kind.sock"
socketmap-socket = ""
control-socket = ""
log = "stderr"
log-level = "warning"

[server.penalty]
enable = false
TOML
            [ "$kind" = uncached ] || cat <<'TOML'

[directory."bench".cache]
entries = 4096
ttl = { positive = "1h", negative = "10m" }
TOML
        } >"$tmp/sasldird-$kind.toml"
    done
    "$sasldir" -c "$tmp/sasldird-uncached.toml" import --format csv "$tmp/users.csv" >"$tmp/import.log"
    for kind in cached uncached; do
        "$sasldird" -c "$tmp/sasldird-$kind.toml" -f -l >"$tmp/sasldird-$kind.log" 2>&1 &
        pids="$pids $!"
        set -- "$@" --pid "sasldird $kind=$!"
    done
    for kind in cached uncached; do
        n=0
        while [ ! -S "$tmp/sasldird-$kind.sock" ]; do
            n=$((n + 1))
            [ "$n" -lt 100 ] || { cat "$tmp/sasldird-$kind.log" >&2; echo "bench/daemon.sh: sasldird ($kind) did not start" >&2; exit 1; }
            sleep 0.1
        done
    done
    set -- "$@" "sasldird cached=$tmp/sasldird-cached.sock" "sasldird uncached=$tmp/sasldird-uncached.sock"
    target="--target=sasldird cached:8:3"
else
    echo "bench/daemon.sh: $sasldird is not built: saslauthd only"
    target=
fi

echo "saslauthd $(saslauthd -v 2>&1 | awk '/^saslauthd/ {print $2; exit}') (-n $procs), users in $tmp/sasldb2 with realm $realm; $(nproc) CPUs"
"$bench" --users "$users" --seconds "$seconds" --rounds "$rounds" --clients 1,8,32 ${target:+"$target"} "$@"
