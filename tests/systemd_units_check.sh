#!/usr/bin/env bash
# Checks the systemd units in config/ as systemd itself reads them: `systemd-analyze verify`
# must have nothing to say (an unknown or misspelt key is only a warning to systemd, and the
# unit then runs without it), and `systemd-analyze security` must rate each unit's exposure
# at most 1.1 (1.5 is the bar; 1.1 is what the units reach, so a lost directive shows). The
# template is checked through an instance, as systemd would start it. Besides:
# - restarts: a daemon that fails at once, again and again, is restarted for ever, never left
#   failed by the start limit (StartLimitIntervalSec=0, or more starts allowed per interval
#   than RestartSec= lets happen);
# - reload: the ExecReload= command line, run as systemd runs it (the unit's Environment=,
#   $MAINPID), signals the daemon after a valid configuration and fails without signalling it
#   after an invalid one, so that `systemctl reload` reports the refusal.
# Usage: systemd_units_check.sh <config dir> <sse-server binary>; exit 77 (skipped) when
# systemd-analyze is not installed.
set -euo pipefail
config_dir=$1
daemon=$(realpath "$2")
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not installed"; exit 77; }

work=$(mktemp -d)
target=
trap 'rm -rf "$work"; [ -z "$target" ] || kill "$target" 2>/dev/null || true' EXIT
status=0

# "2s", "1min", "90" (seconds), "500ms" -> milliseconds.
to_ms() {
    local value=$1
    case $value in
    *ms) echo $((${value%ms})) ;;
    *min) echo $((${value%min} * 60000)) ;;
    *s) echo $((${value%s} * 1000)) ;;
    *) echo $((value * 1000)) ;;
    esac
}

# The last value of a key in the unit, or the given default.
unit_value() {
    local value
    value=$(sed -n "s/^$2=//p" "$1" | tail -n 1)
    echo "${value:-$3}"
}

check_restarts() {
    local unit=$1 restart interval burst delay
    restart=$(unit_value "$unit" Restart no)
    interval=$(to_ms "$(unit_value "$unit" StartLimitIntervalSec 10s)")
    burst=$(unit_value "$unit" StartLimitBurst 5)
    delay=$(to_ms "$(unit_value "$unit" RestartSec 100ms)")
    if [ "$restart" != on-failure ] && [ "$restart" != always ]; then
        echo "Restart=$restart: a daemon that crashes stays down" >&2
        return 1
    fi
    # A daemon that fails the moment it starts is started every RestartSec=: that many starts
    # fit in one StartLimitIntervalSec=, plus the first.
    if [ "$interval" -ne 0 ] && [ $((interval / delay + 1)) -ge "$burst" ]; then
        echo "restarted every ${delay} ms, it reaches StartLimitBurst=$burst within" \
             "StartLimitIntervalSec= (${interval} ms) and then stays failed" >&2
        return 1
    fi
}

# Runs the unit's ExecReload= as systemd would, against `config`, with a stand-in daemon as
# $MAINPID (a sleep, which SIGHUP ends). Prints "signalled" or "not signalled", and the
# command's exit status.
run_reload() {
    local unit=$1 config=$2 line
    line=$(sed -n 's/^ExecReload=//p' "$unit" |
        sed "s#/etc/sse-server/sse-server.toml#$config#g")
    local -a command environment=()
    eval "command=($line)"
    while IFS= read -r assignment; do
        environment+=("${assignment//%i/9101}")
    done < <(sed -n 's/^Environment=//p' "$unit")
    sleep 300 &
    target=$!
    local result=0
    env -i PATH="$PATH" "${environment[@]}" MAINPID="$target" "${command[@]}" \
        >"$work/reload.out" 2>&1 || result=$?
    # A SIGHUP ends the sleep at once; one not signalled is still there when killed here.
    kill -TERM "$target" 2>/dev/null || true
    local ended=0
    wait "$target" || ended=$?
    target=
    if [ "$ended" -eq $((128 + 1)) ]; then
        echo "signalled $result"
    else
        echo "not signalled $result"
    fi
}

check_reload() {
    local unit=$1
    cp "$config_dir/sse-server.toml" "$work/good.toml"
    printf '[client]\nheartbeat = 15\n' >"$work/bad.toml"
    local outcome
    outcome=$(run_reload "$unit" "$work/good.toml")
    if [ "$outcome" != "signalled 0" ]; then
        echo "ExecReload= with a valid configuration: $outcome (want: signalled 0)" >&2
        cat "$work/reload.out" >&2
        return 1
    fi
    outcome=$(run_reload "$unit" "$work/bad.toml")
    if [ "${outcome% *}" != "not signalled" ] || [ "${outcome##* }" -eq 0 ]; then
        echo "ExecReload= with an invalid configuration: $outcome (want: not signalled," \
             "a failure)" >&2
        return 1
    fi
    if ! grep -q 'client.heartbeat' "$work/reload.out"; then
        echo "ExecReload= refused the configuration without saying why:" >&2
        cat "$work/reload.out" >&2
        return 1
    fi
}
for unit in "$config_dir"/*.service; do
    name=$(basename "$unit")
    failed=0
    # verify insists that ExecStart= names an existing executable: point it at the one built.
    sed "s#/usr/local/bin/sse-server#$daemon#g" "$unit" >"$work/$name"
    instance=${name/@.service/@9101.service}
    report=$(cd "$work" && systemd-analyze verify --man=no "./$instance" 2>&1) || true
    if [ -n "$report" ]; then
        echo "$name: systemd-analyze verify reports:" >&2
        echo "$report" >&2
        failed=1
    fi
    # The threshold is the exposure level times ten.
    if ! (cd "$work" && systemd-analyze security --offline=true --threshold=11 "./$instance" \
              >"$work/security.txt" 2>&1); then
        echo "$name: exposure above 1.1:" >&2
        grep -E '✗|Overall' "$work/security.txt" >&2 || cat "$work/security.txt" >&2
        failed=1
    fi
    if ! check_restarts "$work/$name"; then
        echo "$name: restarts end in a failed unit" >&2
        failed=1
    fi
    if ! check_reload "$work/$name"; then
        echo "$name: systemctl reload would not report a refused configuration" >&2
        failed=1
    fi
    if [ $failed -eq 0 ]; then
        echo "$name: verified, restarted for ever, reload checks the configuration first," \
             "$(grep -o 'exposure level.*' "$work/security.txt")"
    else
        status=1
    fi
done
exit $status
