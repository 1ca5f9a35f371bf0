# The scenarios of bench/run.sh, also run by bench/cluster.sh in both modes: sourced, not run.
# Sets scenario_order, and per scenario about[] (one line for the log), args[] (sse-bench's
# options, for every server), sse_only[] (added for sse-server only), sse_env[] (the daemon's
# settings for that scenario, as SSE_SERVER_ variables), no_nchan[] (why Nchan sits it out),
# auth_way[] (how its streams get in, when not by API key in Redis) and warm_up[] (a first,
# unmeasured pass of the same run).
# shellcheck shell=bash disable=SC2034 # the arrays are used by the scripts that source this

scenario_order=(idle connect broadcast-10k broadcast-10k-serial broadcast-1k rate-10k rate-1k
                ingest ingest-single ingest-batch mixed slow-baseline slow
                audience-10k-baseline audience-10k connect-claims
                connect-jwt-hs256 connect-jwt-rs256 connect-hook-cold connect-hook-warm)
declare -A about args sse_only sse_env no_nchan auth_way warm_up
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
no_nchan[ingest-batch]="Nchan has no batch publish (one message per POST)"
about[mixed]="10000 subscribers on 100 names + account events (1 in 10), 20000 notifications"
args[mixed]="--connections 10000 --events 100 --account-every 10 --notifications 20000 --pipeline 4"
about[slow-baseline]="1000 subscribers, 20000 notifications of 200 bytes at 1000/s (sse-server: POSTs of 10), the slow run's reference"
args[slow-baseline]="--connections 1000 --notifications 20000 --rate 1000 --payload 200 --pipeline 4"
sse_only[slow-baseline]="--batch 10"
about[slow]="the same, 100 of the subscribers stop reading once open"
args[slow]="${args[slow-baseline]} --slow 100"
sse_only[slow]="--batch 10"

# Rights (issue 17). Each key carries 20 groups: its home group g<i mod 20> and 19 roles every
# stream shares. The audience names the users of streams 0..999 and the groups g0..g9: 5 000
# streams through their group, 500 more through their user (the other 500 users of the list
# are in one of those groups as well, and must still get each notification once): 5 500 of
# the 10 000 receive, 4 500 must receive nothing.
about[audience-10k-baseline]="broadcast-10k's 10000 streams with 20 groups each; the 5500 an audience would reach subscribe to the name, the 4500 others to another name (sse-server only)"
args[audience-10k-baseline]="--connections 10000 --notifications 500 --notify-connections 4"
sse_only[audience-10k-baseline]="--claims-groups 20 --audience-users 1000 --audience-groups 10 --audience-by-name"
sse_env[audience-10k-baseline]="SSE_SERVER_AUTH_API_KEY_GROUPS_POINTER=/groups"
no_nchan[audience-10k-baseline]="Nchan has no audience"
about[audience-10k]="the same 10000 streams all on one name; each notification carries an audience of 1000 users and 10 groups that reaches the same 5500 (sse-server only)"
args[audience-10k]="${args[audience-10k-baseline]}"
sse_only[audience-10k]="--claims-groups 20 --audience-users 1000 --audience-groups 10"
sse_env[audience-10k]="${sse_env[audience-10k-baseline]}"
no_nchan[audience-10k]="Nchan has no audience"
# events.grants is empty, so that only each key's own patterns grant its name: the daemon
# reads and tries all 50 (the one that grants comes last), which a "*" for everyone skips.
about[connect-claims]="connect's 10000 streams, each key JSON with 50 grant patterns and 20 groups (sse-server only)"
args[connect-claims]="--connections 10000 --notifications 0"
sse_only[connect-claims]="--claims-grants 50 --claims-groups 20"
sse_env[connect-claims]="SSE_SERVER_AUTH_API_KEY_GRANTS_POINTER=/grants SSE_SERVER_AUTH_API_KEY_GROUPS_POINTER=/groups SSE_SERVER_EVENTS_GRANTS=[]"
no_nchan[connect-claims]="Nchan streams are not authenticated"

# Signed tokens and the auth hook (issue 19, SPEC §2.2a): connect's 10 000 streams, each way in
# alone in auth.methods (auth_way[]: bench/auth_ways.sh makes the keys at run time and serves
# the hook). A hook scenario with warm_up[] first opens and closes the same streams once, not
# measured, so that the measured pass finds every answer in the daemon's hook cache.
about[connect-jwt-hs256]="connect's 10000 streams, each with its own HS256 token, signed before the first connect (sse-server only)"
args[connect-jwt-hs256]="--connections 10000 --notifications 0"
auth_way[connect-jwt-hs256]=jwt-hs256
no_nchan[connect-jwt-hs256]="Nchan streams are not authenticated"
about[connect-jwt-rs256]="the same with RS256 tokens (RSA 2048) (sse-server only)"
args[connect-jwt-rs256]="--connections 10000 --notifications 0"
auth_way[connect-jwt-rs256]=jwt-rs256
no_nchan[connect-jwt-rs256]="Nchan streams are not authenticated"
about[connect-hook-cold]="connect's 10000 streams through the auth hook (sse-bench --serve-hook), every credential new: one hook request per stream (sse-server only)"
args[connect-hook-cold]="--connections 10000 --notifications 0"
auth_way[connect-hook-cold]=hook
no_nchan[connect-hook-cold]="Nchan streams are not authenticated"
about[connect-hook-warm]="the same once a first pass of the same 10000 streams (not measured) filled the daemon's hook cache (sse-server only)"
args[connect-hook-warm]="--connections 10000 --notifications 0"
auth_way[connect-hook-warm]=hook
warm_up[connect-hook-warm]=1
no_nchan[connect-hook-warm]="Nchan streams are not authenticated"
