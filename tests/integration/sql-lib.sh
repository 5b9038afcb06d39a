# sql-lib.sh - real database servers for the SQL integration tests
# (sourced, after tests/tap.sh).  Every server runs in a scratch
# directory on a free loopback port, as an unprivileged user when the
# tests run as root (PostgreSQL refuses root), and is stopped by
# sql_cleanup, which the tests install as their EXIT trap.
#
# Environment: top_srcdir, top_builddir, SASLDIR (set by the harness).

sql_dir=$(mktemp -d "${TMPDIR:-/tmp}/sasldir-sql.XXXXXX")
chmod 755 "$sql_dir"
sql_stoppers=""
hammer=$top_builddir/tests/integration/sql-hammer

sql_cleanup() {
    for stop in $sql_stoppers; do
        "$stop" >/dev/null 2>&1 || true
    done
    rm -rf "$sql_dir" "$tap_tmp"
}
trap sql_cleanup EXIT INT TERM

# skip_all REASON: this whole script does not apply here.
skip_all() {
    echo "1..0 # SKIP $1"
    exit 0
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The user servers run as: ourselves, or nobody when we are root.
server_user() {
    if [ "$(id -u)" -eq 0 ]; then echo nobody; else id -un; fi
}

as_server_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u nobody -- "$@"
    else
        "$@"
    fi
}

# The elapsed seconds of a command, in $elapsed; its status in $status.
timed_run() {
    t0=$(date +%s%N)
    run "$@"
    elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}

# sample_config ENGINE OUT [sed expressions...]: the sample configuration
# conf/sql/ENGINE.toml with short timeouts for tests, and the address,
# port and password of the test server.
sample_config() {
    engine=$1
    out=$2
    shift 2
    sed -e 's/"30s"/"2s"/; s/timeout = "15s"/timeout = "2s"/' "$@" \
        "$top_srcdir/conf/sql/$engine.toml" >"$out"
}

# --- PostgreSQL ------------------------------------------------------
pg_bin() {
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/pg_ctl" ] && echo "$dir" && return
    done
    dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/pg_ctl)"
}

pg_stop() {
    as_server_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop
}

pg_start() {
    as_server_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/server.log" \
        -w -t 30 -o "-k $PG_DIR -p $PG_PORT -c listen_addresses=127.0.0.1 -c max_connections=60 -c log_connections=on -c log_disconnections=on -c log_statement=all" \
        start >/dev/null
}

# psql as the superuser, over the socket.
pg_psql() {
    as_server_user "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" \
        -p "$PG_PORT" -U postgres "$@"
}

start_postgresql() {
    PG_BIN=$(pg_bin)
    [ -x "$PG_BIN/initdb" ] || skip_all "PostgreSQL server (initdb) not installed"
    PG_DIR=$sql_dir/pg
    PG_DATA=$PG_DIR/data
    PG_PORT=$(free_port)
    mkdir -p "$PG_DIR"
    chown "$(server_user)" "$PG_DIR"
    as_server_user "$PG_BIN/initdb" -D "$PG_DATA" -U postgres \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 \
        --locale=C >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    pg_start
    sql_stoppers="$sql_stoppers pg_stop"
    pg_psql -d postgres -c "CREATE USER sasldir PASSWORD 'pg-test-pw'" \
        -c "CREATE DATABASE mail OWNER sasldir"
    # Through standard input: the server user may not read the sources.
    { echo "SET ROLE sasldir;"
      cat "$top_srcdir/conf/sql/schema-postgresql.sql" \
          "$top_srcdir/conf/sql/data.sql"
      echo "CREATE TABLE canary (alive INTEGER); INSERT INTO canary VALUES (1);"
    } | pg_psql -d mail
}

# --- MariaDB ---------------------------------------------------------
my_admin() {
    mariadb-admin --no-defaults -S "$MY_SOCK" -u root "$@"
}

my_sql() {
    mariadb --no-defaults -S "$MY_SOCK" -u root "$@"
}

my_stop() {
    my_admin shutdown
}

my_start() {
    mariadbd --no-defaults --datadir="$MY_DIR/data" --socket="$MY_SOCK" \
        --port="$MY_PORT" --bind-address=127.0.0.1 --skip-name-resolve \
        --pid-file="$MY_DIR/mariadbd.pid" --log-error="$MY_DIR/error.log" \
        --general-log=1 --general-log-file="$MY_DIR/query.log" \
        --max-connections=60 --innodb-buffer-pool-size=16M \
        --user="$(id -un)" ${MY_EXTRA:-} >/dev/null 2>&1 &
    for _ in $(seq 1 100); do
        my_admin ping >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    cat "$MY_DIR/error.log" >&2
    return 1
}

