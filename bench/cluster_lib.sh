# Processes of bench/cluster.sh: the build, Redis, several daemons, several sse-bench
# processes, all stopped on exit. Sourced, not run.
# shellcheck shell=bash disable=SC2034,SC2154 # the variables are used by the script that
# sources this; cores, fds, pin_*, redis_port and daemon_redis_env come from bench/loopback.sh
# and bench/redis_access.sh, which it sources first

bus_key=${SSE_SERVER_CLUSTER_STREAM:-sse:events}
redis_pid=
bench_pid=
sampler_pid=
d_pid=() d_clients=() d_notify=() d_log=() # the daemons of the current run, daemon 0 first
r_pid=()                                   # the receiving sse-bench processes, one per daemon
scenario_env=()                            # settings of the scenario being run (sse_env[])
daemons_note=

# Builds, creates the output, raises the descriptor limit, pins, starts Redis. With
# SSE_BENCH_GENERATOR (an sse-bench binary) and SSE_BENCH_DAEMON both set, as the test suite
# does, it installs and builds nothing: SSE_BENCH_BUILD_DIR then only holds the output and logs.
prepare() { # $1: the JSON lines' file name in the build directory
    build=${SSE_BENCH_BUILD_DIR:-build/bench}
    if [ -n "${SSE_BENCH_GENERATOR:-}" ]; then
        if [ -z "${SSE_BENCH_DAEMON:-}" ] || ! command -v jq >/dev/null; then
            echo "$0: SSE_BENCH_GENERATOR needs SSE_BENCH_DAEMON and jq" >&2
            exit 2
        fi
        mkdir -p "$build"
        build_kind="the binaries given"
    else
        scripts/setup-deps
        if ! command -v jq >/dev/null; then
            local sudo=()
            [ "$(id -u)" -ne 0 ] && sudo=(sudo)
            "${sudo[@]}" apt-get update -qq
            DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends jq
        fi
        cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSSE_SERVER_BUILD_TESTS=OFF >/dev/null
        cmake --build "$build" -j"$(nproc)" --target sse-server sse-bench >/dev/null
        build_kind=Release
    fi
    build=$(cd "$build" && pwd)
    out=${SSE_BENCH_OUT:-$build/$1}
    daemon_bin=${SSE_BENCH_DAEMON:-$build/sse-server}
    bench_bin=${SSE_BENCH_GENERATOR:-$build/bench/sse-bench}
    logs=$build/cluster-logs
    rm -rf "$logs"
    mkdir -p "$logs"
    : >"$out"

    raise_fds_and_pin
    pinning="every daemon on core 0; every sse-bench and redis-server on core 1"
    (( cores >= 2 )) || pinning="one core: no pinning"

    trap cleanup EXIT
    trap 'exit 130' INT TERM
    start_bench_redis "$logs"
}

# shellcheck disable=SC2317 # reached through the trap
cleanup() {
    set +e # stop everything, even when one of them already failed
    local pid
    for pid in "$sampler_pid" "$bench_pid" "${r_pid[@]}" "${d_pid[@]}" "$redis_pid"; do
        [ -n "$pid" ] || continue
        kill -TERM "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    return 0
}


# The bus starts empty for every run, so that one run's entries cannot weigh on the next.
reset_bus() {
    redis-cli -p "$redis_port" DEL "$bus_key" >/dev/null
}

# Starts one more daemon on ports of its own, with the settings in scenario_env, ready (in cluster mode: its reading position on
# the bus fixed); appends it to d_pid, d_clients, d_notify, d_log.
start_daemon() { # $1: standalone|redis; $2: binary; $3: log file
    local attempt clients notify pid
    for attempt in 1 2 3; do
        clients=$(free_port)
        notify=$(free_port)
        SSE_SERVER_LISTEN_CLIENTS=127.0.0.1:$clients \
        SSE_SERVER_LISTEN_NOTIFY=127.0.0.1:$notify \
        SSE_SERVER_CLUSTER_MODE=$1 \
        SSE_SERVER_LOG_LEVEL=info \
            env "${daemon_redis_env[@]}" "${scenario_env[@]}" "${pin_server[@]}" "$2" >>"$3" 2>&1 &
        pid=$!
        d_pid+=("$pid") d_clients+=("$clients") d_notify+=("$notify") d_log+=("$3")
        wait_http "http://127.0.0.1:$notify/readyz" "$pid" && return 0
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        unset 'd_pid[-1]' 'd_clients[-1]' 'd_notify[-1]' 'd_log[-1]'
        echo "   (sse-server did not start on attempt $attempt, see $3)"
    done
    return 1
}

