#!/bin/sh
# sql.sh - runs bench-sql against a local PostgreSQL and MariaDB,
# started in a scratch directory exactly as the integration tests do
# (tests/integration/sql-lib.sh), and stopped afterwards.
#
# usage: bench/sql.sh BUILD-DIR [SECONDS]   (from the source tree)
set -eu
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_builddir=$(cd "${1:?usage: bench/sql.sh BUILD-DIR [SECONDS]}" && pwd)
seconds=${2:-3}
SASLDIR=$top_builddir/tools/sasldir
export top_srcdir top_builddir SASLDIR
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/sql-lib.sh"
bench=$top_builddir/bench/bench-sql

# A user whose secret costs nothing to check, so the directory path,
# not the hash, is what gets measured.
bench_user="INSERT INTO accounts (name, secret, type) VALUES ('bench', '{PLAIN}bench-pw', 'individual')"

pools() { # ENGINE CONFIG-SED
    sample_config "$1" "$sql_dir/$1-1.toml" -e "$2" \
        -e 's/^max-connections = 10/max-connections = 1/' -e 's/"2s"/"30s"/'
    sample_config "$1" "$sql_dir/$1-8.toml" -e "$2" \
        -e 's/^max-connections = 10/max-connections = 8/' -e 's/"2s"/"30s"/'
    # The pool-8 directory with a cache (the bench uses one user).
    cat "$sql_dir/$1-8.toml" - >"$sql_dir/$1-8-cache.toml" <<'TOML'

[directory."sql".cache]
entries = 1024
ttl = { positive = "1h", negative = "10m" }
TOML
}

start_postgresql >/dev/null
pg_psql -d mail -c "$bench_user"
pools postgresql "s/^port = 5432/port = $PG_PORT/; s/^password = \"change-me\"/password = \"pg-test-pw\"/"
echo "== PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'), $seconds s per run"
"$bench" "$seconds" "$sql_dir/postgresql-1.toml" "$sql_dir/postgresql-8.toml" \
    "$sql_dir/postgresql-8-cache.toml" bench bench-pw "pgsql:host=127.0.0.1 port=$PG_PORT dbname=mail user=sasldir password=pg-test-pw"
pg_stop >/dev/null

start_mariadb >/dev/null
my_sql mail -e "$bench_user"
pools mysql "s#mysql://sasldir:change-me@127.0.0.1:3306/mail#mysql://sasldir:my-test-pw@127.0.0.1:$MY_PORT/mail#"
echo "== MariaDB $(mariadbd --version | awk '{print $3}'), $seconds s per run"
"$bench" "$seconds" "$sql_dir/mysql-1.toml" "$sql_dir/mysql-8.toml" \
    "$sql_dir/mysql-8-cache.toml" bench bench-pw "mysql:127.0.0.1:$MY_PORT:sasldir:my-test-pw:mail"
