#!/usr/bin/env bash
# Benchmarks sse-server's cluster mode (SPEC §5: several daemons, one Redis Stream as the bus)
# beside its standalone mode, in the same run, with sse-bench on this machine.
#
#   bench/cluster.sh                                  rate-1k ingest-single ingest-batch in both
#                                                     modes, then bus-ceiling and scale-90k
#   bench/cluster.sh --modes standalone,redis rate-1k ingest-single ingest-batch
#   bench/cluster.sh bus-ceiling                      only the bus's own ceiling
#   SSE_BENCH_SCALE_DAEMONS=3 SSE_BENCH_SCALE_STREAMS=300 bench/cluster.sh scale-90k
#   bench/cluster.sh scale-1m                         55 daemons × 18 200 streams (not by default)
#
# Scenarios: any of bench/run.sh's (bench/scenarios.sh), run once per mode on a fresh daemon,
# and two of the cluster's own:
#   bus-ceiling  N daemons on one Redis, S streams each; one sse-bench per daemon checks its
#                streams while another posts batches through daemon 1 at increasing rates;
#                the ceiling is the last rate that every reader kept up with (zero loss,
#                latency p99 and sse_server_cluster_lag_seconds under a bound).
#   scale-90k    N daemons × S streams, one sse-bench per daemon (descriptors: one process
#                holds S streams), then ONE notification through daemon 1; fan-out time
#                (POST → last stream, across processes: CLOCK_MONOTONIC is system-wide) and
#                RSS per stream (the daemons' VmRSS after their streams opened minus before).
#   scale-1m     N daemons × S streams (a million by default), held, then ONE notification to
#                all of them and a steady 10/s to 1 % of them: open time, memory per stream in
#                the daemons and per socket in the kernel, idle CPU of the daemons and Redis,
#                fan-out time, steady latency, loss; and what ran out when it fell short
#                (bench/cluster_million.sh). During the steady rate, a connect storm: the
#                last daemon killed, its streams reconnected to the others with Last-Event-ID
#                and checked (bench/cluster_storm.sh).
# Layout as in bench/run.sh: every daemon on core 0; sse-bench processes and Redis (the bus)
# on core 1. Prints the machine, one summary per process and Markdown tables; exit status 1
# when a run failed a check or a daemon did not stop cleanly.
#
# Environment (besides bench/run.sh's SSE_BENCH_BUILD_DIR and SSE_BENCH_DAEMON):
#   SSE_BENCH_OUT                JSON lines          (<build dir>/cluster-results.jsonl)
#   SSE_BENCH_REDIS              tcp, tls or unix: how the daemons reach Redis and the bus (as in
#                                bench/run.sh)
#   SSE_BENCH_BASELINE_DAEMON    another sse-server binary; the mode "baseline" runs it
#                                standalone (the figures before cluster mode, in the same run)
#   SSE_BENCH_BUS_DAEMONS (3)  SSE_BENCH_BUS_STREAMS (300 per daemon)  SSE_BENCH_BUS_NAMES (1000)
#   SSE_BENCH_BUS_RATES ("10000 20000 40000 80000 120000 160000 240000 320000" entries/s)
#   SSE_BENCH_BUS_SECONDS (10 per rate)  SSE_BENCH_BUS_BATCH (100)  SSE_BENCH_BUS_BOUND_MS (100)
#   SSE_BENCH_SCALE_DAEMONS (5; scale-1m: 55)  SSE_BENCH_SCALE_STREAMS (18000; scale-1m: 18200)
#   SSE_BENCH_SCALE_HOLD (60 s) and SSE_BENCH_SCALE_STEADY (30 s): scale-1m's hold and steady rate
#   SSE_BENCH_SCALE_STORM (1; 0 = none) and SSE_BENCH_SCALE_STORM_AFTER (a quarter of the steady
#                                rate, s): scale-1m's connect storm, and when in the steady rate
#   SSE_BENCH_GENERATOR          an sse-bench binary: with SSE_BENCH_DAEMON, nothing is built
#   SSE_BENCH_EXTRA_ARGS         added to the scenarios' sse-bench options, which they override
#                                (smoke runs: "--notifications 2000"; the figures then mean little)
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=bench/scenarios.sh
source bench/scenarios.sh
# shellcheck source=bench/loopback.sh
source bench/loopback.sh
# shellcheck source=bench/redis_access.sh
source bench/redis_access.sh
# shellcheck source=bench/cluster_lib.sh
source bench/cluster_lib.sh
# shellcheck source=bench/cluster_million.sh
source bench/cluster_million.sh
# shellcheck source=bench/cluster_storm.sh
source bench/cluster_storm.sh