# Stops every daemon; daemons_note says which did not live to our SIGTERM or did not exit 0.
start_cluster() { # $1: how many daemons in cluster mode; $2: binary; $3: log name prefix
    local i
    for (( i = 0; i < $1; i++ )); do
        if ! start_daemon redis "$2" "$logs/$3-daemon$i.log"; then
            echo "   daemon $i did not start"
            stop_daemons
            return 1
        fi
    done
}

stop_daemons() {
    local i status
    daemons_note=
    for i in "${!d_pid[@]}"; do
        status=0
        if ! kill -0 "${d_pid[$i]}" 2>/dev/null; then
            wait "${d_pid[$i]}" || status=$?
            daemons_note+="daemon $i died during the run (exit status $status); "
        elif grep -q 'received: stopping' "${d_log[$i]}"; then
            wait "${d_pid[$i]}" || status=$?
            daemons_note+="daemon $i stopped by a signal this script did not send; "
        else
            kill -TERM "${d_pid[$i]}" || true
            wait "${d_pid[$i]}" || status=$?
            (( status == 0 )) || daemons_note+="daemon $i exited with status $status on SIGTERM; "
        fi
    done
    d_pid=() d_clients=() d_notify=() d_log=()
    return 0
}

# Runs sse-bench on the generator's core, waited for in the background so that Ctrl-C stops
# everything at once.
run_bench() { # $1: output file; the rest: sse-bench's options
    start_bench "$@"
    wait_bench
}

# Starts sse-bench on the generator's core in the background (bench_pid), for wait_bench.
start_bench() { # $1: output file; the rest: sse-bench's options
    local file=$1
    shift
    "${pin_bench[@]}" "$bench_bin" "$@" >"$file" 2>&1 &
    bench_pid=$!
}

wait_bench() {
    local status=0
    wait "$bench_pid" || status=$?
    bench_pid=
    return "$status"
}

# Starts a receiving sse-bench for daemon $2, in the background; it creates
# $logs/ready-<daemon> once its streams are open.
start_receiver() { # $1: output file; $2: daemon index; $3: duration cap, s; the rest: options
    local file=$1 k=$2 duration=$3
    shift 3
    rm -f "$logs/ready-$k"
    "${pin_bench[@]}" "$bench_bin" --receive-only --ready-file "$logs/ready-$k" \
        --clients "127.0.0.1:${d_clients[$k]}" --notify "127.0.0.1:${d_notify[$k]}" \
        --redis "127.0.0.1:$redis_port" --server-pid "${d_pid[$k]}" --duration "$duration" \
        "$@" >"$file" 2>&1 &
    r_pid+=("$!")
}

# Waits until receivers 0..$1-1 have their streams open; fails as soon as one has ended.
wait_ready() { # $1: how many
    wait_receiver_files ready "$1" 600 "its streams were open"
}

# Waits until each receiver k of 0..$2-1 has created $logs/$1-k, for $3 seconds at most;
# fails as soon as one of them has ended without it.
wait_receiver_files() { # $1: file prefix; $2: how many; $3: timeout, s; $4: what the file says
    local k all deadline=$(( SECONDS + $3 ))
    # By the clock: under load, 55 receivers' checks make each pass take far longer than 0.1 s.
    while (( SECONDS < deadline )); do
        all=1
        for (( k = 0; k < $2; k++ )); do
            [ -e "$logs/$1-$k" ] && continue
            all=0
            kill -0 "${r_pid[$k]}" 2>/dev/null || { echo "   receiver $k ended before $4"; return 1; }
        done
        (( all )) && return 0
        sleep 0.1
    done
    echo "   not every receiver saw that $4 within $3 s"
    return 1
}

# Posts through daemon 0 with a sending sse-bench of no streams; output in $logs/<label>.out.
post_through_first() { # $1: label; $2: duration cap, s; the rest: sse-bench's options
    start_posting_through_first "$@"
    wait_bench
}

# The same in the background, for wait_bench: something else happens while it posts.
start_posting_through_first() { # $1: label; $2: duration cap, s; the rest: sse-bench's options
    local label=$1 duration=$2
    shift 2
    start_bench "$logs/$label.out" --clients "127.0.0.1:${d_clients[0]}" \
        --notify "127.0.0.1:${d_notify[0]}" --connections 0 --duration "$duration" \
        --label "$label" "$@"
}

