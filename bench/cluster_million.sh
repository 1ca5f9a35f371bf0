# scale-1m of bench/cluster.sh (issue 21): D daemons in cluster mode × S streams (a million by
# default), held idle, then ONE notification to every stream, then a steady rate to 1 % of
# them; what it cost in memory (daemons, kernel) and CPU (idle daemons, idle Redis), and, when
# it fell short of D × S, what ran out; and, during the steady rate, a connect storm: one
# daemon killed, its streams moved to the others (bench/cluster_storm.sh). Sourced, not run.
# shellcheck shell=bash disable=SC2034,SC2154 # failed is bench/cluster.sh's; the others are
# set by bench/cluster.sh and bench/cluster_lib.sh

million_daemons=${SSE_BENCH_SCALE_DAEMONS:-55}
million_streams=${SSE_BENCH_SCALE_STREAMS:-18200}
million_hold=${SSE_BENCH_SCALE_HOLD:-60}
million_steady=${SSE_BENCH_SCALE_STEADY:-30}
# Streams each receiver opens at once (sse-bench's default is 256): 55 receivers at 256 each put
# 14 000 lookups on Redis at the same moment, enough to reach redis.timeout when Redis shares a
# core with the receivers.
million_window=${SSE_BENCH_SCALE_CONNECT_WINDOW:-32}
million_names=100 # stream i of each process is on bench-<i mod 100>: one name is 1 % of them
million_rate=${SSE_BENCH_SCALE_RATE:-10} # steady notifications per second, one name each
million_evidence=

# "Slab SUnreclaim MemAvailable (kB) TCP-inuse TCP-mem (pages) open-files", machine-wide.
kernel_sample() {
    local meminfo sockstat
    meminfo=$(awk '$1 == "Slab:" { s = $2 } $1 == "SUnreclaim:" { u = $2 }
                   $1 == "MemAvailable:" { a = $2 } END { print s + 0, u + 0, a + 0 }' /proc/meminfo)
    sockstat=$(awk '$1 == "TCP:" { for (i = 2; i < NF; i += 2) v[$i] = $(i + 1)
                                   print v["inuse"] + 0, v["mem"] + 0 }' /proc/net/sockstat)
    echo "$meminfo $sockstat $(cut -f1 /proc/sys/fs/file-nr)"
}

# utime + stime of the pids, in clock ticks, summed; a pid that is gone counts 0.
cpu_ticks() {
    local pid sum=0 t
    for pid in "$@"; do
        # After the command's name, which ends at the last ')': field 12 is utime, 13 stime.
        t=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }') || t=0
        sum=$(( sum + ${t:-0} ))
    done
    echo "$sum"
}

# VmRSS of the pids, in kB, summed.
rss_kb() {
    local pid sum=0 v
    for pid in "$@"; do
        v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || v=0
        sum=$(( sum + ${v:-0} ))
    done
    echo "$sum"
}

now_s() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.3f", b - a }'; }

