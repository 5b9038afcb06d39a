# sasl-daemons-lib.sh - throw-away Postfix and Cyrus IMAP instances for
# the tests of the SASL plugins in real daemons (sourced after
# tests/tap.sh).  Each daemon lives in the scratch directory of
# sql-lib.sh (configuration, queue, data, spool), listens on a free
# loopback port, loads this build's plugins through SASL_PATH and is
# stopped by the EXIT trap, also when a test fails.  Nothing of the
# system's own Postfix or Cyrus IMAP (/etc/postfix, /var/spool/postfix,
# /etc/imapd.conf, /var/lib/cyrus) is read or written; both may be
# running or not.
#
# Both daemons must be started as root (CI runs as root): Postfix's
# master and Cyrus's master drop to their own users, postfix and cyrus,
# which therefore must be able to read every file made here.
#
# Environment: top_srcdir, top_builddir (set by the harness).

# The scratch directory, the stopper list, skip_all, free_port and
# sample_config come from the SQL test library.
. "$top_srcdir/tests/integration/sql-lib.sh"
work=$sql_dir

need_root() {
    [ "$(id -u)" -eq 0 ] || skip_all "$1 must be started as root (CI runs as root)"
}

# --- the plugins ------------------------------------------------------
# BUILD_PLUGINS, STOCK_PLUGINS and sasl_asan_runtime come from the SASL
# plugin tests' library.  It exports SASL_PATH and SASL_CONF_PATH for
# the programs it runs; here only the daemons get a SASL_PATH, given
# explicitly, so that saslpasswd2 (the sasldb control) sees only the
# stock plugins.
. "$top_srcdir/tests/sasl-lib.sh"
unset SASL_PATH SASL_CONF_PATH

# SASL_PATH for the daemons: this build's two plugins first, then the
# stock ones, so sasldir's PLAIN and LOGIN must win over libplain and
# liblogin loaded beside them (the hashed secrets below fail with the
# stock mechanisms).  Sets $sasl_path, and $sasl_path_staged for daemons
# that load the plugins as another user.
. "$top_srcdir/tests/integration/stage-lib.sh"
need_plugins() {
    for so in "$top_builddir/auxprop/.libs/libsasldir_auxprop.so" \
              "$top_builddir/plugin/.libs/libsasldir_server.so"; do
        [ -f "$so" ] || { echo "Bail out! $so was not built"; exit 1; }
    done
    # A daemon built without AddressSanitizer cannot load plugins built
    # with it unless the ASan runtime is preloaded into every process the
    # daemon's master starts; these tests do not attempt that.
    [ -z "$sasl_asan_runtime" ] \
        || skip_all "sanitizer build: the plugins cannot be loaded into daemons built without ASan"
    [ -e "$STOCK_PLUGINS/libsasldb.so" ] \
        || skip_all "the stock sasldb plugin (libsasl2-modules-db) is not installed"
    sasl_path=$BUILD_PLUGINS:$STOCK_PLUGINS
    # For a daemon that loads the plugins as another user (Cyrus imapd
    # runs as cyrus): copies outside the build tree, which that user may
    # not reach (stage-lib.sh), with the staged libsasldir for
    # cyrus_service to put on LD_LIBRARY_PATH.
    stage_build
    sasl_path_staged=$STAGED_PLUGINS:$STOCK_PLUGINS
}

