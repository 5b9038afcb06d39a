# sql-suite.sh - the checks every SQL engine must pass, run by
# sql-sqlite.test, sql-postgresql.test and sql-mysql.test against the
# same sample data (conf/sql/data.sql) through the sasldir tool and,
# for the SASL plugins, tests/sasl-harness and saslpasswd2 (sourced,
# after tap.sh and sql-lib.sh).

. "$top_srcdir/tests/sasl-lib.sh"

nl='
'

# sql_suite CONFIG LABEL: lookup, auth, groups, quotas, superusers,
# rcpt, expand, domains, subaddressing, catch-all.
sql_suite() {
    conf=$1
    l=$2

    run "" "$SASLDIR" -c "$conf" check-config
    tap_expect_status 0 "$status" "$l: check-config accepts the sample configuration"

    run "" "$SASLDIR" -c "$conf" lookup alice
    tap_expect_status 0 "$status" "$l: lookup alice"
    tap_expect_match "$tap_out" '^addresses: +alice@example\.org \(primary\)$' "$l: primary address first"
    tap_expect_match "$tap_out" '^ +a\.liddell@example\.org$' "$l: alias listed"
    tap_expect_match "$tap_out" '^quota: +1073741824 bytes .*from its groups' "$l: NULL quota inherits the group's"
    tap_expect_match "$tap_out" '^secrets: +2 ' "$l: two rows give two secrets"
    tap_expect_match "$tap_out" '^description: +Alice Liddell$' "$l: description column"

    run "" "$SASLDIR" -c "$conf" lookup bob
    tap_expect_match "$tap_out" '^quota: +5368709120 bytes' "$l: own quota wins"

    run "" "$SASLDIR" -c "$conf" lookup carol
    tap_expect_match "$tap_out" '^all groups: +admins, superusers$' "$l: transitive groups"
    tap_expect_match "$tap_out" '^superuser: +yes$' "$l: superuser through groups"

    run "" "$SASLDIR" -c "$conf" lookup postmaster
    tap_expect_match "$tap_out" '^type: +admin$' "$l: class admin"
    tap_expect_match "$tap_out" '^superuser: +yes$' "$l: admin is a superuser"

    run "" "$SASLDIR" -c "$conf" lookup staff
    tap_expect_match "$tap_out" '^type: +group$' "$l: class group"

    run "" "$SASLDIR" -c "$conf" lookup dave
    tap_expect_status 1 "$status" "$l: an inactive account is not found"
    run "" "$SASLDIR" -c "$conf" lookup nobody
    tap_expect_status 1 "$status" "$l: an unknown name is not found"

    run "wonderland$nl" "$SASLDIR" -c "$conf" auth alice
    tap_expect_status 0 "$status" "$l: auth, right password (yescrypt)"
    run "apple-pie-77$nl" "$SASLDIR" -c "$conf" auth alice
    tap_expect_status 0 "$status" "$l: auth with the second secret (app password)"
    run "builder" "$SASLDIR" -c "$conf" auth bob
    tap_expect_status 0 "$status" "$l: auth (sha512-crypt)"
    run "carol pass 42$nl" "$SASLDIR" -c "$conf" auth carol
    tap_expect_status 0 "$status" "$l: auth (bcrypt)"
    tap_expect_match "$tap_out" "\(superuser\)" "$l: auth reports the superuser"
    run "postmaster!$nl" "$SASLDIR" -c "$conf" auth postmaster
    tap_expect_status 0 "$status" "$l: auth ({SSHA512})"
    run "Wonderland$nl" "$SASLDIR" -c "$conf" auth alice
    tap_expect_status 1 "$status" "$l: auth, wrong password"
    tap_expect_match "$tap_err" "wrong password for 'alice'" "$l: wrong password is a mismatch"
    run "wonderland$nl" "$SASLDIR" -c "$conf" auth mallory
    tap_expect_status 1 "$status" "$l: auth, unknown user"
    tap_expect_match "$tap_err" "no principal named 'mallory'" "$l: unknown user is not found"
    run "builder" "$SASLDIR" -c "$conf" auth dave
    tap_expect_status 1 "$status" "$l: auth of an inactive account fails"

    run "" "$SASLDIR" -c "$conf" rcpt Alice@Example.ORG
    tap_expect_match "$tap_out" "mailbox of 'alice'" "$l: rcpt of a primary address, any case"
    run "" "$SASLDIR" -c "$conf" rcpt a.liddell@example.org
    tap_expect_match "$tap_out" "mailbox of 'alice'" "$l: rcpt of an alias"
    run "" "$SASLDIR" -c "$conf" rcpt alice+lists@example.org
    tap_expect_match "$tap_out" "mailbox of 'alice' \(matched alice@example\.org\)" "$l: subaddressing"
    run "" "$SASLDIR" -c "$conf" rcpt staff@example.org
    tap_expect_match "$tap_out" "mailing list" "$l: rcpt of a list"
    run "" "$SASLDIR" -c "$conf" rcpt whoever@example.net
    tap_expect_match "$tap_out" "mailbox of 'postmaster' \(matched @example\.net\)" "$l: catch-all"
    run "" "$SASLDIR" -c "$conf" rcpt nobody@example.org
    tap_expect_status 1 "$status" "$l: rcpt of an unknown address"

    run "" "$SASLDIR" -c "$conf" domain example.org
    tap_expect_status 0 "$status" "$l: local domain"
    run "" "$SASLDIR" -c "$conf" domain example.com
    tap_expect_status 1 "$status" "$l: foreign domain"

    run "" "$SASLDIR" -c "$conf" expand staff@example.org
    tap_expect_status 0 "$status" "$l: expand a list"
    if [ "$(cat "$tap_out")" = "alice@example.org${nl}bob@example.org" ]; then
        tap_ok "$l: expand gives the members' primary addresses"
    else
        tap_not_ok "$l: expand gives the members' primary addresses" "$(cat "$tap_out")"
    fi
    run "" "$SASLDIR" -c "$conf" expand staff+x@example.org
    tap_expect_status 0 "$status" "$l: expand with a subaddress"
    run "" "$SASLDIR" -c "$conf" expand alice@example.org
    tap_expect_status 1 "$status" "$l: a mailbox is not a list"

    run "" "$SASLDIR" -c "$conf" vrfy lic
    tap_expect_match "$tap_out" '^alice@example\.org$' "$l: vrfy finds a partial address"
    run "" "$SASLDIR" -c "$conf" vrfy zzz
    tap_expect_status 1 "$status" "$l: vrfy without a match"
}

