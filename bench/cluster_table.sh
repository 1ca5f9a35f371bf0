# The tables of bench/cluster.sh, from its JSON lines ($out). Sourced, not run.
# shellcheck disable=SC2154 # set by bench/cluster.sh before it sources this
# shellcheck shell=bash

# The value of jq expression $3 over the runs of scenario $1 in mode $2 (the checking
# process's line; receive-only lines are the cluster scenarios'), or empty.
value() {
    jq -s -r --arg s "$1" --arg m "$2" \
        "map(select(.scenario == \$s and .mode == \$m and (.receive_only | not)))
         | if length == 0 then empty else (.[-1] | $3) end" "$out"
}
fmt() { # $1: printf format; $2: value or empty
    # shellcheck disable=SC2059 # the format is the caller's
    if [ -z "$2" ] || [ "$2" = null ]; then echo "–"; else printf "$1" "$2"; fi
}
judge() { # $1: awk condition on v (and c); $2: v; $3: c, when the condition uses it
    if [ -z "$2" ] || [ "$2" = null ]; then echo "–"; return; fi
    if [[ $1 == *c* ]] && { [ -z "${3:-}" ] || [ "$3" = null ]; }; then echo "–"; return; fi
    awk -v v="$2" -v c="${3:-0}" "BEGIN { print (($1) ? \"yes\" : \"**no**\") }"
}
# cluster − standalone (kind "delta") or cluster ÷ standalone ("ratio").
compare() { # $1: kind; $2: standalone; $3: cluster
    if [ -z "$2" ] || [ -z "$3" ] || [ "$2" = null ] || [ "$3" = null ]; then echo ""; return; fi
    awk -v k="$1" -v a="$2" -v b="$3" \
        'BEGIN { if (k == "delta") printf "%+.2f", b - a; else if (a + 0 != 0) printf "%.2f", b / a }'
}

# One figure of one scenario in every mode, the comparison, and the target on it.
row() { # $1 scenario; $2 figure; $3 jq expression; $4 format; $5 delta|ratio; $6 target;
        # $7 awk check on v (the redis figure) and c (the comparison); "" = none
    local m cells="" any="" s r c met="–"
    for m in "${modes[@]}"; do
        local v
        v=$(value "$1" "$m" "$3")
        any+=$v
        cells+=" $(fmt "$4" "$v") |"
    done
    [ -n "$any" ] || return 0
    s=$(value "$1" standalone "$3")
    r=$(value "$1" redis "$3")
    c=$(compare "$5" "$s" "$r")
    [ -n "$7" ] && met=$(judge "$7" "$r" "$c")
    if [[ " ${modes[*]} " == *" baseline "* ]]; then
        local b
        b=$(compare "$5" "$(value "$1" baseline "$3")" "$s")
        cells+=" ${b:-–} ($5) |"
    fi
    echo "| $1 | $2 |$cells ${c:-–} ($5) | $6 | $met |"
}

print_compared() {
    local name header="| scenario | figure |" rule="|---|---|" m
    for m in "${modes[@]}"; do
        header+=" $m |"
        rule+="--:|"
    done
    if [[ " ${modes[*]} " == *" baseline "* ]]; then
        header+=" standalone vs baseline |"
        rule+="--:|"
    fi
    echo
    echo "$header redis vs standalone | target | met |"
    echo "$rule--:|---|---|"
    for name in "${selected[@]}"; do
        case $name in
            bus-ceiling|scale-90k|scale-1m) ;;
            rate-1k)
                row rate-1k "latency p50, ms" .latency_ms.p50 "%.2f" delta "≤ +1 ms" "c <= 1"
                row rate-1k "latency p99, ms" .latency_ms.p99 "%.2f" delta "≤ +2 ms" "c <= 2"
                row rate-1k "loss" .loss "%d" delta "redis: 0" "v == 0" ;;
            ingest-single)
                row ingest-single "notifications/s" .notifications_per_s "%.0f" ratio "redis ≥ 30 000/s" "v >= 30000"
                row ingest-single "server CPU per POST, µs" '(.server_cpu_s * 1000000 / .notifications)' "%.1f" ratio "report" "" ;;
            ingest-batch)
                row ingest-batch "notifications/s" .notifications_per_s "%.0f" ratio "redis ≥ 100 000/s" "v >= 100000" ;;
            *)
                row "$name" "notifications/s" .notifications_per_s "%.0f" ratio "report" ""
                row "$name" "deliveries/s" .deliveries_per_s "%.0f" ratio "report" ""
                row "$name" "latency p99, ms" .latency_ms.p99 "%.2f" delta "report" ""
                row "$name" "RSS per stream, KiB" .rss_per_connection_kb "%.1f" delta "report" ""
                row "$name" "loss" .loss "%d" delta "redis: 0" "v == 0" ;;
        esac
    done
    echo
    if [[ " ${modes[*]} " == *" baseline "* ]]; then
        echo "baseline: the same scenarios, standalone, with $SSE_BENCH_BASELINE_DAEMON;" \
             "standalone vs baseline: this build's standalone figures must not be worse beyond noise."
    fi
    return 0
}