# What ran out when fewer streams than asked opened, from what the run left: the receivers'
# first failures, the daemons' logs and fates, the system's counters at the peak.
million_shortfall() { # $1: the kernel sample at the peak ("" when none)
    local f k why log i accept_waits file_nr available
    for f in "$logs"/million-reader*.out; do
        [ -e "$f" ] || continue
        k=${f##*/million-reader}
        k=${k%.out}
        why=$(grep '^{' "$f" | jq -r 'select(.connections_failed > 0 or .streams_lost > 0)
              | "\(.connections_failed) failed, \(.streams_lost) lost, first: \(.first_failure)"' || true)
        if ! grep -q '^{' "$f"; then
            why="no report: $(tail -1 "$f")"
        fi
        if [ -n "$why" ]; then
            million_evidence+="receiver $k: $why"
            case $why in
                *"Too many open files in system"*) million_evidence+=" (file-max)" ;;
                *"Too many open files"*) million_evidence+=" (the generator's descriptors)" ;;
                *"Cannot assign requested address"*) million_evidence+=" (ephemeral ports)" ;;
                *"Cannot allocate memory"*|*"No buffer space"*) million_evidence+=" (memory)" ;;
                *" 429 "*) million_evidence+=" (the daemon's limits: limits.max_connections or per user)" ;;
                *" 503 "*) million_evidence+=" (the daemon could not reach Redis, or is stopping)" ;;
            esac
            million_evidence+="; "
        fi
    done
    for log in "$logs"/million-daemon*.log; do
        [ -e "$log" ] || continue
        i=${log##*/million-daemon}
        i=${i%.log}
        accept_waits=$(grep -c -e 'descriptors running low' -e 'accept failed' "$log" || true)
        (( accept_waits > 0 )) &&
            million_evidence+="daemon $i: $accept_waits accept back-offs ($(grep -m1 -o -e 'descriptors running low' -e 'accept failed ([^)]*)' "$log")); "
    done
    [ -n "$daemons_note" ] && million_evidence+="$daemons_note"
    if [ -n "$1" ]; then
        read -r _ _ available _ _ file_nr <<<"$1"
        (( file_nr * 100 >= $(cat /proc/sys/fs/file-max) * 95 )) &&
            million_evidence+="file-max: $file_nr files open of $(cat /proc/sys/fs/file-max); "
        (( available < $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) / 20 )) &&
            million_evidence+="memory: $(( available / 1024 )) MiB available at the peak; "
    fi
    [ -n "$million_evidence" ] || million_evidence="nothing the script can see: see $logs"
    return 0
}

run_million() {
    local d=$million_daemons s=$million_streams total m cap i status=0 reached
    local t0 open_s="" hold_s="" wait_s="" k_before="" k_held="" rss_before="" rss_held=""
    local cpu_d0 cpu_r0 cpu_g0 cpu_d cpu_r cpu_g held_at extra
    total=$(( d * s ))
    m=$(( 1 + million_rate * million_steady ))
    extra=$(storm_extra_streams)
    million_evidence=
    storm_ran=0
    echo
    echo "-- scale-1m: $d daemons in cluster mode × $s streams = $total streams, one sse-bench" \
         "per daemon; held $million_hold s; ONE notification to all through daemon 1; then" \
         "$million_rate/s for $million_steady s, each to 1 % of the streams (names" \
         "bench-0..bench-$(( million_names - 1 )))"
    storm_planned &&
        echo "   storm: daemon $d killed (SIGKILL) during the steady rate; its streams reconnect" \
             "to the other $(( d - 1 )), $extra more each"
    # The daemons that survive a storm hold their streams and the victim's share of its streams.
    if ! check_scale_limits "$(( s + extra ))" "$total"; then
        million_evidence="before starting: $limits_problem"
        million_record 0 "" "" "" "" "" "" "" "" "" ""
        failed=1
        return
    fi
    reset_bus
    if ! start_cluster "$d" "$daemon_bin" million; then
        million_evidence="a daemon did not start (the line above names it; its log is in $logs)"
        million_record 0 "" "" "" "" "" "" "" "" "" ""
        failed=1
        return
    fi
    k_before=$(kernel_sample)
    rss_before=$(rss_kb "${d_pid[@]}")
    # Opening (wait_ready's 10 minutes at most), the hold, the broadcast (10 minutes at most),
    # the steady rate, and a margin: the receivers end before it when all went well.
    cap=$(( 600 + million_hold + 600 + million_steady + 120 ))
    t0=$(now_s)
    for (( i = 0; i < d; i++ )); do
        rm -f "$logs/broadcast-$i"
        storm_receiver_args "$i"
        start_receiver "$logs/million-reader$i.out" "$i" "$cap" --connections "$s" \
            --connect-window "$million_window" \
            --events "$million_names" --broadcast 1 --notifications "$m" \
            --broadcast-file "$logs/broadcast-$i" --label "million-reader$i" "${storm_args[@]}"
    done
    if wait_ready "$d"; then
        open_s=$(since "$t0")
        echo "   all streams open in $open_s s; holding them $million_hold s"
        cpu_d0=$(cpu_ticks "${d_pid[@]}") cpu_r0=$(cpu_ticks "$redis_pid") cpu_g0=$(cpu_ticks "${r_pid[@]}")
        held_at=$(now_s)
        sleep "$million_hold"
        cpu_d=$(( $(cpu_ticks "${d_pid[@]}") - cpu_d0 ))
        cpu_r=$(( $(cpu_ticks "$redis_pid") - cpu_r0 ))
        cpu_g=$(( $(cpu_ticks "${r_pid[@]}") - cpu_g0 ))
        hold_s=$(since "$held_at")
        k_held=$(kernel_sample)
        rss_held=$(rss_kb "${d_pid[@]}")
        t0=$(now_s)
        post_through_first million-broadcast 60 --notifications 1 --broadcast 1 \
            --events "$million_names" || status=$?
        if (( status == 0 )) && wait_receiver_files broadcast "$d" 600 "the broadcast reached all its streams"; then
            wait_s=$(since "$t0")
            if (( m > 1 )); then
                start_posting_through_first million-steady $(( million_steady + 60 )) \
                    --notifications "$m" --broadcast 1 --events "$million_names" --post-from 1 \
                    --rate "$million_rate"
                storm_planned && run_storm $(( million_steady + 600 ))
                wait_bench || status=$?
            fi
        else
            status=1
        fi
        (( status == 0 )) || stop_receivers
        wait_receivers || status=1
    else
        status=1
        k_held=$(kernel_sample)
        million_evidence="the opening did not complete (the line above says how); "
    fi
    end_scale_run scale-1m million "$status"
    storm_record
    reached=$(jq -s '[.[] | select(.scenario == "scale-1m" and .receive_only) | .connections_open] | add // 0' "$out")
    (( reached == total )) || { million_shortfall "$k_held"; failed=1; }
    million_record "$reached" "$open_s" "$hold_s" "$wait_s" "$k_before" "$k_held" \
        "$rss_before" "$rss_held" "${cpu_d:-}" "${cpu_r:-}" "${cpu_g:-}"
}