# write_users FILE PASSWORD: a sasldir configuration with one memory
# directory holding one user per family of tests/sasl-lib.sh's
# $sasl_families (the user is named after it), whose secret is PASSWORD
# hashed by an independent tool (sasl_make_secrets), the user
# "slappasswd" with slappasswd's {SSHA512} of it, and the user "plain"
# holding PASSWORD as {PLAIN}.  Sets $users_list.
write_users() {
    for tool in $sasl_secret_tools; do
        command -v "$tool" >/dev/null 2>&1 || skip_all "$tool is not installed"
    done
    sasl_make_secrets "$2"
    # And {SSHA512} once more, by OpenLDAP's slappasswd.
    command -v slappasswd >/dev/null 2>&1 || skip_all "slappasswd is not installed"
    h_slappasswd=$(slappasswd -o module-load=pw-sha2 -h '{SSHA512}' -s "$2")
    h_plain="{PLAIN}$2"
    users_list="$sasl_families slappasswd plain"
    {
        printf '[storage]\ndirectory = "users"\n\n'
        printf '[directory."users"]\ntype = "memory"\n'
        for user in $users_list; do
            eval "secret=\$h_$user"
            printf '\n[[directory."users".principals]]\nname = "%s"\nsecret = "%s"\n' \
                "$user" "$secret"
        done
    } >"$1"
    "$SASLDIR" -c "$1" check-config >/dev/null
}

# The scheme of each user's secret and the tool that made it.
scheme_of() {
    case $1 in
        argon2) echo 'argon2id (argon2)' ;;
        bcrypt) echo 'bcrypt (htpasswd -B)' ;;
        sha512) echo '$6$ (mkpasswd)' ;;
        yescrypt) echo '$y$ (mkpasswd)' ;;
        md5) echo '$1$ (mkpasswd)' ;;
        ssha512) echo '{SSHA512} (doveadm pw)' ;;
        slappasswd) echo '{SSHA512} (slappasswd)' ;;
        pbkdf2) echo '$pbkdf2-sha256$ (hashlib)' ;;
        plain) echo '{PLAIN}' ;;
        *) echo "$1" ;;
    esac
}

# write_down FILE: the sample PostgreSQL (else MariaDB) sql directory
# with its server's port a closed loopback port, so every query meets a
# refused connection.  Fails when sasldir was built with neither.
write_down() {
    for engine in postgresql mysql; do
        sample_port=$(sed -n 's/^port = \([0-9]*\)$/\1/p' "$top_srcdir/conf/sql/$engine.toml")
        sample_config "$engine" "$1" -e "s/^port = $sample_port\$/port = 1/"
        grep -q '^port = 1$' "$1" || { echo "Bail out! no port in conf/sql/$engine.toml"; exit 1; }
        if ! "$SASLDIR" -c "$1" check-config 2>&1 | grep -q 'built without'; then
            return 0
        fi
    done
    return 1
}

# wait_port PORT: until something accepts on 127.0.0.1:PORT (10 s).
wait_port() {
    python3 - "$1" <<'EOT'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOT
}

# --- Postfix ----------------------------------------------------------
# An instance lives in DIR: DIR/conf is its config_directory (the SASL
# application files in DIR/conf/sasl), DIR/queue its queue_directory,
# DIR/data its data_directory, DIR/maillog its log (maillog_file, through
# postlogd: no syslog is needed).  Every service runs with chroot off.
# The smtpd services are added with postfix_smtpd before postfix_start.
#
# SASL_PATH must reach smtpd through import_environment in main.cf: a
# daemon applies import_environment before it reads its own -o options
# (seen with Postfix 3.7), so "-o import_environment=..." in master.cf
# does nothing.  One SASL_PATH per instance, then.
pf_instances=""

# What Postfix needs here, else the whole test is skipped.
postfix_need() {
    need_root "Postfix"
    for tool in postfix postconf swaks; do
        command -v "$tool" >/dev/null 2>&1 || skip_all "$tool is not installed"
    done
    getent passwd postfix >/dev/null && getent group postdrop >/dev/null \
        || skip_all "the postfix user or the postdrop group is missing"
}

