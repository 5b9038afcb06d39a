# daemon-lib.sh - start and stop a throw-away sasldird (sourced after
# tests/tap.sh).
#
# The daemon runs in the foreground (-f -l) in $daemon_dir, a directory
# under the test's scratch directory, with its sockets there; as root it
# drops privileges to nobody (daemon_user), so the scratch directory is
# made reachable for that user.  It is always stopped when the script
# ends, however it ends.
#
# daemon_server_section [KEY = VALUE lines...]: prints a [server] section
#     with the three sockets in $daemon_dir, stderr logging and, as root,
#     user = "nobody"; extra lines are appended.
# daemon_start CONF: starts sasldird on CONF and waits for "started" in
#     its log ($daemon_log); fails the test plan with "Bail out!" if it
#     does not start.  Sets $daemon_pid.
# daemon_stop: SIGTERM and wait (at most 10 s); $daemon_stop_ms says how
#     long it took, $daemon_status the exit status.
# as_daemon_user COMMAND...: runs COMMAND as the daemon's user.
# $SASLDIR_ANYONE: the sasldir tool for commands run as another user (the
#     daemon's, a stranger uid): a staged copy as root (stage-lib.sh: the
#     build tree may be out of other users' reach), $SASLDIR otherwise.
# saslauthd_query ARGS...: testsaslauthd -f $daemon_mux ARGS into $tap_out.
# daemon_sql_engine, sql_directory: an sql directory (a slow or a down
#     one with silent_listener), see below.

SASLDIRD=$top_builddir/daemon/sasldird
daemon_dir=$tap_tmp/daemon
daemon_mux=$daemon_dir/mux
daemon_socketmap=$daemon_dir/socketmap
daemon_control=$daemon_dir/control
daemon_log=$daemon_dir/sasldird.log
daemon_pid=
mkdir -p "$daemon_dir"

. "$top_srcdir/tests/integration/stage-lib.sh"
if [ "$(id -u)" -eq 0 ]; then
    daemon_user=nobody
    chmod 755 "$tap_tmp"
    chown nobody "$daemon_dir"
    stage_build
    SASLDIR_ANYONE=$STAGED_SASLDIR
else
    daemon_user=
    SASLDIR_ANYONE=$SASLDIR
fi

as_daemon_user() {
    if [ -n "$daemon_user" ]; then
        runuser -u "$daemon_user" -- "$@"
    else
        "$@"
    fi
}

# PIDs of helpers (listeners, clients) to kill when the script ends.
daemon_helpers=

daemon_cleanup() {
    for pid in $daemon_helpers; do
        kill "$pid" 2>/dev/null || true
    done
    if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
        kill -KILL "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
    fi
    rm -rf "$tap_tmp"
}
trap daemon_cleanup EXIT INT TERM

daemon_server_section() {
    echo '[server]'
    echo "saslauthd-socket = \"$daemon_mux\""
    echo "socketmap-socket = \"$daemon_socketmap\""
    echo "control-socket = \"$daemon_control\""
    echo 'log = "stderr"'
    echo 'log-level = "debug"'
    [ -n "$daemon_user" ] && echo "user = \"$daemon_user\""
    for line in "$@"; do
        echo "$line"
    done
}

daemon_start() {
    : >"$daemon_log"
    "$SASLDIRD" -f -l -c "$1" 2>>"$daemon_log" &
    daemon_pid=$!
    i=0
    while ! grep -q 'notice: started' "$daemon_log"; do
        i=$((i + 1))
        if [ "$i" -gt 100 ] || ! kill -0 "$daemon_pid" 2>/dev/null; then
            echo "Bail out! sasldird did not start:"
            sed 's/^/# /' "$daemon_log"
            exit 1
        fi
        sleep 0.1
    done
}