# The run's own figures (besides each sse-bench's line) as one JSON line in $out.
million_record() { # $1 streams reached; $2 open s; $3 hold s; $4 broadcast wait s;
                   # $5, $6 kernel samples before and after the hold; $7, $8 daemons' RSS kB;
                   # $9, $10, $11 CPU ticks over the hold: daemons, Redis, generators
    jq -cn --argjson daemons "$million_daemons" --argjson per "$million_streams" \
        --argjson reached "$1" --arg open "$2" --arg hold "$3" --arg wait "$4" \
        --arg before "$5" --arg after "$6" --arg rss0 "$7" --arg rss1 "$8" \
        --arg cpu_d "$9" --arg cpu_r "${10}" --arg cpu_g "${11}" --argjson tck "$(getconf CLK_TCK)" \
        --argjson page "$(getconf PAGESIZE)" --arg evidence "$million_evidence" '
        def num: if . == "" then null else tonumber end;
        def fields: if . == "" then null else (split(" ") | map(tonumber)) end;
        ($before | fields) as $k0 | ($after | fields) as $k1 |
        {scenario: "scale-1m-run", daemons: $daemons, streams_per_daemon: $per,
         target: ($daemons * $per), reached: $reached, open_s: ($open | num),
         hold_s: ($hold | num), broadcast_wait_s: ($wait | num),
         rss_before_kb: ($rss0 | num), rss_held_kb: ($rss1 | num),
         kernel_before: $k0, kernel_held: $k1,
         slab_per_socket_b: (if $k0 and $k1 and $reached > 0
                             then ($k1[0] - $k0[0]) * 1024 / (2 * $reached) else null end),
         sunreclaim_per_socket_b: (if $k0 and $k1 and $reached > 0
                                   then ($k1[1] - $k0[1]) * 1024 / (2 * $reached) else null end),
         tcp_mem_per_socket_b: (if $k0 and $k1 and $reached > 0
                                then ($k1[4] - $k0[4]) * $page / (2 * $reached) else null end),
         tcp_inuse: (if $k0 and $k1 then [$k0[3], $k1[3]] else null end),
         daemons_cpu_s: (if $cpu_d == "" then null else ($cpu_d | tonumber) / $tck end),
         redis_cpu_s: (if $cpu_r == "" then null else ($cpu_r | tonumber) / $tck end),
         generators_cpu_s: (if $cpu_g == "" then null else ($cpu_g | tonumber) / $tck end),
         shortfall: $evidence}' >>"$out"
}