# postfix_init DIR [SASL_PATH]: a new instance in DIR (see above).
postfix_init() {
    postfix_need
    dir=$1
    mkdir -p "$dir/conf/sasl" "$dir/queue" "$dir/data"
    chown postfix "$dir/data"
    environment="MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME"
    [ -z "${2:-}" ] || environment="$environment SASL_PATH=$2"
    # Debian's Postfix reads the SASL application configuration from
    # $config_directory/sasl (a callback its 07_sasl_config patch adds,
    # which wins over cyrus_sasl_config_path); upstream Postfix reads
    # cyrus_sasl_config_path.  Both name the same directory here.
    cat >"$dir/conf/main.cf" <<EOT
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = sasldir-test.localdomain
mydomain = localdomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
smtpd_tls_security_level = none
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $dir/conf/sasl
# Postfix passes its daemons only the environment named here.
import_environment = $environment
EOT
    # The services smtpd needs, none chrooted (the build tree and the
    # scratch directory are outside any chroot).
    cat >"$dir/conf/master.cf" <<'EOT'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
proxymap  unix  -       -       n       -       -       proxymap
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOT
}

# postfix_smtpd DIR APP: one more smtpd of the instance in DIR on a free
# loopback port, whose SASL application name is APP (its configuration
# is DIR/conf/sasl/APP.conf).  Prints the port.
postfix_smtpd() {
    port=$(free_port)
    printf '127.0.0.1:%s inet n - n - - smtpd -o smtpd_sasl_path=%s\n' \
        "$port" "$2" >>"$1/conf/master.cf"
    echo "$port"
}

# Stops every instance started, each by its master's pid.
postfix_stop_all() {
    for dir in $pf_instances; do
        pid=$(tr -d ' ' <"$dir/queue/pid/master.pid" 2>/dev/null) || pid=
        postfix -c "$dir/conf" stop >/dev/null 2>&1 || true
        [ -n "$pid" ] || continue
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "$pid" 2>/dev/null || true
    done
}

postfix_start() {
    dir=$1
    chmod -R a+rX "$work"
    # "postfix check" creates the queue's subdirectories with the owners
    # and modes Postfix wants; it exits non-zero on a fatal problem.
    if ! postfix -c "$dir/conf" check >"$dir/check.log" 2>&1; then
        echo "Bail out! postfix -c $dir/conf check failed: $(cat "$dir/check.log" "$dir/maillog" 2>/dev/null)"
        exit 1
    fi
    [ -n "$pf_instances" ] || sql_stoppers="$sql_stoppers postfix_stop_all"
    pf_instances="$pf_instances $dir"
    # "start" returns once master has bound its sockets (master -w).
    if ! postfix -c "$dir/conf" start >"$dir/start.log" 2>&1; then
        echo "Bail out! postfix -c $dir/conf start failed: $(cat "$dir/start.log" "$dir/maillog" 2>/dev/null)"
        exit 1
    fi
}

# smtp_auth PORT MECH USER PASSWORD: one SMTP AUTH exchange with swaks;
# the dialogue in $tap_out, swaks's status in $status.
smtp_auth() {
    run "" swaks --server "127.0.0.1:$1" --auth "$2" --auth-user "$3" \
        --auth-password "$4" --ehlo client.localdomain --quit-after AUTH \
        --timeout 30
}

# --- Cyrus IMAP -------------------------------------------------------
# One master (cyrus's service manager) in the foreground, with its own
# imapd.conf ($cy_dir/imapd.conf: configdirectory, partition and every
# socket and lock path inside $cy_dir) and cyrus.conf.  Every service
# command carries "-C": Cyrus's master does not pass its own -C on, and a
# service without it would use the system's /etc/imapd.conf.
cy_dir=$work/cyrus

cyrus_bin() {
    for dir in /usr/lib/cyrus/bin /usr/libexec/cyrus-imapd /usr/lib/cyrus-imapd; do
        [ -x "$dir/$1" ] && { echo "$dir/$1"; return 0; }
    done
    command -v "$1"
}