# sql_bad_values CONFIG LABEL: a non-numeric quota and a missing query.
sql_bad_values() {
    conf=$1
    l=$2
    sed 's/^quota = "quota"/quota = "description"/' "$conf" >"$tap_tmp/badquota.toml"
    run "" "$SASLDIR" -c "$tap_tmp/badquota.toml" lookup alice
    tap_expect_status 2 "$status" "$l: a non-numeric quota is an error"
    tap_expect_match "$tap_err" "query\.name: column 'description' of principal 'alice' holds 'Alice Liddell', which is not a number" \
        "$l: the error names query and column"
    run "" "$SASLDIR" -c "$tap_tmp/badquota.toml" lookup carol
    tap_expect_status 0 "$status" "$l: a NULL in that column is no quota"

    grep -v '^expand = ' "$conf" >"$tap_tmp/noexpand.toml"
    run "" "$SASLDIR" -c "$tap_tmp/noexpand.toml" check-config
    tap_expect_status 0 "$status" "$l: a missing query is fine at start-up"
    run "" "$SASLDIR" -c "$tap_tmp/noexpand.toml" expand staff@example.org
    tap_expect_status 2 "$status" "$l: using a missing query is an error"
    tap_expect_match "$tap_err" "query\.expand is not configured" "$l: the message names the missing query"

    sed 's/FROM accounts WHERE/FROM no_such_table WHERE/' "$conf" >"$tap_tmp/badsql.toml"
    run "" "$SASLDIR" -c "$tap_tmp/badsql.toml" lookup alice
    tap_expect_status 2 "$status" "$l: a broken query is an error, not a temporary failure"
    tap_expect_match "$tap_err" "directory 'sql': query\.name: .*no_such_table" "$l: the server's message is passed on"
}

