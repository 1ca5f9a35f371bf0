# shellcheck shell=bash
# Helpers shared by bench/run.sh and bench/cluster.sh (sourced, not run): loopback ports, and
# the process limits and cores a run uses.
# shellcheck disable=SC2034 # fds, cores and the pin_* arrays are for the script that sources this

port_taken=" "
free_port() { # a loopback port nothing listens on, never the same twice in one run
    local p
    for _ in $(seq 200); do
        p=$(( 20000 + RANDOM % 12000 ))
        [[ $port_taken == *" $p "* ]] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            port_taken+="$p "
            echo "$p"
            return 0
        fi
    done
    echo "$0: no free loopback port found" >&2
    return 1
}

wait_http() { # $1: URL; $2: pid that must stay alive; up to 20 s
    for _ in $(seq 200); do
        kill -0 "$2" 2>/dev/null || return 1
        curl -sf -m 1 "$1" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

raise_fds_and_pin() { # sets fds (raised to the hard limit), cores, pin_server and pin_bench
    local hard
    hard=$(ulimit -Hn)
    [ "$hard" = unlimited ] && hard=1048576
    ulimit -n "$hard" 2>/dev/null || true
    fds=$(ulimit -n)
    cores=$(nproc)
    # The daemons on core 0, the load (sse-bench) and Redis on core 1; nothing to pin on one.
    if (( cores >= 2 )); then
        pin_server=(taskset -c 0)
        pin_bench=(taskset -c 1)
    else
        pin_server=()
        pin_bench=()
    fi
}