start_mariadb() {
    command -v mariadbd >/dev/null 2>&1 \
        || skip_all "MariaDB server (mariadbd) not installed"
    MY_DIR=$sql_dir/my
    MY_SOCK=$MY_DIR/mysqld.sock
    MY_PORT=$(free_port)
    mkdir -p "$MY_DIR"
    mariadb-install-db --no-defaults --datadir="$MY_DIR/data" \
        --auth-root-authentication-method=normal --skip-test-db \
        --user="$(id -un)" >"$MY_DIR/install.log" 2>&1 \
        || { cat "$MY_DIR/install.log" >&2; return 1; }
    my_start
    sql_stoppers="$sql_stoppers my_stop"
    my_sql -e "CREATE DATABASE mail CHARACTER SET utf8mb4; CREATE USER 'sasldir'@'127.0.0.1' IDENTIFIED BY 'my-test-pw'; CREATE USER 'sasldir'@'localhost' IDENTIFIED BY 'my-test-pw'; GRANT SELECT ON mail.* TO 'sasldir'@'127.0.0.1'; GRANT SELECT ON mail.* TO 'sasldir'@'localhost';"
    cat "$top_srcdir/conf/sql/schema-mysql.sql" "$top_srcdir/conf/sql/data.sql" \
        | my_sql mail
    my_sql mail -e "CREATE TABLE canary (alive INTEGER); INSERT INTO canary VALUES (1);"
}

# --- a server that accepts and never answers -------------------------
start_silent_listener() {
    SILENT_PORT=$(free_port)
    python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
' "$SILENT_PORT" &
    SILENT_PID=$!
    sql_stoppers="$sql_stoppers stop_silent_listener"
    for _ in $(seq 1 50); do
        python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$SILENT_PORT" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

stop_silent_listener() {
    kill "$SILENT_PID"
}

# --- TLS -------------------------------------------------------------
# make_cert DIR: a self-signed certificate for 127.0.0.1 (and no host
# name), as cert.pem and key.pem, made by openssl.
make_cert() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1" -keyout "$1/key.pem" \
        -out "$1/cert.pem" >/dev/null 2>&1
    chmod 600 "$1/key.pem"
    chmod 644 "$1/cert.pem"
}

# tls_config IN OUT CA-FILE ALLOW-INVALID [sed...]: IN with TLS on.
tls_config() {
    in=$1; out=$2; ca=$3; allow=$4
    shift 4
    sed -e 's/^enable = false/enable = true/' \
        -e "s#^allow-invalid-certs = false#allow-invalid-certs = $allow${ca:+\\nca-file = \"$ca\"}#" \
        "$@" "$in" >"$out"
}

# sql_tls CONFIG LABEL CERT SERVER-SAW-TLS [HOST-CHECK]: TLS with the certificate
# verified, refused without the right CA or for another host name, and
# accepted unverified only when allowed.  SERVER-SAW-TLS (a command)
# succeeds when the server saw the last connection use TLS.  With
# HOST-CHECK, "localhost" is tried against the certificate for 127.0.0.1
# (not for MariaDB, whose client takes localhost to mean its socket).
sql_tls() {
    conf=$1; l=$2; cert=$3; saw_tls=$4; host_check=${5:-}
    tls_config "$conf" "$tap_tmp/tls.toml" "$cert" false
    run "" "$SASLDIR" -c "$tap_tmp/tls.toml" lookup alice
    tap_expect_status 0 "$status" "$l: TLS with the server's certificate verified against tls.ca-file"
    if $saw_tls; then
        tap_ok "$l: the server saw a TLS connection"
    else
        tap_not_ok "$l: the server saw a TLS connection"
    fi
    tls_config "$conf" "$tap_tmp/tls-system.toml" "" false
    run "" "$SASLDIR" -c "$tap_tmp/tls-system.toml" lookup alice
    tap_expect_status 75 "$status" "$l: a certificate the system store does not trust is refused"
    tap_expect_match "$tap_err" '[Cc]ertificate' "$l: ... and the message says it is the certificate"
    if [ -n "$host_check" ]; then
        tls_config "$conf" "$tap_tmp/tls-host.toml" "$cert" false \
            -e 's/127\.0\.0\.1/localhost/'
        run "" "$SASLDIR" -c "$tap_tmp/tls-host.toml" lookup alice
        tap_expect_status 75 "$status" "$l: a certificate for another host name is refused"
        tap_expect_match "$tap_err" 'does not match host name' "$l: ... and the message says so"
    fi
    tls_config "$conf" "$tap_tmp/tls-any.toml" "" true
    run "" "$SASLDIR" -c "$tap_tmp/tls-any.toml" lookup alice
    tap_expect_status 0 "$status" "$l: tls.allow-invalid-certs accepts it unverified"
}
