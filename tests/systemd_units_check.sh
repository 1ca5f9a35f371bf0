#!/usr/bin/env bash
# Checks the systemd units in config/ as systemd itself reads them: `systemd-analyze verify`
# must have nothing to say (an unknown or misspelt key is only a warning to systemd, and the
# unit then runs without it), and `systemd-analyze security` must rate each unit's exposure
# at most 1.1 (1.5 is the bar; 1.1 is what the units reach, so a lost directive shows). The
# template is checked through an instance, as systemd would start it.
# Usage: systemd_units_check.sh <config dir> <sse-server binary>; exit 77 (skipped) when
# systemd-analyze is not installed.
set -euo pipefail
config_dir=$1
daemon=$(realpath "$2")
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not installed"; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for unit in "$config_dir"/*.service; do
    name=$(basename "$unit")
    failed=0
    # verify insists that ExecStart= names an existing executable: point it at the one built.
    sed "s#^ExecStart=/usr/local/bin/sse-server#ExecStart=$daemon#" "$unit" >"$work/$name"
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
    if [ $failed -eq 0 ]; then
        echo "$name: verified, $(grep -o 'exposure level.*' "$work/security.txt")"
    else
        status=1
    fi
done
exit $status
