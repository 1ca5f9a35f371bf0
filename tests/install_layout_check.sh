#!/usr/bin/env bash
# Installs the build as the Debian package does (prefix /usr) and as `cmake --install` does by
# default (prefix /usr/local), each into an empty directory through DESTDIR, and checks that
# exactly the daemon, its configuration, the systemd units and the sysusers.d entry land
# there, and that what each unit starts (ExecStart=, --config) is a file that was installed,
# and the binary it runs (ExecStart=, ExecReload=) is that one.
# Usage: install_layout_check.sh <cmake> <build dir>
set -euo pipefail
cmake=$1
build=$2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

check_prefix() {
    local prefix=$1 unit_dir=$2
    local root="$work/root${prefix//\//_}"
    DESTDIR="$root" "$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 || {
        cat "$work/install.log" >&2
        return 1
    }
    local expected actual
    expected=$(printf '%s\n' \
        "${prefix#/}/bin/sse-server" \
        "etc/sse-server/sse-server.toml" \
        "${unit_dir#/}/sse-server.service" \
        "${unit_dir#/}/sse-server@.service" \
        "${prefix#/}/lib/sysusers.d/sse-server.conf" | sort)
    actual=$(cd "$root" && find . -type f -o -type l | sed 's#^\./##' | sort)
    if [ "$expected" != "$actual" ]; then
        echo "prefix $prefix: installed files differ from the expected ones (-expected +installed):" >&2
        diff <(echo "$expected") <(echo "$actual") >&2 || true
        return 1
    fi
    local unit exec config
    for unit in "$root$unit_dir"/*.service; do
        exec=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
        config=$(sed -n 's/^ExecStart=.*--config \([^ ]*\).*/\1/p' "$unit")
        if [ "$exec" != "$prefix/bin/sse-server" ] || [ ! -x "$root$exec" ]; then
            echo "prefix $prefix: $(basename "$unit") starts '$exec', not the installed binary" >&2
            return 1
        fi
        if [ -z "$config" ] || [ ! -f "$root$config" ]; then
            echo "prefix $prefix: $(basename "$unit") reads '$config', which was not installed" >&2
            return 1
        fi
        # ExecReload= checks the configuration with the same binary before it signals.
        local binaries
        binaries=$(grep -oE "[^ '=]+/sse-server( |$)" "$unit" | sed 's/ $//' | sort -u)
        if [ "$binaries" != "$prefix/bin/sse-server" ]; then
            echo "prefix $prefix: $(basename "$unit") runs $(echo $binaries), not only" \
                 "the installed binary" >&2
            return 1
        fi
    done
    if ! grep -q '^User=sse-server$' "$root$unit_dir"/sse-server.service ||
       ! grep -q '^u sse-server ' "$root$prefix/lib/sysusers.d/sse-server.conf"; then
        echo "prefix $prefix: the unit's user is not the one sysusers.d creates" >&2
        return 1
    fi
    echo "prefix $prefix: installs exactly what the units start and read"
}

# Debian 12's packages keep their units under /lib/systemd/system.
check_prefix /usr /lib/systemd/system || status=1
check_prefix /usr/local /usr/local/lib/systemd/system || status=1
exit $status