cyrus_init() {
    need_root "Cyrus IMAP's master"
    cy_master=$(cyrus_bin master) || skip_all "cyrus-imapd (master) is not installed"
    cy_imapd=$(cyrus_bin imapd) || skip_all "cyrus-imapd (imapd) is not installed"
    cy_imtest=$(cyrus_bin imtest) || skip_all "cyrus-clients (imtest) is not installed"
    getent passwd cyrus >/dev/null || skip_all "the cyrus user is missing"
    mkdir -p "$cy_dir/config" "$cy_dir/spool" "$cy_dir/run/proc" \
        "$cy_dir/run/lock" "$cy_dir/socket"
    cat >"$cy_dir/imapd.conf" <<EOT
configdirectory: $cy_dir/config
defaultpartition: default
partition-default: $cy_dir/spool
proc_path: $cy_dir/run/proc
mboxname_lockpath: $cy_dir/run/lock
lmtpsocket: $cy_dir/socket/lmtp
idlesocket: $cy_dir/socket/idle
notifysocket: $cy_dir/socket/notify
syslog_prefix: sasldir-test
allowplaintext: yes
EOT
    # A marker to prove afterwards that the system's Cyrus was not touched.
    touch "$cy_dir/started"
}

# cyrus_service NAME CONF [SASL_PATH]: one more imapd service reading
# CONF, on a free loopback port, with SASL_PATH in its environment when
# given (through env(1) in its command: Cyrus's master passes its own
# environment to every service), and then LD_LIBRARY_PATH on the staged
# libsasldir (the staged plugins' RUNPATH names the build tree, which
# imapd, running as cyrus, may not reach).  NAME is letters and digits
# only (cyrus.conf refuses anything else).  Prints the port.
cyrus_service() {
    port=$(free_port)
    command="$cy_imapd -C $2"
    [ -z "${3:-}" ] || command="$(command -v env) SASL_PATH=$3 LD_LIBRARY_PATH=$STAGED_LIB $command"
    printf '  %s cmd="%s" listen="127.0.0.1:%s" prefork=0 maxchild=10\n' \
        "$1" "$command" "$port" >>"$cy_dir/services"
    echo "$port"
}

cyrus_stop() {
    [ -n "${cy_pid:-}" ] || return 0
    kill "$cy_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$cy_pid" 2>/dev/null || return 0
        sleep 0.2
    done
    kill -9 "$cy_pid" 2>/dev/null || true
}

# cyrus_start: the master; waits for every port in PORTS.
cyrus_start() {
    {
        echo 'START {'
        echo "  recover cmd=\"$(cyrus_bin ctl_cyrusdb) -C $cy_dir/imapd.conf -r\""
        echo '}'
        echo 'SERVICES {'
        cat "$cy_dir/services"
        echo '}'
        echo 'EVENTS {'
        echo '}'
    } >"$cy_dir/cyrus.conf"
    chown -R cyrus "$cy_dir/config" "$cy_dir/spool" "$cy_dir/run" "$cy_dir/socket"
    chmod -R a+rX "$work"
    "$cy_master" -D -C "$cy_dir/imapd.conf" -M "$cy_dir/cyrus.conf" \
        -p "$cy_dir/master.pid" -L "$cy_dir/master.log" </dev/null &
    cy_pid=$!
    sql_stoppers="$sql_stoppers cyrus_stop"
    for listening in $PORTS; do
        wait_port "$listening" || {
            kill -0 "$cy_pid" 2>/dev/null || echo "# Cyrus master exited (it logs to syslog only)"
            echo "Bail out! Cyrus master is not listening on 127.0.0.1:$listening: $(cat "$cy_dir/master.log" 2>/dev/null)"
            exit 1
        }
    done
}

# imap_auth PORT MECH USER PASSWORD: imtest logs in and out at once; the
# dialogue in $tap_out.  imtest's exit status does not tell whether the
# login succeeded, its output does ("Authenticated." or "Authentication
# failed").  MECH "login" is the IMAP LOGIN command, not AUTHENTICATE.
imap_auth() {
    run "" "$cy_imtest" -a "$3" -w "$4" -m "$2" -p "$1" 127.0.0.1
}
