#!/usr/bin/env bash
# Benchmarks sse-server, and nginx + Nchan for comparison, with sse-bench on this machine.
#
#   bench/run.sh                              every scenario, both servers
#   bench/run.sh idle broadcast-10k           only these scenarios
#   bench/run.sh --server sse-server slow     only one server
#
# Builds a Release sse-server and sse-bench, starts a private redis-server, and for each
# scenario and server starts a fresh server on free loopback ports, runs sse-bench against it
# and stops it. The server runs on core 0, sse-bench and Redis on core 1 (taskset). Prints the
# machine, one summary per run and a Markdown table; stops everything on exit.
# Exit status 0 when every sse-server run checked out (every event delivered once, in order);
# an Nchan run that did not is reported in the table, not counted.
#
# Environment:
#   SSE_BENCH_BUILD_DIR   build directory                  (build/bench)
#   SSE_BENCH_OUT         JSON lines, one per run          (<build dir>/bench-results.jsonl)
#   SSE_BENCH_DAEMON      the sse-server binary to measure (the one built here); for A/B runs
#   SSE_BENCH_CLUSTER     "redis": run sse-server in cluster mode (SPEC §5), its bus on the
#                         benchmark's Redis (on the generator's core); bench/cluster.sh runs
#                         both modes in one run and one table, and the cluster's own scenarios
#   SSE_BENCH_REDIS       how sse-server reaches that Redis (SPEC §6): "tcp" (redis://, the
#                         default), "tls" (rediss://localhost, certificates made here with
#                         openssl, verified) or "unix" (a unix socket); sse-bench itself always
#                         fills Redis over TCP
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=bench/scenarios.sh
source bench/scenarios.sh
# shellcheck source=bench/loopback.sh
source bench/loopback.sh
# shellcheck source=bench/redis_access.sh
source bench/redis_access.sh
# shellcheck source=bench/auth_ways.sh
source bench/auth_ways.sh

usage() {
    echo "usage: bench/run.sh [--server sse-server|nchan|both] [scenario...]"
    echo "scenarios: ${scenario_order[*]}"
}

servers=(sse-server nchan)
selected=()
while (( $# > 0 )); do
    case $1 in
        --server)
            case ${2:-} in
                sse-server|nchan) servers=("$2") ;;
                both) servers=(sse-server nchan) ;;
                *) usage >&2; exit 2 ;;
            esac
            shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *)
            [ -n "${args[$1]:-}" ] || { echo "bench/run.sh: no scenario '$1'" >&2; usage >&2; exit 2; }
            selected+=("$1"); shift ;;
    esac
