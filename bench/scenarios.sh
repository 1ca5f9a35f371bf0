# The scenarios of bench/run.sh, also run by bench/cluster.sh in both modes: sourced, not run.
# Sets scenario_order, and per scenario about[] (one line for the log), args[] (sse-bench's
# options, for every server) and sse_only[] (added for sse-server only).
# shellcheck shell=bash disable=SC2034 # the arrays are used by the scripts that source this

scenario_order=(idle connect broadcast-10k broadcast-10k-serial broadcast-1k rate-10k rate-1k
                ingest ingest-single ingest-batch mixed slow-baseline slow)
declare -A about args sse_only
about[idle]="19000 streams held open 5 s: RSS per stream"
args[idle]="--connections 19000 --notifications 0 --hold 5"
about[connect]="10000 streams opened (sse-server: each authenticated through Redis)"
args[connect]="--connections 10000 --notifications 0"
about[broadcast-10k]="10000 subscribers of one name, 500 notifications as fast as possible from 4 publisher connections"
args[broadcast-10k]="--connections 10000 --notifications 500 --notify-connections 4"
about[broadcast-10k-serial]="the same from 1 publisher connection, one POST at a time"
args[broadcast-10k-serial]="--connections 10000 --notifications 500"
about[broadcast-1k]="1000 subscribers of one name, 2000 notifications as fast as possible from 4 publisher connections"
args[broadcast-1k]="--connections 1000 --notifications 2000 --notify-connections 4"
about[rate-10k]="10000 subscribers, 5 notifications/s for 10 s"
args[rate-10k]="--connections 10000 --notifications 50 --rate 5"
about[rate-1k]="1000 subscribers, 50 notifications/s for 10 s"
args[rate-1k]="--connections 1000 --notifications 500 --rate 50"
about[ingest]="no subscriber, 1000000 POSTs on 2 keep-alive connections, 16 in flight on each"
args[ingest]="--connections 0 --notifications 1000000 --notify-connections 2 --pipeline 16"
about[ingest-single]="no subscriber, 400000 POSTs on 8 keep-alive connections, one in flight on each (an API's HTTP client)"
args[ingest-single]="--connections 0 --notifications 400000 --notify-connections 8 --pipeline 1"
about[ingest-batch]="no subscriber, 5000000 notifications in POSTs of 100 (sse-server only)"
args[ingest-batch]="--connections 0 --notifications 5000000 --batch 100 --notify-connections 2 --pipeline 4"
about[mixed]="10000 subscribers on 100 names + account events (1 in 10), 20000 notifications"
args[mixed]="--connections 10000 --events 100 --account-every 10 --notifications 20000 --pipeline 4"
about[slow-baseline]="1000 subscribers, 20000 notifications of 200 bytes at 1000/s (sse-server: POSTs of 10), the slow run's reference"
args[slow-baseline]="--connections 1000 --notifications 20000 --rate 1000 --payload 200 --pipeline 4"
sse_only[slow-baseline]="--batch 10"
about[slow]="the same, 100 of the subscribers stop reading once open"
args[slow]="${args[slow-baseline]} --slow 100"
sse_only[slow]="--batch 10"
