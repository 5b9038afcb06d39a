# sasl-lib.sh - shared set-up of the SASL plugin tests (sourced).
#
# Points libsasl2 at the build tree: SASL_PATH lists the build's plugin
# directories (auxprop/.libs, plugin/.libs) and then the system's plugin
# directory (stock client mechanisms, CRAM-MD5, SCRAM, stock PLAIN and
# LOGIN), and SASL_CONF_PATH a scratch directory holding sasldirtest.conf.
# Sets HARNESS (tests/sasl-harness), STOCK_PLUGINS, BUILD_PLUGINS.
#
# With a sanitizer build, programs that are not ours (saslpluginviewer,
# saslpasswd2) dlopen ASan-instrumented plugins, which only works when the
# ASan runtime is loaded first: sasl_foreign runs them with it preloaded.

HARNESS=$top_builddir/tests/sasl-harness
STOCK_PLUGINS=$(pkg-config --variable=libdir libsasl2)/sasl2
BUILD_PLUGINS=$top_builddir/auxprop/.libs:$top_builddir/plugin/.libs
SASL_PATH=$BUILD_PLUGINS:$STOCK_PLUGINS
SASL_CONF_PATH=$tap_tmp/sasl
export SASL_PATH SASL_CONF_PATH
mkdir -p "$SASL_CONF_PATH"

# sasl_app_conf LINE...: writes sasldirtest.conf.
sasl_app_conf() {
    printf '%s\n' "$@" >"$SASL_CONF_PATH/sasldirtest.conf"
}

# The ASan runtime the plugins were built with, when they were.
sasl_asan_runtime=
if nm -D "$top_builddir/plugin/.libs/libsasldir_server.so" 2>/dev/null \
        | grep -q '__asan_'; then
    sasl_asan_runtime=$(${CC:-cc} -print-file-name=libasan.so)
fi

# sasl_foreign COMMAND...: runs a program that is not ours, with the ASan
# runtime preloaded in a sanitizer build.
sasl_foreign() {
    if [ -n "$sasl_asan_runtime" ]; then
        # Their own leaks are not ours to report.
        LD_PRELOAD=$sasl_asan_runtime \
            ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0 "$@"
    else
        "$@"
    fi
}

# auth_expect WANT WHAT ARGS...: runs the harness, expects "result: WANT".
auth_expect() {
    want=$1
    what=$2
    shift 2
    run "" "$HARNESS" "$@"
    if grep -qx "result: $want" "$tap_out"; then
        tap_ok "$what ($want)"
    else
        tap_not_ok "$what" "expected result: $want" \
            "stdout: $(cat "$tap_out")" "stderr: $(tail -n 20 "$tap_err")"
    fi
}

# The tools sasl_make_secrets needs, and the families it makes.
sasl_secret_tools="argon2 htpasswd mkpasswd doveadm"
sasl_families="argon2 bcrypt sha512 yescrypt md5 ssha512 pbkdf2"

# sasl_make_secrets PASSWORD: sets h_<family> for every family of
# $sasl_families to a stored secret of PASSWORD made by an independent
# tool (argon2, htpasswd, mkpasswd, doveadm pw, Python's hashlib).
sasl_make_secrets() {
    h_argon2=$(printf '%s' "$1" | argon2 saltsaltsalt1 -id -e)
    h_bcrypt=$(htpasswd -nbB u "$1" | sed 's/^u://')
    h_sha512=$(mkpasswd -m sha512crypt "$1")
    h_yescrypt=$(mkpasswd -m yescrypt "$1")
    h_md5=$(mkpasswd -m md5crypt "$1")
    h_ssha512=$(doveadm -c /dev/null pw -s SSHA512 -p "$1")
    h_pbkdf2=$("${PYTHON:-/usr/bin/python3}" -c '
import base64, hashlib, os, sys
salt = os.urandom(16)
key = hashlib.pbkdf2_hmac("sha256", sys.argv[1].encode(), salt, 29000)
ab64 = lambda b: base64.b64encode(b).decode().rstrip("=").replace("+", ".")
print("$pbkdf2-sha256$29000$%s$%s" % (ab64(salt), ab64(key)))' "$1")
}