own_scenarios=(bus-ceiling scale-90k)
usage() {
    local runnable=() s
    for s in "${scenario_order[@]}"; do
        [ -n "${auth_way[$s]:-}" ] || runnable+=("$s") # the auth ways run in bench/run.sh only
    done
    echo "usage: bench/cluster.sh [--modes standalone,redis[,baseline]] [scenario...]"
    echo "scenarios: ${runnable[*]} ${own_scenarios[*]} scale-1m"
    echo "default: rate-1k ingest-single ingest-batch ${own_scenarios[*]}"
}

modes=(standalone redis)
selected=()
while (( $# > 0 )); do
    case $1 in
        --modes)
            IFS=, read -r -a modes <<<"${2:-}"
            for m in "${modes[@]}"; do
                [[ $m =~ ^(standalone|redis|baseline)$ ]] || { usage >&2; exit 2; }
            done
            shift 2 ;;
        -h|--help) usage; exit 0 ;;
        bus-ceiling|scale-90k|scale-1m) selected+=("$1"); shift ;;
        *)
            [ -n "${args[$1]:-}" ] || { echo "bench/cluster.sh: no scenario '$1'" >&2; usage >&2; exit 2; }
            # Their keys and hook are made by bench/run.sh only.
            [ -z "${auth_way[$1]:-}" ] || { echo "bench/cluster.sh: '$1' runs in bench/run.sh only" >&2; exit 2; }
            selected+=("$1"); shift ;;
    esac
