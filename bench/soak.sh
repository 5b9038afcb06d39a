#!/bin/sh
# soak.sh - a long run of authentications through one sasldird: no leak,
# no growth of its resident memory after warm-up.
#
# sasldird serves an internal directory of USERS {SSHA512} users with a
# credential cache smaller than the users (so entries are evicted all
# the time); bench/daemon --mix sends COUNT requests from CLIENTS
# clients, each a connection of its own: random users, 1 in 16 a wrong
# password and 1 in 16 an unknown user (answered NO, checked).  First
# WARMUP requests fill the cache, pools and allocator; then the daemon's
# VmRSS is sampled every 2 s during the COUNT requests.  At the end
# sasldird gets SIGTERM and must exit 0.
#
# With a sanitizer build (scripts/build --sanitizers, BUILD-DIR
# build-sanitizers) LeakSanitizer checks the heap at that exit and any
# report fails the run.  ASan keeps freed memory in a quarantine (256 MiB
# by default) and its allocator does not return memory as glibc's does,
# so under ASan the RSS figures are printed but not judged; judge RSS
# growth with the ordinary build (BUILD-DIR build).
#
# Pass: every reply as expected, sasldird exits 0, no sanitizer report,
# and (ordinary build) RSS growth after warm-up < 1 MiB.
#
# usage: bench/soak.sh BUILD-DIR [COUNT [CLIENTS [WARMUP [USERS]]]]
#        (defaults 1000000, 8, 50000, 1000)
set -eu
top_builddir=$(cd "${1:?usage: bench/soak.sh BUILD-DIR [COUNT [CLIENTS [WARMUP [USERS]]]]}" && pwd)
count=${2:-1000000}
clients=${3:-8}
warmup=${4:-50000}
users=${5:-1000}
bench=$top_builddir/bench/daemon
sasldir=$top_builddir/tools/sasldir
sasldird=$top_builddir/daemon/sasldird
[ -x "$sasldird" ] || { echo "bench/soak.sh: $sasldird is not built" >&2; exit 1; }
# The system's Python (a version manager's shim can take a second to start).
python=${PYTHON:-python3}
[ -x /usr/bin/python3 ] && [ -z "${PYTHON:-}" ] && python=/usr/bin/python3

sanitizers=no
grep -q -- '-fsanitize=address' "$top_builddir/Makefile" && sanitizers=yes
if [ "$sanitizers" = yes ]; then
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
    export ASAN_OPTIONS
fi

tmp=$(mktemp -d /tmp/bench-soak.XXXXXX)
pid=
sampler=
cleanup() {
    [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || :
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || :
    [ -z "$pid" ] || wait "$pid" 2>/dev/null || :
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$python" - "$users" >"$tmp/users.csv" <<'PY'
import base64, hashlib, os, sys
print("name,secret")
for i in range(int(sys.argv[1])):
    salt = os.urandom(16)
    digest = hashlib.sha512(b"pw-%d" % i + salt).digest()
    print("user%d,{SSHA512}%s" % (i, base64.b64encode(digest + salt).decode()))
PY
cat >"$tmp/sasldird.toml" <<TOML
[storage]
directory = "soak"

[directory."soak"]
type = "internal"
store = "$tmp/directory.db"

[directory."soak".cache]
entries = $((users / 2))
ttl = { positive = "1h", negative = "10m" }

# The store holds {SSHA512}: an unknown name is checked against a dummy
# secret of the same scheme, as the store's own users are.
[secret]
default-scheme = "ssha512"

[server]
saslauthd-socket = "$tmp/mux"
socketmap-socket = ""
control-socket = ""
log = "stderr"
log-level = "warning"

[server.penalty]
enable = false
TOML
"$sasldir" -c "$tmp/sasldird.toml" import --format csv "$tmp/users.csv" >"$tmp/import.log"

"$sasldird" -c "$tmp/sasldird.toml" -f -l >"$tmp/sasldird.log" 2>&1 &
pid=$!
n=0
while [ ! -S "$tmp/mux" ]; do
    n=$((n + 1))
    [ "$n" -lt 300 ] || { cat "$tmp/sasldird.log" >&2; echo "bench/soak.sh: sasldird did not start" >&2; exit 1; }
    sleep 0.1
done

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }

echo "bench/soak.sh: $("$sasldird" --version 2>/dev/null | head -1), sanitizers: $sanitizers, $users users, cache entries $((users / 2)), $clients clients, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "start: VmRSS $(rss) KiB"
"$bench" --users "$users" --clients "$clients" --mix --count "$warmup" "warm-up=$tmp/mux"
before=$(rss)
echo "after warm-up: VmRSS $before KiB"
(
    while kill -0 "$pid" 2>/dev/null; do
        printf '%s %s\n' "$(date +%s)" "$(rss 2>/dev/null)" >>"$tmp/rss"
        sleep 2
    done
) &
sampler=$!
status=0
"$bench" --users "$users" --clients "$clients" --mix --count "$count" "soak=$tmp/mux" || status=1
after=$(rss)
kill "$sampler" 2>/dev/null || :
wait "$sampler" 2>/dev/null || :
sampler=
max=$(awk '$2 > m {m = $2} END {print m + 0}' "$tmp/rss")
samples=$(wc -l <"$tmp/rss")
growth=$((after - before))
echo "after $count requests: VmRSS $after KiB; growth since warm-up $growth KiB; highest of $samples samples $max KiB"

t0=$(date +%s)
kill -TERM "$pid"
daemon_status=0
wait "$pid" || daemon_status=$?
pid=
echo "sasldird exited with status $daemon_status $(($(date +%s) - t0)) s after SIGTERM"
[ "$daemon_status" = 0 ] || status=1
if grep -qE 'LeakSanitizer|AddressSanitizer|runtime error:' "$tmp/sasldird.log"; then
    echo "sanitizer report (sasldird's standard error):"
    cat "$tmp/sasldird.log"
    status=1
elif grep -q 'exiting without them' "$tmp/sasldird.log"; then
    # The drain deadline ends the process with _exit: no leak check ran.
    echo "sasldird abandoned requests at exit, so LeakSanitizer did not run:"
    cat "$tmp/sasldird.log"
    status=1
elif [ "$sanitizers" = yes ]; then
    echo "LeakSanitizer: no report at exit"
fi
if [ "$sanitizers" = no ]; then
    if [ "$growth" -lt 1024 ]; then
        echo "RSS growth $growth KiB < 1024 KiB: met"
    else
        echo "RSS growth $growth KiB >= 1024 KiB: MISSED"
        status=1
    fi
else
    echo "RSS under ASan not judged (quarantine and allocator caches); run with the ordinary build for that"
fi
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"