# sql_injection CONFIG LABEL COUNT-CANARY: hostile values reach the
# database only as bound values; COUNT-CANARY prints the canary rows.
sql_injection() {
    conf=$1
    l=$2
    count_canary=$3
    long=$(printf 'x%.0s' $(seq 1 1000))    # refused before any query
    longest=$(printf 'y%.0s' $(seq 1 250))  # a name that reaches the query
    for value in "x' OR '1'='1" "alice'--" "alice' -- " '"; DROP TABLE canary; --' \
                 "'; DROP TABLE canary; --" 'a\' '\' '%' '_' 'a%' 'ali_e' \
                 "; DELETE FROM accounts" 'ålice' '名前' "$long" "$longest"; do
        run "" "$SASLDIR" -c "$conf" lookup "$value"
        if [ "$status" -ne 1 ]; then
            tap_not_ok "$l: hostile name is simply not found" "value: $value" "status $status" "$(cat "$tap_err")"
            continue
        fi
        run "wonderland" "$SASLDIR" -c "$conf" auth "$value"
        [ "$status" -eq 1 ] || { tap_not_ok "$l: hostile name cannot log in" "value: $value" "status $status"; continue; }
        run "" "$SASLDIR" -c "$conf" rcpt "$value@example.org"
        [ "$status" -eq 1 ] || { tap_not_ok "$l: hostile address is not deliverable" "value: $value" "status $status" "$(cat "$tap_out")"; continue; }
        run "" "$SASLDIR" -c "$conf" domain "$value"
        [ "$status" -ne 0 ] && [ "$status" -ne 75 ] || { tap_not_ok "$l: hostile domain is not local" "value: $value" "status $status"; continue; }
        tap_ok "$l: '$(printf '%.20s' "$value")' is only ever a value"
    done
    if [ "$($count_canary)" = "1" ]; then
        tap_ok "$l: the canary table survived"
    else
        tap_not_ok "$l: the canary table survived" "$($count_canary 2>&1)"
    fi
    run "wonderland" "$SASLDIR" -c "$conf" auth alice
    tap_expect_status 0 "$status" "$l: the accounts are intact"
}

# sql_concurrency CONFIG LABEL MAX: 32 callers on a pool of MAX.
sql_concurrency() {
    conf=$1
    l=$2
    max=$3
    sed -e "s/^max-connections = 10/max-connections = $max/" \
        -e 's/^wait = "2s"/wait = "20s"/' "$conf" >"$tap_tmp/pool.toml"
    run "" "$hammer" concurrent "$tap_tmp/pool.toml" bob builder 32 10
    tap_expect_status 0 "$status" "$l: 32 concurrent callers all authenticate"
    tap_expect_match "$tap_out" "^pool: open [0-$max], " "$l: the pool never holds more than $max"
    tap_expect_match "$tap_out" "waits [1-9]" "$l: callers did wait for a connection"
}

