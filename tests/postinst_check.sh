#!/usr/bin/env bash
# Runs the package's postinst as dpkg does on an upgrade ("configure <old version>"), on a host
# where systemd runs three template instances, with stand-ins for systemctl (it records every
# call and lists the instances) and getent (the user exists). Checks that the instances are
# restarted one per systemctl call, in order: `systemctl try-restart` of a Type=notify unit
# returns once that daemon is ready, so one call per instance is what keeps the others serving
# meanwhile. One that fails to restart stops the round, the package still configures, and a
# first install ("configure" without an old version) restarts nothing.
# Usage: postinst_check.sh <packaging/debian dir>
set -euo pipefail
debian_dir=$1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" "$work/run-systemd-system"
cat >"$work/bin/systemctl" <<'STANDIN'
#!/bin/sh
echo "$*" >>"$CALLS"
case "$1" in
list-units)
    for unit in sse-server@9101.service sse-server@9102.service sse-server@9103.service; do
        echo "$unit loaded active running sse-server instance"
    done
    ;;
try-restart | restart)
    [ "$2" != "$FAILING" ] || exit 1
    ;;
esac
exit 0
STANDIN
printf '#!/bin/sh\nexit 0\n' >"$work/bin/getent"
chmod +x "$work/bin/systemctl" "$work/bin/getent"
# "Is systemd running?" asks for /run/systemd/system: here, a directory of the test's own.
sed "s#/run/systemd/system#$work/run-systemd-system#g" "$debian_dir/postinst" >"$work/postinst"

status=0
# Runs the postinst with `args`; prints the systemctl calls that restart something.
restarts() {
    : >"$work/calls"
    if ! CALLS="$work/calls" FAILING="${FAILING:-}" PATH="$work/bin:$PATH" \
        sh "$work/postinst" "$@" 2>"$work/stderr"; then
        echo "postinst $* failed:" >&2
        cat "$work/stderr" >&2
        return 1
    fi
    grep -E '^(try-)?restart' "$work/calls" || true
}

expected=$(printf 'try-restart %s\n' sse-server@9101.service sse-server@9102.service \
    sse-server@9103.service)
actual=$(restarts configure 0.0.9)
if [ "$actual" != "$expected" ]; then
    echo "upgrade: the instances are not restarted one per call, in order; calls:" >&2
    cat "$work/calls" >&2
    status=1
fi

actual=$(FAILING=sse-server@9102.service restarts configure 0.0.9)
if [ "$actual" != "$(echo "$expected" | head -n 2)" ] ||
   ! grep -q 'sse-server@9102.service did not restart' "$work/stderr"; then
    echo "upgrade with an instance that fails: the round went on, or said nothing; calls:" >&2
    cat "$work/calls" "$work/stderr" >&2
    status=1
fi

actual=$(restarts configure)
if [ -n "$actual" ]; then
    echo "first install: something was restarted: $actual" >&2
    status=1
fi

[ $status -ne 0 ] || echo "postinst: an upgrade restarts the instances one at a time"
exit $status