done
[ ${#selected[@]} -eq 0 ] && selected=(rate-1k ingest-single ingest-batch "${own_scenarios[@]}")
if [[ " ${modes[*]} " == *" baseline "* ]] && [ -z "${SSE_BENCH_BASELINE_DAEMON:-}" ]; then
    echo "bench/cluster.sh: the mode baseline needs SSE_BENCH_BASELINE_DAEMON=<sse-server binary>" >&2
    exit 2
fi

bus_daemons=${SSE_BENCH_BUS_DAEMONS:-3}
bus_streams=${SSE_BENCH_BUS_STREAMS:-300}
bus_names=${SSE_BENCH_BUS_NAMES:-1000}
bus_rates=${SSE_BENCH_BUS_RATES:-"10000 20000 40000 80000 120000 160000 240000 320000"}
bus_seconds=${SSE_BENCH_BUS_SECONDS:-10}
bus_batch=${SSE_BENCH_BUS_BATCH:-100}
bus_bound_ms=${SSE_BENCH_BUS_BOUND_MS:-100}
scale_daemons=${SSE_BENCH_SCALE_DAEMONS:-5}
scale_streams=${SSE_BENCH_SCALE_STREAMS:-18000}

prepare "cluster-results.jsonl" # build, limits, pinning, Redis: bench/cluster_lib.sh

echo "== machine: $cores cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)," \
     "Linux $(uname -r), $(grep -qw hypervisor /proc/cpuinfo && echo virtualised || echo bare metal)"
echo "== limits: $fds file descriptors per process (nr_open $(cat /proc/sys/fs/nr_open)," \
     "file-max $(cat /proc/sys/fs/file-max)); ephemeral ports" \
     "$(tr '\t' '-' </proc/sys/net/ipv4/ip_local_port_range); streams connect from 127.0.0.1-254"
echo "== pinning: $pinning; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== sse-server $("$daemon_bin" --version | head -1), $build_kind; modes: ${modes[*]}"

# --- bench/run.sh's scenarios, once per mode --------------------------------------------------
run_compared() { # $1: scenario
    local mode bin cluster status json note
    for mode in "${modes[@]}"; do
        echo
        echo "-- $1, $mode: ${about[$1]}"
        bin=$daemon_bin
        cluster=$mode
        [ "$mode" = baseline ] && { bin=$SSE_BENCH_BASELINE_DAEMON; cluster=standalone; }
        reset_bus
        read -r -a scenario_env <<<"${sse_env[$1]:-}" # words, never globbed: [] is a value
        if ! start_daemon "$cluster" "$bin" "$logs/$mode-$1.log"; then
            echo "   sse-server ($mode) did not start: see $logs/$mode-$1.log"
            failed=1
            scenario_env=()
            continue
        fi
        status=0
        # shellcheck disable=SC2086 # args holds several words on purpose
        run_bench "$logs/bench-$mode-$1.out" --clients "127.0.0.1:${d_clients[0]}" \
            --notify "127.0.0.1:${d_notify[0]}" --redis "127.0.0.1:$redis_port" \
            --server-pid "${d_pid[0]}" --duration 180 --label "$1" \
            ${args[$1]} ${sse_only[$1]:-} ${SSE_BENCH_EXTRA_ARGS:-} || status=$?
        stop_daemons
        scenario_env=()
        note=$daemons_note
        record "$logs/bench-$mode-$1.out" "$1" "$mode" "$note"
        if (( status != 0 )) || [ -n "$note" ]; then
            failed=1
            echo "   !! ${note:-sse-bench reported a problem (exit status $status)}"
        fi
    done
}

# --- bus-ceiling -------------------------------------------------------------------------------
# One step: N fresh daemons, a checking sse-bench on each, a poster at `rate` through daemon 1.
# Prints one line; returns 0 when every reader kept up.
bus_step() { # $1: entries per second
    local rate=$1 total i status=0 reason="" lag_file="" achieved p99 lag
    total=$(( rate * bus_seconds ))
    local label="bus-ceiling-$rate" common=(--events "$bus_names" --notifications "$total"
                                           --notify-connections 2)
    reset_bus
    start_cluster "$bus_daemons" "$daemon_bin" "$label" || { failed=1; return 1; }
    for (( i = 0; i < bus_daemons; i++ )); do
        start_receiver "$logs/$label-reader$i.out" "$i" $(( bus_seconds * 2 + 30 )) \
            --connections "$bus_streams" "${common[@]}" --label "$label-reader$i"
    done
    if ! wait_ready "${bus_daemons}"; then
        reason="streams did not open"
    else
        lag_file=$logs/$label-lag
        sample_lag "$lag_file" &
        sampler_pid=$!
        run_bench "$logs/$label-poster.out" --clients "127.0.0.1:${d_clients[0]}" \
            --notify "127.0.0.1:${d_notify[0]}" --connections 0 "${common[@]}" \
            --rate "$rate" --batch "$bus_batch" --pipeline 4 --duration $(( bus_seconds * 2 + 10 )) \
            --label "$label-poster" || status=$?
        (( status == 0 )) || reason="the poster failed (exit status $status)"
        [ -n "$reason" ] && stop_receivers # their notifications will not come
        wait_receivers || reason=${reason:-"a reader lost events or fell behind past the duration"}
        kill -TERM "$sampler_pid" 2>/dev/null || true
        wait "$sampler_pid" 2>/dev/null || true
        sampler_pid=
    fi
    stop_receivers
    stop_daemons
    [ -n "$daemons_note" ] && { reason=${reason:-$daemons_note}; failed=1; }
    for f in "$logs/$label"-reader*.out "$logs/$label-poster.out"; do
        [ -e "$f" ] && record "$f" bus-ceiling redis "$daemons_note" "$rate"
    done
    achieved=$(jq -s -r "map(select(.label == \"$label-poster\")) | .[-1].notifications_per_s // 0" "$out")
    p99=$(jq -s -r "map(select((.label // \"\") | startswith(\"$label-reader\")) | .latency_ms.p99) | max // 0" "$out")
    lag=$( { sort -g "${lag_file:-/dev/null}" 2>/dev/null || true; } | tail -1)
    lag=${lag:-0}
    if [ -z "$reason" ]; then
        if awk -v a="$achieved" -v r="$rate" 'BEGIN { exit !(a < 0.95 * r) }'; then
            reason="the poster reached only $achieved/s: ingest, not the bus, is the limit"
        elif awk -v p="$p99" -v b="$bus_bound_ms" 'BEGIN { exit !(p > b) }'; then
            reason="latency p99 $p99 ms > $bus_bound_ms ms"
        elif awk -v l="$lag" -v b="$bus_bound_ms" 'BEGIN { exit !(l * 1000 > b) }'; then
            reason="cluster lag reached $lag s"
        fi
    fi
    printf '   %s/s asked, %.0f/s posted; readers p99 %s ms, max lag %s s: %s\n' \
        "$rate" "$achieved" "$p99" "$lag" "${reason:-kept up}"
    jq -cn --argjson rate "$rate" --argjson achieved "$achieved" --argjson p99 "$p99" \
        --argjson lag "$lag" --arg reason "$reason" \
        '{scenario: "bus-ceiling-step", rate: $rate, achieved: $achieved, p99_ms: $p99,
          lag_max_s: $lag, kept_up: ($reason == ""), reason: $reason}' >>"$out"
    [ -z "$reason" ]
}

run_bus_ceiling() {
    echo
    echo "-- bus-ceiling: $bus_daemons daemons in cluster mode on one Redis, $bus_streams streams" \
         "each on names 0..$(( bus_streams - 1 )) of $bus_names (an entry reaches one stream per" \
         "daemon, or none), batches of $bus_batch through daemon 1, $bus_seconds s per rate"
    local rate
    for rate in $bus_rates; do
        bus_step "$rate" || break
    done
}

# --- scale-90k -----------------------------------------------------------------------------------
run_scale() {
    local total=$(( scale_daemons * scale_streams )) i status=0
    echo
    echo "-- scale-90k: $scale_daemons daemons in cluster mode × $scale_streams streams =" \
         "$total streams, one sse-bench per daemon; ONE notification through daemon 1"
    check_scale_limits "$scale_streams" "$total" || { failed=1; return; }
    reset_bus
    start_cluster "$scale_daemons" "$daemon_bin" scale || { failed=1; return; }
    for (( i = 0; i < scale_daemons; i++ )); do
        start_receiver "$logs/scale-reader$i.out" "$i" 300 --connections "$scale_streams" \
            --events 1 --notifications 1 --label "scale-reader$i"
    done
    if wait_ready "$scale_daemons"; then
        post_through_first scale-poster 30 --notifications 1 || status=$?
        (( status == 0 )) || stop_receivers
        wait_receivers || status=1
    else
        status=1
    fi
    end_scale_run scale-90k scale "$status"
}

failed=0
for name in "${selected[@]}"; do
    case $name in
        bus-ceiling) run_bus_ceiling ;;
        scale-90k) run_scale ;;
        scale-1m) run_million ;;
        *) run_compared "$name" ;;
    esac
done

# shellcheck source=bench/cluster_table.sh
source bench/cluster_table.sh
print_tables
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "JSON lines: $out; logs: $logs"
exit "$failed"