daemon_stop() {
    t0=$(date +%s%N)
    kill -TERM "$daemon_pid" 2>/dev/null || true
    i=0
    while kill -0 "$daemon_pid" 2>/dev/null && [ "$i" -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
        # Reap it as soon as it is a zombie.
        if [ "$(awk '{ print $3 }' "/proc/$daemon_pid/stat" 2>/dev/null)" = Z ]; then
            break
        fi
    done
    daemon_stop_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    set +e
    wait "$daemon_pid" 2>/dev/null
    daemon_status=$?
    set -e
    if [ "$daemon_status" -ne 0 ]; then
        echo "# sasldird exited with status $daemon_status; the end of its log:"
        tail -n 40 "$daemon_log" | sed 's/^/#   /'
    fi
    daemon_pid=
}

# silent_listener: a TCP listener on 127.0.0.1 that accepts and never
# answers (a directory server that hangs); sets $silent_port.
silent_listener() {
    silent_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
held = []
while True:
    held.append(s.accept()[0])
' "$silent_port" &
    daemon_helpers="$daemon_helpers $!"
    for _ in $(seq 1 50); do
        python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
            "$silent_port" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# daemon_sql_engine: the SQL engine this build has (postgresql, else
# mysql), or nothing; sets $sql_engine.  A directory of that type whose
# server is a silent_listener is the tests' slow directory.
daemon_sql_engine() {
    sql_engine=
    for engine in postgresql mysql; do
        printf '[directory.x]\ntype = "sql"\nstore = "s"\n[store.s]\ntype = "%s"\nhost = "127.0.0.1"\nport = 1\ndatabase = "d"\nuser = "u"\npassword = "p"\n[store.s.query]\nname = "SELECT 1 WHERE 1 = ?"\n' \
            "$engine" >"$tap_tmp/probe.toml"
        if "$SASLDIR" -c "$tap_tmp/probe.toml" check-config >/dev/null 2>&1; then
            sql_engine=$engine
            return 0
        fi
    done
}

# sql_directory NAME PORT TIMEOUT [LINES...]: prints an sql directory
# NAME of $sql_engine with its store, at 127.0.0.1:PORT with the store's
# TIMEOUT; LINES go into the directory's section (a pool, say).  At a
# silent_listener's port each lookup hangs that long, then is a
# temporary failure; at port 1 it fails at once.
sql_directory() {
    name=$1
    port=$2
    timeout=$3
    shift 3
    printf '[directory."%s"]\ntype = "sql"\nstore = "%s"\n' "$name" "$name"
    for line in "$@"; do
        echo "$line"
    done
    cat <<CONF
[store."$name"]
type = "$sql_engine"
host = "127.0.0.1"
port = $port
database = "mail"
user = "sasldir"
password = "x"
timeout = "$timeout"
[store."$name".query]
name = "SELECT name, type, secret, description, quota FROM accounts WHERE name = ?"
CONF
}

saslauthd_query() {
    run "" testsaslauthd -f "$daemon_mux" "$@"
}

# saslauthd_expect REGEX WHAT ARGS...: testsaslauthd's output matches.
saslauthd_expect() {
    regex=$1
    what=$2
    shift 2
    saslauthd_query "$@"
    tap_expect_match "$tap_out" "$regex" "$what"
}

# saslauthd_raw FIELD...: sends the fields as one saslauthd request
# (python3) and prints the reply's text, into $tap_out.  testsaslauthd
# prints its own words for every NO, so a reason is checked with this.
saslauthd_raw() {
    run "" python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"".join(struct.pack(">H", len(f)) + f
                   for f in (a.encode() for a in sys.argv[2:])))
data = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
(n,) = struct.unpack(">H", data[:2])
print(data[2:2 + n].decode())' "$daemon_mux" "$@"
}

# daemon_control COMMAND: one command on the control socket (python3),
# its answer (status line and body) into $tap_out.
daemon_control() {
    run "" python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode())' "$daemon_control" "$1"
}

# daemon_wait_clients N: until the daemon has N clients (10 s at most).
daemon_wait_clients() {
    for _ in $(seq 1 100); do
        daemon_control status
        grep -q "^clients: $(($1 + 1)) " "$tap_out" && return 0
        sleep 0.1
    done
    return 1
}