print_bus_ceiling() {
    local ceiling
    echo
    echo "bus-ceiling: $bus_daemons readers, batches of $bus_batch; kept up = zero loss on every" \
         "reader, posted ≥ 95 % of the rate asked, readers' latency p99 and" \
         "sse_server_cluster_lag_seconds ≤ $bus_bound_ms ms"
    echo
    echo "| entries/s asked | posted/s | readers' p99, ms | max lag, s | kept up |"
    echo "|--:|--:|--:|--:|---|"
    jq -s -r 'map(select(.scenario == "bus-ceiling-step"))[]
              | "| \(.rate) | \(.achieved | round) | \(.p99_ms) | \(.lag_max_s) | \(if .kept_up then "yes" else "no: " + .reason end) |"' "$out"
    ceiling=$(jq -s -r 'map(select(.scenario == "bus-ceiling-step" and .kept_up)) | map(.achieved) | max // empty' "$out")
    echo
    echo "bus ceiling: $(fmt "%.0f" "$ceiling") entries/s kept up with by all $bus_daemons readers" \
         "$(jq -s -r 'if (map(select(.scenario == "bus-ceiling-step")) | all(.kept_up)) then "(every rate asked was kept up with: raise SSE_BENCH_BUS_RATES)" else "" end' "$out")"
}