# The end of a scale run: stops receivers and daemons, records every output of the run
# ($logs/<prefix>-*.out) under the scenario, and says what went wrong.
end_scale_run() { # $1: scenario; $2: output prefix; $3: the run's status so far
    local f
    stop_receivers
    stop_daemons
    for f in "$logs/$2"-*.out; do
        [ -e "$f" ] && record "$f" "$1" redis "$daemons_note"
    done
    if (( $3 != 0 )) || [ -n "$daemons_note" ]; then
        failed=1
        echo "   !! ${daemons_note:-a process reported a problem}"
    fi
    return 0
}

# Waits for every receiver; fails when one of them did not check out.
wait_receivers() {
    local pid status=0
    for pid in "${r_pid[@]}"; do
        wait "$pid" || status=1
    done
    r_pid=()
    return "$status"
}

stop_receivers() {
    local pid
    for pid in "${r_pid[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    r_pid=()
    return 0
}

# Every 0.2 s, each daemon's sse_server_cluster_lag_seconds, one line each, until killed.
# On the generator's core: the daemons' core is what is being measured.
sample_lag() { # $1: file
    [ ${#pin_bench[@]} -gt 0 ] && taskset -cp 1 "$BASHPID" >/dev/null
    local port
    while :; do
        for port in "${d_notify[@]}"; do
            { curl -s -m 1 "http://127.0.0.1:$port/metrics" || true; } |
                awk '/^sse_server_cluster_lag_seconds / { print $2 }' >>"$1"
        done
        sleep 0.2
    done
}

# Appends the JSON line of an sse-bench output to $out, with the run's scenario, mode, the
# daemons' note and (bus-ceiling) the rate asked; prints its summary line.
record() { # $1: output file; $2: scenario; $3: mode; $4: note; $5: rate or empty
    local json
    sed -n '1p' "$1" | sed 's/^/   /'
    json=$(grep '^{' "$1" || true)
    if [ -n "$json" ]; then
        jq -c --arg s "$2" --arg m "$3" --arg n "$4" --arg r "${5:-}" \
            '. + {scenario: $s, mode: $m, server_note: $n}
               + (if $r == "" then {} else {rate: ($r | tonumber)} end)' <<<"$json" >>"$out"
    else
        sed -n '2,$p' "$1" | sed 's/^/   /'
    fi
}

# What the scale scenarios need of the system, checked before anything starts; limits_problem
# says what is short (empty when nothing is).
scale_kib_per_stream=12 # both sockets in the kernel (~4 KiB each), daemon and generator (~2 each)
check_scale_limits() { # $1: streams per process; $2: streams in all
    local per=$1 total=$2 file_max nr_open ports available need_kb
    limits_problem=
    file_max=$(cat /proc/sys/fs/file-max)
    nr_open=$(cat /proc/sys/fs/nr_open)
    read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
    ports=$(( hi - lo + 1 ))
    available=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
    need_kb=$(( total * scale_kib_per_stream ))
    echo "   needs: $(( per + 100 )) descriptors per process (have $fds; nr_open $nr_open)," \
         "$(( 2 * total + 1000 )) in the system (file-max $file_max), $(( (per + 253) / 254 ))" \
         "ephemeral ports per source address and daemon (have $ports);" \
         "about $(( need_kb / 1024 )) MiB of memory ($scale_kib_per_stream KiB per stream, an" \
         "estimate; available $(( available / 1024 )) MiB)"
    if (( fds < per + 100 )); then
        limits_problem+="descriptors: $(( per + 100 )) needed per process, the hard limit is $fds (ulimit -Hn; or lower SSE_BENCH_SCALE_STREAMS); "
    fi
    if (( file_max < 2 * total + 1000 )); then
        limits_problem+="file-max: $(( 2 * total + 1000 )) needed, fs.file-max is $file_max; "
    fi
    if (( ports < (per + 253) / 254 )); then
        limits_problem+="ports: $(( (per + 253) / 254 )) per source address needed, ip_local_port_range gives $ports; "
    fi
    if (( available < need_kb )); then
        limits_problem+="memory: about $(( need_kb / 1024 )) MiB needed, $(( available / 1024 )) MiB available; "
    fi
    [ -z "$limits_problem" ] && return 0
    echo "   !! $limits_problem"
    return 1
}
