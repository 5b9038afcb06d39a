# stage-lib.sh - copies of this build's programs and plugins for the
# processes a test runs as another user (sourced after tests/tap.sh).
#
# Tests running as root start some programs as nobody, cyrus or a
# stranger uid (a daemon's dropped privileges, a control-socket client
# that must be refused, Cyrus imapd loading the SASL plugins).  Those
# users must be able to reach what they execute and load, but the build
# tree may sit where only root can: a checkout under /root (mode 700) is
# the common case.  So the tests never hand another user a path into the
# build tree: stage_build copies the sasldir tool, libsasldir and the two
# SASL plugins into $tap_tmp/stage, which every user may read, and sets
#
#   STAGED_SASLDIR  a sasldir any user can run (a script that puts the
#                   staged libsasldir first on LD_LIBRARY_PATH);
#   STAGED_PLUGINS  a directory holding only sasldir's two SASL plugins;
#   STAGED_LIB      the directory of the staged libsasldir.so.0, for the
#                   LD_LIBRARY_PATH of a daemon that loads the plugins
#                   (their RUNPATH names the build tree).
#
# The copies are this build's own files, byte for byte; nothing is
# rebuilt.  The scratch directory $tap_tmp is made traversable (0755) so
# the stage can be reached; what the tests keep private in it has modes
# of its own.

stage_build() {
    stage=$tap_tmp/stage
    [ -d "$stage" ] && return 0
    mkdir -p "$stage/bin" "$stage/lib" "$stage/plugins"
    lib=$top_builddir/common/.libs
    tool=$top_builddir/tools/.libs/sasldir
    for f in "$lib/libsasldir.so.0" "$tool" \
             "$top_builddir/auxprop/.libs/libsasldir_auxprop.so" \
             "$top_builddir/plugin/.libs/libsasldir_server.so"; do
        [ -f "$f" ] || { echo "Bail out! $f was not built"; exit 1; }
    done
    # cp -L: libsasldir.so.0 is a symbolic link to the versioned file.
    cp -L "$lib/libsasldir.so.0" "$stage/lib/"
    cp "$tool" "$stage/bin/sasldir.bin"
    cp "$top_builddir/auxprop/.libs/libsasldir_auxprop.so" \
       "$top_builddir/plugin/.libs/libsasldir_server.so" "$stage/plugins/"
    cat >"$stage/bin/sasldir" <<EOF
#!/bin/sh
LD_LIBRARY_PATH=$stage/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
exec $stage/bin/sasldir.bin "\$@"
EOF
    chmod 755 "$tap_tmp" "$stage" "$stage/bin" "$stage/lib" \
        "$stage/plugins" "$stage/bin/sasldir" "$stage/bin/sasldir.bin"
    chmod 644 "$stage/lib/libsasldir.so.0" "$stage/plugins/"*.so
    STAGED_SASLDIR=$stage/bin/sasldir
    STAGED_PLUGINS=$stage/plugins
    STAGED_LIB=$stage/lib
}
