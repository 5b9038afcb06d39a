# tap.sh - TAP reporting for the shell tests (sourced, not run).
#
# Each check prints "ok N - what" or "not ok N - what" and the plan is
# printed at the end, so a script that dies half-way is caught by the
# harness as a missing plan rather than passing quietly.

tap_count=0
tap_failed=0

tap_ok() {
    tap_count=$((tap_count + 1))
    echo "ok $tap_count - $1"
}

tap_not_ok() {
    tap_count=$((tap_count + 1))
    tap_failed=$((tap_failed + 1))
    echo "not ok $tap_count - $1"
    shift
    for line in "$@"; do
        printf '%s\n' "$line" | sed 's/^/#   /'
    done
}

# tap_skip WHAT REASON: a check that cannot run here (counted as SKIP).
tap_skip() {
    tap_count=$((tap_count + 1))
    echo "ok $tap_count - $1 # SKIP $2"
}

# tap_expect_status WANT GOT WHAT
tap_expect_status() {
    if [ "$2" -eq "$1" ]; then
        tap_ok "$3 (exit $2)"
    else
        tap_not_ok "$3" "expected exit status $1, got $2" \
            "stdout: $(cat "$tap_out" 2>/dev/null)" \
            "stderr: $(cat "$tap_err" 2>/dev/null)"
    fi
}

# tap_expect_match FILE REGEX WHAT: FILE has a line matching REGEX
tap_expect_match() {
    if grep -Eq -- "$2" "$1"; then
        tap_ok "$3"
    else
        tap_not_ok "$3" "no line matches /$2/ in:" "$(cat "$1")"
    fi
}

# tap_expect_no_match FILE REGEX WHAT
tap_expect_no_match() {
    if grep -Eq -- "$2" "$1"; then
        tap_not_ok "$3" "a line matches /$2/ in:" "$(cat "$1")"
    else
        tap_ok "$3"
    fi
}

tap_done() {
    echo "1..$tap_count"
    [ "$tap_failed" -eq 0 ]
}

# A scratch directory, removed however the script ends.
tap_tmp=$(mktemp -d "${TMPDIR:-/tmp}/sasldir-test.XXXXXX")
trap 'rm -rf "$tap_tmp"' EXIT INT TERM
tap_out=$tap_tmp/stdout
tap_err=$tap_tmp/stderr

# run STDIN-TEXT COMMAND...: runs COMMAND with STDIN-TEXT (printf %s) on
# its standard input; sets $status, output in $tap_out and $tap_err.
run() {
    input=$1
    shift
    set +e
    printf '%s' "$input" | "$@" >"$tap_out" 2>"$tap_err"
    status=$?
    set -e
}