# sql_cached_outage CONFIG LABEL STOP START: the same directory with a
# cache, in one process: with the server stopped an existing user's
# authentication and lookup are temporary failures; once STOP's server
# is back (START), that process authenticates and looks the user up at
# once, and its cache holds no negative entry from the outage.  Were a
# temporary failure cached, the answers after the restart would come
# from the cache and fail.
sql_cached_outage() {
    outage_conf=$tap_tmp/$2-cached.toml
    l=$2
    cat "$1" - >"$outage_conf" <<'TOML'

[directory."sql".cache]
entries = 100
ttl = { positive = "1h", negative = "10m" }
TOML
    rm -f "$tap_tmp/outage.ready" "$tap_tmp/outage.go"
    $3 >/dev/null
    timed_run "" "$SASLDIR" -c "$outage_conf" lookup alice
    tap_expect_status 75 "$status" "$l: with a cache, server stopped: lookup is a temporary failure"
    "$hammer" outage "$outage_conf" bob builder "$tap_tmp/outage.ready" \
        "$tap_tmp/outage.go" >"$tap_tmp/outage" 2>"$tap_tmp/outage.err" &
    outage_pid=$!
    n=0
    while [ ! -e "$tap_tmp/outage.ready" ] && [ "$n" -lt 600 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    $4
    : >"$tap_tmp/outage.go"
    status=0
    wait "$outage_pid" || status=$?
    if [ "$status" -eq 0 ]; then
        tap_ok "$l: with a cache, the outage process saw tempfail, then ok"
    else
        tap_not_ok "$l: with a cache, the outage process saw tempfail, then ok" \
            "exit $status" "$(cat "$tap_tmp/outage" "$tap_tmp/outage.err")"
    fi
    tap_expect_match "$tap_tmp/outage" '^down: auth=temporary failure lookup=temporary failure$' \
        "$l: with a cache, server stopped: auth and lookup of bob are temporary failures"
    tap_expect_match "$tap_tmp/outage" '^up: auth=ok lookup=ok$' \
        "$l: with a cache, restarted: the same process authenticates and finds bob at once"
    tap_expect_match "$tap_tmp/outage" '^cache credentials: negative inserts=0 size=0 hits=0$' \
        "$l: with a cache, no negative credential entry from the outage"
    tap_expect_match "$tap_tmp/outage" '^cache principal: negative inserts=0 size=0 hits=0$' \
        "$l: with a cache, no negative principal entry from the outage"
}

# sql_scram CONFIG LABEL: columns.scram with the sample's SCRAM name
# query (the commented one): credentials come as extra rows and are no
# secrets; a value that is not an authPassword is an error naming the
# directory, query, column and principal, never quoting the value.
sql_scram() {
    conf=$1
    l=$2
    sed -e '/^name = /d' -e 's/^#name = /name = /' "$conf" >"$tap_tmp/scram.toml"
    run "" "$SASLDIR" -c "$tap_tmp/scram.toml" lookup bob
    tap_expect_status 0 "$status" "$l: columns.scram: lookup bob with the SCRAM query"
    tap_expect_match "$tap_out" '^secrets: +1 ' "$l: columns.scram: SCRAM rows add no secret"
    run "builder" "$SASLDIR" -c "$tap_tmp/scram.toml" auth bob
    tap_expect_status 0 "$status" "$l: columns.scram: bob still authenticates"
    run "wonderland" "$SASLDIR" -c "$tap_tmp/scram.toml" auth alice
    tap_expect_status 0 "$status" "$l: columns.scram: a principal without credentials too"

    sed 's/^scram = "scram"/scram = "description"/' "$conf" >"$tap_tmp/badscram.toml"
    run "" "$SASLDIR" -c "$tap_tmp/badscram.toml" lookup alice
    tap_expect_status 2 "$status" "$l: columns.scram: a value that is not an authPassword is an error"
    tap_expect_match "$tap_err" "directory 'sql': query\.name: column 'description' of principal 'alice', row 1: malformed authPassword" \
        "$l: columns.scram: the error names directory, query, column and principal"
    tap_expect_no_match "$tap_err" "Alice Liddell" "$l: columns.scram: ... without quoting the value"
    run "" "$SASLDIR" -c "$tap_tmp/badscram.toml" lookup carol
    tap_expect_status 0 "$status" "$l: columns.scram: a NULL in that column is no credential"
}

# sql_sasl LABEL: the SASL plugins on the directory of $tap_tmp/scram.toml
# (made by sql_scram): stock SCRAM-SHA-256 and SCRAM-SHA-1 through the
# auxprop from columns.scram, no userPassword for a hashed secret, and
# saslpasswd2 / sasl_setpass refused with the reason in the log.
sql_sasl() {
    l=$1
    sasl_app_conf "sasldir_config: $tap_tmp/scram.toml" "auxprop_plugin: sasldir" \
        "mech_list: PLAIN SCRAM-SHA-256 SCRAM-SHA-1" "log_level: 7"
    auth_expect SASL_OK "$l: stock SCRAM-SHA-256 from columns.scram" \
        auth SCRAM-SHA-256 bob builder
    auth_expect SASL_OK "$l: stock SCRAM-SHA-1 from columns.scram" \
        auth SCRAM-SHA-1 bob builder
    auth_expect SASL_BADAUTH "$l: stock SCRAM-SHA-256, wrong password" \
        auth SCRAM-SHA-256 bob Builder
    run "" "$HARNESS" --props '*authPassword,*userPassword' auth PLAIN bob builder
    if [ "$(grep -c '^prop \*authPassword=SCRAM-SHA-' "$tap_out")" -eq 2 ]; then
        tap_ok "$l: both rows of scram_credentials are published as authPassword"
    else
        tap_not_ok "$l: both rows of scram_credentials are published as authPassword" "$(cat "$tap_out")"
    fi
    tap_expect_no_match "$tap_out" 'userPassword' "$l: no userPassword: bob's secret is a hash"
    auth_expect SASL_NOUSER "$l: stock SCRAM-SHA-256 for a principal without credentials" \
        auth SCRAM-SHA-256 alice wonderland

    if command -v saslpasswd2 >/dev/null 2>&1; then
        run "new pw" sasl_foreign saslpasswd2 -a sasldirtest -p bob
        tap_expect_status 1 "$status" "$l: saslpasswd2 on an sql directory fails"
    else
        tap_skip "$l: saslpasswd2 on an sql directory fails" "saslpasswd2 is not installed"
    fi
    auth_expect SASL_FAIL "$l: sasl_setpass on an sql directory" setpass bob "new pw"
    tap_expect_match "$tap_err" "cannot store: directory sql \(type sql\) is read-only" \
        "$l: ... and the log says why"
    auth_expect SASL_OK "$l: bob's password is unchanged" auth PLAIN bob builder
}
