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
sasl_secret_tools="argon2 htpasswd mkpasswd doveadm oathtool"
sasl_families="argon2 bcrypt sha512 yescrypt md5 ssha512 pbkdf2 scrypt apr1 scram"

# sasl_make_secrets PASSWORD: sets h_<family> for every family of
# $sasl_families to a stored secret of PASSWORD made by an independent
# tool (argon2, htpasswd, mkpasswd, doveadm pw, Python's passlib or
# hashlib), and the markers of Stalwart's secrets:
#   h_app      an app password "$app$phone$<bcrypt>" of $h_app_password
#   h_totp     a TOTP key (otpauth://totp/...) whose current code
#              sasl_totp_code prints (oathtool)
sasl_make_secrets() {
    h_argon2=$(printf '%s' "$1" | argon2 saltsaltsalt1 -id -e)
    h_bcrypt=$(htpasswd -nbB u "$1" | sed 's/^u://')
    h_sha512=$(mkpasswd -m sha512crypt "$1")
    h_yescrypt=$(mkpasswd -m yescrypt "$1")
    h_md5=$(mkpasswd -m md5crypt "$1")
    h_ssha512=$(doveadm -c /dev/null pw -s SSHA512 -p "$1")
    h_apr1=$(htpasswd -nbm u "$1" | sed 's/^u://')
    h_scram=$(doveadm -c /dev/null pw -s SCRAM-SHA-256 -p "$1")
    h_pbkdf2=$("${PYTHON:-/usr/bin/python3}" -c '
import base64, hashlib, os, sys
salt = os.urandom(16)
key = hashlib.pbkdf2_hmac("sha256", sys.argv[1].encode(), salt, 29000)
ab64 = lambda b: base64.b64encode(b).decode().rstrip("=").replace("+", ".")
print("$pbkdf2-sha256$29000$%s$%s" % (ab64(salt), ab64(key)))' "$1")
    # passlib where it is installed (Debian python3-passlib), else the
    # same PHC string from hashlib.scrypt.
    h_scrypt=$("${PYTHON:-/usr/bin/python3}" -c '
import base64, hashlib, os, sys
try:
    from passlib.hash import scrypt
    print(scrypt.using(rounds=12).hash(sys.argv[1]))
except ImportError:
    salt = os.urandom(16)
    key = hashlib.scrypt(sys.argv[1].encode(), salt=salt, n=1 << 12, r=8,
                         p=1, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode().rstrip("=")
    print("$scrypt$ln=12,r=8,p=1$%s$%s" % (b64(salt), b64(key)))' "$1")
    h_app_password="App only 9"
    h_app='$app$phone$'$(htpasswd -nbB u "$h_app_password" | sed 's/^u://')
    sasl_totp_key=JBSWY3DPEHPK3PXPJBSWY3DP
    h_totp="otpauth://totp/sasldir:totp?secret=$sasl_totp_key&issuer=sasldir"
}

# sasl_totp_code: the current code of $h_totp's key.
sasl_totp_code() {
    oathtool --totp -b "$sasl_totp_key"
}

# sasl_scram_verify PASSWORD VALUE: true when the RFC 5803 authPassword
# VALUE (SCRAM-SHA-1 or SCRAM-SHA-256) was made from PASSWORD, checked
# with Python's hashlib and hmac (RFC 5802), independently of sasldir.
sasl_scram_verify() {
    "${PYTHON:-/usr/bin/python3}" -c '
import base64, hashlib, hmac, sys
password, value = sys.argv[1].encode(), sys.argv[2]
mech, left, right = value.split("$")
algo = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}[mech]
iterations, salt = left.split(":")
stored, server = (base64.b64decode(k) for k in right.split(":"))
salted = hashlib.pbkdf2_hmac(algo, password, base64.b64decode(salt),
                             int(iterations))
client_key = hmac.new(salted, b"Client Key", algo).digest()
ok = (hmac.compare_digest(hashlib.new(algo, client_key).digest(), stored)
      and hmac.compare_digest(hmac.new(salted, b"Server Key", algo).digest(),
                              server))
sys.exit(0 if ok else 1)' "$1" "$2"
}