print_scale() {
    local sel='map(select(.scenario == "scale-90k" and .receive_only))'
    local open loss fanout per rss
    open=$(jq -s "$sel | map(.connections_open) | add // 0" "$out")
    loss=$(jq -s "$sel | map(.loss) | add // 0" "$out")
    fanout=$(jq -s "$sel | map(.latency_ms.max) | max // empty" "$out")
    per=$(jq -s "$sel | map(select(.rss_connected_kb and .rss_before_kb))
                 | if length == 0 then empty
                   else (map(.rss_connected_kb - .rss_before_kb) | add) / (map(.connections_open) | add) end" "$out")
    rss=$(jq -s "$sel | map(.rss_connected_kb // 0) | add / 1024" "$out")
    echo
    echo "| scale-90k ($scale_daemons × $scale_streams) | value | target | met |"
    echo "|---|--:|---|---|"
    echo "| streams open | $open | $(( scale_daemons * scale_streams )) | $(judge "v == $(( scale_daemons * scale_streams ))" "$open") |"
    echo "| loss (one notification, every stream) | $loss | 0 | $(judge "v == 0" "$loss") |"
    echo "| fan-out: POST → last stream received, ms | $(fmt "%.1f" "$fanout") | report | – |"
    echo "| daemons' RSS per stream, KiB | $(fmt "%.2f" "$per") | report (standalone idle: 2.2) | – |"
    echo "| daemons' RSS, all streams open, MiB | $(fmt "%.0f" "$rss") | report | – |"
}

# scale-1m: the run's own line (scale-1m-run) and its receivers' lines. Steady latency across
# processes: the median of the receivers' p50 and the highest of their p99 (each receiver
# holds its own histogram); with a storm, of the receivers whose daemon survived it (the moved
# streams' own histogram holds their replays).
print_million() {
    local run='map(select(.scenario == "scale-1m-run")) | .[-1]'
    local sel='map(select(.scenario == "scale-1m" and .receive_only))'
    local storm='map(select(.scenario == "scale-1m-storm")) | .[-1]'
    local target reached open per slab unrec tcpmem fanout p50 p99 loss faults dcpu rcpu gcpu
    local hold evidence rate opened victim steady
    [ "$(jq -s "$run" "$out")" != null ] || return 0
    victim=$(jq -s -r "$storm | .victim_label // empty" "$out")
    steady="$sel | map(select(.label != \"$victim\"))"
    target=$(jq -s "$run | .target" "$out")
    reached=$(jq -s "$run | .reached" "$out")
    open=$(jq -s "$run | .open_s" "$out")
    hold=$(jq -s "$run | .hold_s" "$out")
    rate=$(jq -s "$run | if .open_s then .reached / .open_s else null end" "$out")
    per=$(jq -s "$run | if .rss_held_kb and .reached > 0
                        then (.rss_held_kb - .rss_before_kb) / .reached else null end" "$out")
    # Each receiver samples its daemon's VmRSS before its first stream and once all are open.
    opened=$(jq -s "$sel | map(select(.rss_connected_kb and .rss_before_kb))
                    | if length == 0 or (map(.connections_open) | add) == 0 then null
                      else (map(.rss_connected_kb - .rss_before_kb) | add) / (map(.connections_open) | add) end" "$out")
    slab=$(jq -s "$run | .slab_per_socket_b" "$out")
    unrec=$(jq -s "$run | .sunreclaim_per_socket_b" "$out")
    tcpmem=$(jq -s "$run | .tcp_mem_per_socket_b" "$out")
    dcpu=$(jq -s "$run | if .daemons_cpu_s and .hold_s then 100 * .daemons_cpu_s / .hold_s else null end" "$out")
    rcpu=$(jq -s "$run | if .redis_cpu_s and .hold_s then 100 * .redis_cpu_s / .hold_s else null end" "$out")
    gcpu=$(jq -s "$run | if .generators_cpu_s and .hold_s then 100 * .generators_cpu_s / .hold_s else null end" "$out")
    evidence=$(jq -s -r "$run | .shortfall" "$out")
    fanout=$(jq -s "$sel | map(.broadcast_latency_ms.max // empty) | max" "$out")
    p50=$(jq -s "$steady | map(.latency_ms.p50) | sort | if length == 0 then null else .[(length - 1) / 2 | floor] end" "$out")
    p99=$(jq -s "$steady | map(.latency_ms.p99) | max" "$out")
    loss=$(jq -s "$sel | if length == 0 then null else map(.loss) | add end" "$out")
    faults=$(jq -s "$sel | if length == 0 then null else
                    map(.duplicates + .order_violations + .misrouted + .unexpected_events) | add end" "$out")
    echo
    echo "| scale-1m ($million_daemons × $million_streams) | value | target | met |"
    echo "|---|--:|---|---|"
    echo "| streams reached | $reached | $target | $(judge "v == $target" "$reached") |"
    echo "| open time, s (receivers started → every stream open) | $(fmt "%.1f" "$open") | report | – |"
    echo "| authenticated connects/s | $(fmt "%.0f" "$rate") | report | – |"
    echo "| daemons' RSS per stream once open, KiB (growth over opening ÷ streams) | $(fmt "%.2f" "$opened") | report | – |"
    echo "| daemons' RSS per stream after the hold, KiB (growth over opening and hold ÷ streams) | $(fmt "%.2f" "$per") | ≤ 1 (issue 21) | $(judge "v <= 1" "$per") |"
    echo "| kernel slab per socket, bytes (Slab growth ÷ 2 × streams) | $(fmt "%.0f" "$slab") | report | – |"
    echo "| of it unreclaimable (SUnreclaim), bytes per socket | $(fmt "%.0f" "$unrec") | report | – |"
    echo "| TCP buffers per socket, bytes (sockstat mem growth ÷ 2 × streams) | $(fmt "%.0f" "$tcpmem") | report | – |"
    echo "| broadcast fan-out: POST → last stream, ms | $(fmt "%.1f" "$fanout") | report | – |"
    echo "| steady $million_rate/s to 1 %: latency p50 / p99, ms${victim:+ (streams on the daemons that survived the storm)} | $(fmt "%.2f" "$p50") / $(fmt "%.2f" "$p99") | report | – |"
    echo "| loss (broadcast + steady), events | $(fmt "%d" "$loss") | 0 | $(judge "v == 0" "$loss") |"
    echo "| duplicates, out of order, misrouted, unexpected | $(fmt "%d" "$faults") | 0 | $(judge "v == 0" "$faults") |"
    echo "| daemons' CPU while idle, % of one core (all $million_daemons, over $(fmt "%.0f" "$hold") s; heartbeats included) | $(fmt "%.2f" "$dcpu") | report | – |"
    echo "| Redis's CPU while idle, % of one core ($million_daemons bus readers waiting) | $(fmt "%.2f" "$rcpu") | ≈ 0 | – |"
    echo "| generators' CPU while idle, % of one core | $(fmt "%.2f" "$gcpu") | report | – |"
    [ -n "$victim" ] && print_storm_rows "$storm" "$sel | map(select(.label == \"$victim\")) | .[-1]"
    if [ -n "$evidence" ]; then
        echo
        echo "scale-1m fell short; what the script saw: $evidence"
    fi
    return 0
}

# The storm's rows of the scale-1m table: its own line and the victim's receiver's.
print_storm_rows() { # $1: jq selecting the storm's line; $2: jq selecting the victim's receiver's
    local moved back storm window rate c50 c99 attempts refused none resyncs p99 polls fails slowest
    local after lost twice
    after=$(jq -s "$1 | .killed_after_s" "$out")
    polls=$(jq -s "$1 | .readyz_polls" "$out")
    fails=$(jq -s "$1 | .readyz_failures" "$out")
    slowest=$(jq -s "$1 | .readyz_slowest_s * 1000" "$out")
    moved=$(jq -s "$2 | .streams_moved // empty" "$out")
    back=$(jq -s "$2 | .streams_back // empty" "$out")
    storm=$(jq -s "$2 | .storm_s // empty" "$out")
    window=$(jq -s "$2 | .reconnect_window_s // empty" "$out")
    rate=$(jq -s "$2 | if .reconnect_window_s and .reconnect_window_s > 0
                       then .streams_back / .reconnect_window_s else empty end" "$out")
    c50=$(jq -s "$2 | .reconnect_connect_ms.p50 // empty" "$out")
    c99=$(jq -s "$2 | .reconnect_connect_ms.p99 // empty" "$out")
    attempts=$(jq -s "$2 | .reconnect_attempts // empty" "$out")
    refused=$(jq -s -r "$2"' | .reconnects_refused // {} | to_entries
                             | if length == 0 then "0" else map("\(.value) × \(.key)") | join(", ") end' "$out")
    none=$(jq -s "$2 | .reconnect_errors // empty" "$out")
    resyncs=$(jq -s "$2 | .resyncs // empty" "$out")
    p99=$(jq -s "$2 | .latency_ms.p99 // empty" "$out")
    lost=$(jq -s "$2 | .loss // empty" "$out")
    twice=$(jq -s "$2 | if . == null then empty else .duplicates + .order_violations end" "$out")
    echo "| storm: daemon $million_daemons killed (SIGKILL), s into the steady rate | $(fmt "%.1f" "$after") | report | – |"
    echo "| storm: streams moved, back | ${moved:-–}, ${back:-–} | $million_streams, $million_streams | $(judge "v == $million_streams && c == $million_streams" "$moved" "$back") |"
    echo "| storm: time until all back, s (the first stream ended → the last open again; retry: and its jitter included) | $(fmt "%.2f" "$storm") | report | – |"
    echo "| storm: reconnects/s (the first reconnect → the last open again, $(fmt "%.2f" "$window") s) | $(fmt "%.0f" "$rate") | report | – |"
    echo "| storm: reconnect latency p50 / p99, ms (connect → \`connected\`: Redis lookup, resume) | $(fmt "%.2f" "$c50") / $(fmt "%.2f" "$c99") | report | – |"
    echo "| storm: reconnect attempts | ${attempts:-–} | $million_streams | – |"
    echo "| storm: reconnects refused (by status), without answer; resyncs | $refused, ${none:-–}; ${resyncs:-–} | 0 | $( [ "$refused" = 0 ] && judge "v == 0 && c == 0" "$none" "$resyncs" || echo "**no**") |"
    echo "| storm: the moved streams' loss; duplicates and out of order (every notification routed to them, once) | ${lost:-–}; ${twice:-–} | 0; 0 | $(judge "v == 0 && c == 0" "$lost" "$twice") |"
    echo "| storm: moved streams' latency p99, ms (replays of what they missed included) | $(fmt "%.2f" "$p99") | report | – |"
    echo "| storm: /readyz of daemon 1, polls every 100 ms from the kill until every moved stream was open again | $(fmt "%d" "$polls") | report | – |"
    echo "| storm: /readyz non-200 answers during the storm | $(fmt "%d" "$fails") | 0 | $(judge "v == 0" "$fails") |"
    echo "| storm: /readyz slowest answer, ms | $(fmt "%.1f" "$slowest") | report | – |"
}

print_tables() {
    local name compared=0
    for name in "${selected[@]}"; do
        [[ $name == bus-ceiling || $name == scale-90k || $name == scale-1m ]] || compared=1
    done
    (( compared )) && print_compared
    [[ " ${selected[*]} " == *" bus-ceiling "* ]] && print_bus_ceiling
    [[ " ${selected[*]} " == *" scale-90k "* ]] && print_scale
    [[ " ${selected[*]} " == *" scale-1m "* ]] && print_million
    return 0
}