done
[ ${#selected[@]} -eq 0 ] && selected=("${scenario_order[@]}")
with_nchan=0
[[ " ${servers[*]} " == *" nchan "* ]] && with_nchan=1

# --- packages and build ----------------------------------------------------------------------
scripts/setup-deps
nchan_module=/usr/lib/nginx/modules/ngx_nchan_module.so
wanted=(jq)
(( with_nchan )) && wanted+=(nginx-light libnginx-mod-nchan)
missing=()
for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    echo "Installing: ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}"
fi
# Debian's package enables nginx at install; this script starts its own, on other ports.

build=${SSE_BENCH_BUILD_DIR:-build/bench}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSSE_SERVER_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target sse-server sse-bench >/dev/null
build=$(cd "$build" && pwd) # absolute: nginx and redis-server resolve paths after changing dir
out=${SSE_BENCH_OUT:-$build/bench-results.jsonl}
daemon_bin=${SSE_BENCH_DAEMON:-$build/sse-server}
bench_bin=$build/bench/sse-bench
logs=$build/bench-logs
rm -rf "$logs"
mkdir -p "$logs"
: >"$out"

# --- descriptors and cores -------------------------------------------------------------------
raise_fds_and_pin
pinning="server on core 0; sse-bench and redis-server on core 1"
(( cores >= 2 )) || pinning="one core: no pinning, server and sse-bench share it"

# --- processes, stopped on exit whatever happens ---------------------------------------------
redis_pid=
server_pid=
bench_pid=
auth_tmp=
# shellcheck disable=SC2317 # reached through the trap
cleanup() {
    set +e # stop everything, even when one of them already failed
    local pid
    for pid in "$bench_pid" "$server_pid" "$hook_pid" "$redis_pid"; do
        [ -n "$pid" ] || continue
        kill -TERM "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    [ -n "$auth_tmp" ] && rm -rf "$auth_tmp"
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM


start_bench_redis "$logs" # bench/redis_access.sh
for name in "${selected[@]}"; do
    if [[ ${auth_way[$name]:-} == jwt-* ]] && [ -z "$auth_tmp" ]; then
        auth_tmp=$(mktemp -d)
        make_auth_keys "$auth_tmp" # bench/auth_ways.sh: made for this run, removed on exit
    fi
done

# Starts the server for one run, sse-server with the scenario's settings (scenario_env);
# sets server_pid (the process to stop), measured_pid (the one to sample: Nchan's single
# worker, not its master), clients_port, notify_port.
start_server() { # $1: sse-server|nchan; $2: log file
    local attempt
    for attempt in 1 2 3; do
        clients_port=$(free_port)
        if [ "$1" = nchan ]; then
            notify_port=$clients_port
            write_nginx_conf "$clients_port"
            "${pin_server[@]}" nginx -p "$build/nchan" -c "$build/nchan/nginx.conf" >>"$2" 2>&1 &
            server_pid=$!
            if wait_http "http://127.0.0.1:$clients_port/ready" "$server_pid"; then
                measured_pid=$(pgrep -P "$server_pid" | head -1)
                [ -n "$measured_pid" ] && return 0
            fi
        else
            notify_port=$(free_port)
            SSE_SERVER_LISTEN_CLIENTS=127.0.0.1:$clients_port \
            SSE_SERVER_LISTEN_NOTIFY=127.0.0.1:$notify_port \
            SSE_SERVER_CLUSTER_MODE=${SSE_BENCH_CLUSTER:-standalone} \
            SSE_SERVER_LOG_LEVEL=info \
                env "${daemon_redis_env[@]}" "${scenario_env[@]}" "${pin_server[@]}" \
                "$daemon_bin" >>"$2" 2>&1 &
            server_pid=$!
            measured_pid=$server_pid
            wait_http "http://127.0.0.1:$notify_port/readyz" "$server_pid" && return 0
        fi
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
        echo "   ($1 did not start on attempt $attempt, see $2)"
    done
    return 1
}

# One nginx worker with Nchan, memory storage; every message kept for the whole run, so that
# nothing a subscriber still has to receive is evicted; new subscribers get only new messages.
write_nginx_conf() { # $1: port
    mkdir -p "$build/nchan"
    cat >"$build/nchan/nginx.conf" <<EOF
load_module $nchan_module;
worker_processes 1;
worker_rlimit_nofile $fds;
pid $build/nchan/nginx.pid;
error_log $build/nchan/error.log warn;
daemon off;
events {
    worker_connections $(( fds * 2 )); # slots, not descriptors: Nchan uses some of its own
    multi_accept on;
}
http {
    access_log off;
    client_body_temp_path $build/nchan/body;
    proxy_temp_path $build/nchan/proxy;
    fastcgi_temp_path $build/nchan/fastcgi;
    uwsgi_temp_path $build/nchan/uwsgi;
    scgi_temp_path $build/nchan/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    nchan_max_reserved_memory 1024M;
    nchan_message_buffer_length 100000;
    nchan_message_timeout 1h;
    server {
        listen 127.0.0.1:$1 backlog=4096;
        location = /ready { return 200 "ok\n"; }
        location ~ ^/sub/(.+)\$ {
            nchan_subscriber eventsource;
            nchan_channel_id \$1;
            nchan_channel_id_split_delimiter ",";
            nchan_subscriber_first_message newest;
        }
        location ~ ^/pub/(.+)\$ {
            nchan_publisher;
            nchan_channel_id \$1;
        }
    }
}
EOF
}

# Stops the server; sets server_note when it did not live to our SIGTERM or did not exit 0.
stop_server() { # $1: sse-server|nchan; $2: log file
    local status=0
    server_note=
    if ! kill -0 "$server_pid" 2>/dev/null; then
        wait "$server_pid" || status=$?
        server_note="$1 died during the run (exit status $status)"
    elif [ "$1" = sse-server ] && grep -q 'received: stopping' "$2"; then
        wait "$server_pid" || status=$?
        server_note="sse-server stopped by a signal this script did not send (exit status $status)"
    else
        kill -TERM "$server_pid"
        wait "$server_pid" || status=$?
        (( status != 0 )) && server_note="$1 exited with status $status on SIGTERM"
    fi
    server_pid=
    return 0
}

echo "== machine: $cores cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
     "Linux $(uname -r), $(grep -qw hypervisor /proc/cpuinfo && echo virtualised || echo bare metal)"
echo "== limits: $fds file descriptors per process; ephemeral ports $(tr '\t' '-' </proc/sys/net/ipv4/ip_local_port_range);" \
     "streams connect from 127.0.0.1-254"
echo "== pinning: $pinning; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== sse-server cluster mode: ${SSE_BENCH_CLUSTER:-standalone}"
echo "== sse-server $("$daemon_bin" --version | head -1), Release; nginx $(nginx -v 2>&1 | sed 's/.*nginx\///')" \
     "with $(dpkg-query -W -f='libnginx-mod-nchan ${Version}' libnginx-mod-nchan 2>/dev/null || echo 'no Nchan')"

failed=0
for name in "${selected[@]}"; do
    for server in "${servers[@]}"; do
        echo
        echo "-- $name on $server: ${about[$name]}"
        if [ "$server" = nchan ] && [ -n "${no_nchan[$name]:-}" ]; then
            echo "   skipped: ${no_nchan[$name]}"
            continue
        fi
        # Split into words, never globbed: a setting may be a TOML array such as [].
        read -r -a scenario_env <<<"${sse_env[$name]:-}"
        log=$logs/$server-$name.log
        auth_args=()
        if [ "$server" = sse-server ] &&
           ! prepare_auth_way "${auth_way[$name]:-}" "$logs/hook-$name.out"; then
            echo "   the auth hook did not start: see $logs/hook-$name.out"
            stop_hook
            failed=1
            continue
        fi
        if ! start_server "$server" "$log"; then
            stop_hook
            echo "   $server did not start: see $log"
            failed=1
            continue
        fi
        target_args=(--target "$server" --clients "127.0.0.1:$clients_port"
                     --notify "127.0.0.1:$notify_port" --server-pid "$measured_pid")
        extra=
        if [ "$server" = sse-server ]; then
            target_args+=(--redis "127.0.0.1:$redis_port")
            extra=${sse_only[$name]:-}
        fi
        status=0
        if [ "$server" = sse-server ] && [ -n "${warm_up[$name]:-}" ]; then
            # The same streams once, not measured: they leave their answers in the daemon.
            # shellcheck disable=SC2086 # args holds several words on purpose
            "${pin_bench[@]}" "$bench_bin" "${target_args[@]}" --duration 90 \
                --label "$name-warm-up" ${args[$name]} $extra "${auth_args[@]}" \
                >"$logs/bench-$server-$name-warm-up.out" 2>&1 &
            bench_pid=$!
            wait "$bench_pid" || status=$?
            bench_pid=
            echo "   warm-up: $(sed -n '1p' "$logs/bench-$server-$name-warm-up.out")"
        fi
        # shellcheck disable=SC2086 # args holds several words on purpose
        "${pin_bench[@]}" "$bench_bin" "${target_args[@]}" --duration 90 --label "$name" \
            ${args[$name]} $extra "${auth_args[@]}" >"$logs/bench-$server-$name.out" 2>&1 &
        bench_pid=$! # waited for in the background, so that Ctrl-C stops everything at once
        wait "$bench_pid" || status=$?
        bench_pid=
        stop_server "$server" "$log"
        stop_hook # bench/auth_ways.sh: hook_json, what the hook answered, when there is one
        [ -n "$hook_json" ] && sed -n '2p' "$hook_out" | sed 's/^/   /'
        sed -n '1p' "$logs/bench-$server-$name.out" | sed 's/^/   /'
        json=$(grep '^{' "$logs/bench-$server-$name.out" || true)
        if [ -n "$json" ]; then
            jq -c --arg note "$server_note" --argjson hook "${hook_json:-"{}"}" \
                '. + {server_note: $note} + $hook' <<<"$json" >>"$out"
        else
            sed -n '2,$p' "$logs/bench-$server-$name.out" | sed 's/^/   /'
        fi
        if (( status != 0 )) || [ -n "$server_note" ]; then
            # Nchan's shortfalls are results (it cannot keep up with some scenarios); only
            # sse-server's make the run fail.
            [ "$server" = sse-server ] && failed=1
            echo "   !! ${server_note:-sse-bench reported a problem (exit status $status)}"
        fi
    done
done

# --- table -----------------------------------------------------------------------------------
# The value of jq expression $3 in the run of scenario $2 on server $1, or empty.
value() {
    jq -r --arg s "$1" --arg l "$2" "select(.target == \$s and .label == \$l) | $3" "$out" | tail -1
}
# A figure, marked when sse-bench used most of its core while notifications flowed.
cell() { # $1 server, $2 scenario, $3 jq expression, $4 printf format
    local v saturated timed_out
    v=$(value "$1" "$2" "$3")
    if [ -z "$v" ] || [ "$v" = null ]; then
        echo "–"
        return
    fi
    saturated=$(value "$1" "$2" .bench_saturated)
    timed_out=$(value "$1" "$2" .timed_out)
    # shellcheck disable=SC2059 # the format is the caller's
    printf "$4%s%s" "$v" "$([ "$saturated" = true ] && echo ' (b)')" \
        "$([ "$timed_out" = true ] && echo ' (t)')"
}
ratio() { # $1 $2: two numbers; sse-server / Nchan
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "–"; else printf "%.2f", a / b }'
}
check() { # $1: awk condition on a (sse-server), b (Nchan), r (ratio); empty inputs: "–"
    local a=$2 b=$3
    if [ -z "$a" ] || [ "$a" = null ]; then echo "–"; return; fi
    awk -v a="$a" -v b="${b:-0}" "BEGIN { r = (b + 0 == 0) ? 0 : a / b; print (($1) ? \"yes\" : \"**no**\") }"
}
row() { # $1 scenario, $2 figure, $3 jq expression, $4 format, $5 target, $6 check ("" = none)
    local a b met
    a=$(value sse-server "$1" "$3")
    b=$(value nchan "$1" "$3")
    met="–"
    # A target relative to Nchan is judged only when Nchan was measured too.
    if [ -n "$6" ] && { [[ $6 != *r* ]] || { [ -n "$b" ] && [ "$b" != null ]; }; }; then
        met=$(check "$6" "$a" "$b")
    fi
    [ -n "$a$b" ] || return 0
    echo "| $1 | $2 | $(cell sse-server "$1" "$3" "$4") | $(cell nchan "$1" "$3" "$4") |" \
         "$(ratio "$a" "$b") | $5 | $met |"
}
echo
echo "| scenario | figure | sse-server | Nchan | ratio | target | met |"
echo "|---|---|--:|--:|--:|---|---|"
row idle "streams open" .connections_open "%d" "19 000" "a == 19000"
row idle "RSS per stream, KiB" .rss_per_connection_kb "%.1f" "≤ 3 KiB" "a <= 3"
row connect "streams opened per s" .connect_per_s "%.0f" "≥ 10 000/s" "a >= 10000"
row connect "connect → open p99, ms" .connect_ms.p99 "%.1f" "≤ 50 ms" "a <= 50"
row broadcast-10k "deliveries/s" .deliveries_per_s "%.0f" "≥ 2× Nchan" "r >= 2"
row broadcast-10k "loss" .loss "%d" "0" "a == 0"
row broadcast-10k-serial "deliveries/s" .deliveries_per_s "%.0f" "report (1 publisher)" ""
row broadcast-10k-serial "loss" .loss "%d" "0" "a == 0"
row broadcast-1k "deliveries/s" .deliveries_per_s "%.0f" "≥ 1.5× Nchan" "r >= 1.5"
row broadcast-1k "loss" .loss "%d" "0" "a == 0"
row rate-10k "latency p99, ms" .latency_ms.p99 "%.2f" "≤ 0.5× Nchan" "r <= 0.5"
row rate-1k "latency p99, ms" .latency_ms.p99 "%.2f" "≤ 5 ms" "a <= 5"
row ingest "notifications/s" .notifications_per_s "%.0f" "≥ 100 000/s" "a >= 100000"
row ingest-single "notifications/s" .notifications_per_s "%.0f" "> Nchan" "r > 1"
row ingest-single "server CPU per POST, µs" '(.server_cpu_s * 1000000 / .notifications)' "%.1f" "< Nchan" "r < 1"
row ingest-batch "notifications/s" .notifications_per_s "%.0f" "≥ 500 000/s" "a >= 500000"
row mixed "deliveries/s" .deliveries_per_s "%.0f" "report" ""
row mixed "latency p99, ms" .latency_ms.p99 "%.2f" "report" ""
row mixed "loss" .loss "%d" "0" "a == 0"
row slow "slow streams closed by the server" .slow_closed "%d" "100" "a == 100"
row slow "loss, the 900 others" .loss "%d" "0" "a == 0"
row slow "server RSS peak, MiB" '(.rss_max_kb / 1024)' "%.0f" "bounded" \
    "a <= 100 + 64" # 100 slow streams × 1 MiB (client.max_pending_bytes) + 64 MiB
row slow-baseline "latency p99, ms (no slow reader)" .latency_ms.p99 "%.2f" "reference" ""
row slow "latency p99, ms" .latency_ms.p99 "%.2f" "≤ 1.2× slow-baseline" ""
base=$(value sse-server slow-baseline .latency_ms.p99)
with_slow=$(value sse-server slow .latency_ms.p99)
if [ -n "$base" ] && [ -n "$with_slow" ]; then
    echo "| slow | p99 with ÷ without slow readers | $(ratio "$with_slow" "$base") |" \
         "$(ratio "$(value nchan slow .latency_ms.p99)" "$(value nchan slow-baseline .latency_ms.p99)") |" \
         "– | ≤ 1.2 | $(check "a <= 1.2" "$(ratio "$with_slow" "$base")" "") |"
fi
row audience-10k-baseline "deliveries/s (5 500 of 10 000 streams, by name)" .deliveries_per_s "%.0f" "reference" ""
row audience-10k-baseline "loss" .loss "%d" "0" "a == 0"
row audience-10k "deliveries/s (5 500 of 10 000 streams, by audience)" .deliveries_per_s "%.0f" "≥ 0.9× baseline" ""
row audience-10k "loss" .loss "%d" "0" "a == 0"
row audience-10k "deliveries outside the audience" .misrouted "%d" "0" "a == 0"
compared() { # $1 $2: scenario and its reference; $3 jq expression; $4 label; $5 target; $6 awk test on a
    local a b
    a=$(value sse-server "$1" "$3")
    b=$(value sse-server "$2" "$3")
    [ -n "$a" ] && [ -n "$b" ] && [ "$a" != null ] && [ "$b" != null ] || return 0
    local met="–"
    [ -n "$6" ] && met=$(check "$6" "$(ratio "$a" "$b")" "")
    echo "| $1 | $4 | $(ratio "$a" "$b") | – | – | $5 | $met |"
}
compared audience-10k audience-10k-baseline .deliveries_per_s "deliveries/s ÷ baseline's" "≥ 0.9" "a >= 0.9"
row connect-claims "streams opened per s" .connect_per_s "%.0f" "report" ""
row connect-claims "connect → open p99, ms" .connect_ms.p99 "%.1f" "report" ""
compared connect-claims connect .connect_s "time to open them ÷ connect's" "≤ 1.1" "a <= 1.1"
cpu_per_stream='(if .server_connect_cpu_s and .connections_open > 0 then .server_connect_cpu_s * 1000000 / .connections_open else null end)'
row connect "server CPU per stream opened, µs" "$cpu_per_stream" "%.1f" "reference" ""
for way in connect-jwt-hs256 connect-jwt-rs256 connect-hook-warm connect-hook-cold; do
    row "$way" "streams open" .connections_open "%d" "10 000" "a == 10000"
    row "$way" "streams opened per s" .connect_per_s "%.0f" "report" ""
    row "$way" "connect → open p99, ms" .connect_ms.p99 "%.1f" "report" ""
    row "$way" "server CPU per stream opened, µs" "$cpu_per_stream" "%.1f" "report" ""
done
compared connect-jwt-hs256 connect .connect_s "time to open them ÷ connect's" "≤ 1 (no slower)" "a <= 1"
compared connect-jwt-rs256 connect .connect_s "time to open them ÷ connect's" "≤ 1 (no slower)" "a <= 1"
compared connect-hook-warm connect .connect_s "time to open them ÷ connect's" "≤ 1.2" "a <= 1.2"
row connect-hook-warm "hook requests, warm-up and measured pass" .hook_ok "%d" "10 000 (none measured)" "a == 10000"
compared connect-hook-cold connect .connect_s "time to open them ÷ connect's" "report (the hook's limit)" ""
row connect-hook-cold "hook requests answered" .hook_ok "%d" "10 000" "a == 10000"
row connect-hook-cold "hook answers per s, first to last" .hook_per_s "%.0f" "report (the limit)" ""
row connect-hook-cold "hook CPU per answer, µs" '(if .hook_ok then .hook_cpu_s * 1000000 / .hook_ok else null end)' "%.1f" "report" ""
echo
echo "(b): sse-bench used ≥ 90 % of its core while notifications flowed: the figure may measure the generator."
echo "(t): the run reached its duration cap (90 s) before every notification was delivered."
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "JSON lines: $out; logs: $logs"
exit "$failed"
