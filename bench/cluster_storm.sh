# The connect storm of scale-1m (issue 21, item 4), on by default: while the steady rate goes
# on, the last daemon is killed with SIGKILL, as when its machine dies. Its receiving sse-bench
# reconnects every one of its streams to the other daemons (--reconnect-to: stream i to daemon
# i mod (D-1), spread as a load balancer would), each after the daemon's retry: stretched by
# up to 50 % (our browser client's backoff), with Last-Event-ID and its API key, and checks
# that each resumes with nothing lost, nothing twice and no resync. Meanwhile /readyz of
# daemon 1 is asked every 100 ms until they are all back: the storm's Redis session lookups
# must not make it fail.
# Sourced, not run.
# shellcheck shell=bash disable=SC2034,SC2154 # the variables are bench/cluster.sh's, its
# libraries' and bench/cluster_million.sh's

storm_on=${SSE_BENCH_SCALE_STORM:-1}
storm_after=${SSE_BENCH_SCALE_STORM_AFTER:-} # s into the steady rate; empty: a quarter of it
storm_args=()   # the victim's receiver's options
storm_ran=0
storm_after_s=
storm_back_s=   # the kill -> every moved stream open again (the victim's receiver's back file)

# Whether this run has a storm: asked for, another daemon to go to, and a steady rate to
# keep coming during it.
storm_planned() {
    [ "$storm_on" = 1 ] && (( million_daemons >= 2 && million_steady >= 1 ))
}

# Streams each surviving daemon takes over from the victim.
storm_extra_streams() {
    if storm_planned; then
        echo $(( (million_streams + million_daemons - 2) / (million_daemons - 1) ))
    else
        echo 0
    fi
}

# Sets storm_args for receiver $1: the victim's, the other daemons' client ports.
storm_receiver_args() { # $1: daemon index
    local i list=""
    storm_args=()
    storm_planned && (( $1 == million_daemons - 1 )) || return 0
    for (( i = 0; i < million_daemons - 1; i++ )); do
        list+="${list:+,}127.0.0.1:${d_clients[$i]}"
    done
    rm -f "$logs/storm-back"
    storm_args=(--reconnect-to "$list" --back-file "$logs/storm-back")
}

# /readyz of one daemon every 100 ms, one line each ("<HTTP status> <seconds> <curl's exit
# code> <curl's error>"; status 000: no answer, the error says why), until the file $3 exists
# or 10 minutes; on the generator's core. It stops by itself rather than being killed: a curl
# started just before a kill outlived its shell and asked a daemon already stopped at the end
# of the run (connection refused: a 000 that was not the storm's).
poll_readyz() { # $1: notification port; $2: file; $3: stop file
    [ ${#pin_bench[@]} -gt 0 ] && taskset -cp 1 "$BASHPID" >/dev/null
    local i
    for (( i = 0; i < 6000; i++ )); do
        [ -e "$3" ] && return 0
        curl -s -o /dev/null -m 1 -w '%{http_code} %{time_total} %{exitcode} %{errormsg}\n' \
            "http://127.0.0.1:$1/readyz" >>"$2" 2>/dev/null || true
        sleep 0.1
    done
}

# The storm itself, while the steady poster runs in the background: waits storm_after s,
# kills the victim, polls /readyz of daemon 1 until every moved stream is open again (the
# back file), the victim's receiver has ended, or $1 s have passed. Not later: when the
# receivers end, their daemons close all their streams at once, which is not the storm.
run_storm() { # $1: cap, s
    local victim=$(( million_daemons - 1 )) killed_at i
    storm_after_s=${storm_after:-$(awk -v s="$million_steady" 'BEGIN { printf "%.1f", s / 4 }')}
    sleep "$storm_after_s"
    : >"$logs/storm-readyz"
    rm -f "$logs/storm-readyz-stop"
    poll_readyz "${d_notify[0]}" "$logs/storm-readyz" "$logs/storm-readyz-stop" &
    sampler_pid=$!
    killed_at=$(now_s)
    kill -KILL "${d_pid[$victim]}" 2>/dev/null || true
    wait "${d_pid[$victim]}" 2>/dev/null || true
    # Its death is the scenario, not a fault of the run: stop_daemons no longer sees it.
    unset 'd_pid[victim]'
    storm_ran=1
    echo "   storm: daemon $(( victim + 1 )) killed (SIGKILL) $storm_after_s s into the steady" \
         "rate; its $million_streams streams reconnect to the other $victim"
    for (( i = 0; i < $1 * 10; i++ )); do
        [ -e "$logs/storm-back" ] && break
        grep -q '^{' "$logs/million-reader$victim.out" 2>/dev/null && break
        sleep 0.1
    done
    storm_back_s=$(since "$killed_at")
    : >"$logs/storm-readyz-stop" # its last poll ends within 1 s
    wait "$sampler_pid" 2>/dev/null || true
    sampler_pid=
    if [ -e "$logs/storm-back" ]; then
        echo "   storm: every moved stream open again $storm_back_s s after the kill"
    else
        echo "   storm: not every moved stream came back ($storm_back_s s after the kill)"
    fi
}

# The storm's own figures as one JSON line in $out (the moved streams' are in the victim's
# receiver's line); a /readyz that was not 200 is reported.
storm_record() {
    (( storm_ran )) || return 0
    local polls=0 failures=0 slowest=0
    if [ -s "$logs/storm-readyz" ]; then
        read -r polls failures slowest < <(awk '{ n++; if ($1 != "200") f++; if ($2 > m) m = $2 }
                                                END { print n + 0, f + 0, m + 0 }' "$logs/storm-readyz")
    fi
    if (( failures > 0 )); then
        echo "   !! /readyz of daemon 1 answered $failures of $polls polls with another status than 200" \
             "(000: no answer; each line says why) during the storm: $logs/storm-readyz"
        # Reported in the table (its row says no), not a failure of the run: a million streams
        # on one 2-core box can starve Redis, which /readyz pings (bench/README.md, (D)).
    fi
    jq -cn --argjson victim "$million_daemons" --arg after "$storm_after_s" \
        --arg back "$storm_back_s" --argjson polls "$polls" --argjson failures "$failures" \
        --argjson slowest "$slowest" --arg who "million-reader$(( million_daemons - 1 ))" '
        {scenario: "scale-1m-storm", victim_daemon: $victim, victim_label: $who,
         killed_after_s: ($after | tonumber), back_after_s: ($back | tonumber),
         readyz_polls: $polls, readyz_failures: $failures, readyz_slowest_s: $slowest}' >>"$out"
}
