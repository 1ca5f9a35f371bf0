# shellcheck shell=bash
# The benchmark's Redis, shared by bench/run.sh and bench/cluster.sh (sourced, not run):
# started on core 1, reached by sse-server the way SSE_BENCH_REDIS says (SPEC §6). sse-bench
# itself always fills it over TCP, on redis_port.
# shellcheck disable=SC2034,SC2154 # redis_pid and daemon_redis_env are for the script that
# sources this; pin_bench comes from bench/loopback.sh

# Starts redis-server with its files in $1; sets redis_port, redis_pid and daemon_redis_env
# (the environment that points sse-server at it: its URL, and the CA over TLS).
start_bench_redis() { # $1: directory for its log, socket and certificates
    local listen=() tls
    redis_port=$(free_port)
    case ${SSE_BENCH_REDIS:-tcp} in
        tcp) daemon_redis_env=("SSE_SERVER_REDIS_URL=redis://127.0.0.1:$redis_port/0") ;;
        tls)
            tls=$1/tls
            mkdir -p "$tls"
            (cd "$tls" || exit 1
             openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                 -keyout ca.key -out ca.crt -days 2 -subj /CN=bench-ca 2>/dev/null
             openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
                 -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
             printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
             openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
                 -extfile server.ext -out server.crt 2>/dev/null)
            local tls_port
            tls_port=$(free_port)
            listen=(--tls-port "$tls_port" --tls-cert-file "$tls/server.crt"
                    --tls-key-file "$tls/server.key" --tls-ca-cert-file "$tls/ca.crt"
                    --tls-auth-clients no)
            daemon_redis_env=("SSE_SERVER_REDIS_URL=rediss://localhost:$tls_port/0"
                              "SSE_SERVER_REDIS_TLS_CA_FILE=$tls/ca.crt") ;;
        unix)
            listen=(--unixsocket "$1/redis.sock" --unixsocketperm 700)
            daemon_redis_env=("SSE_SERVER_REDIS_URL=unix://$1/redis.sock?db=0") ;;
        *) echo "$0: SSE_BENCH_REDIS must be tcp, tls or unix" >&2; return 2 ;;
    esac
    echo "sse-server reaches Redis over ${SSE_BENCH_REDIS:-tcp}"
    "${pin_bench[@]}" redis-server --bind 127.0.0.1 --port "$redis_port" --save "" \
        --appendonly no --dir "$1" --logfile "$1/redis.log" --daemonize no ${listen[@]+"${listen[@]}"} &
    redis_pid=$!
    for _ in $(seq 100); do
        redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    redis-cli -p "$redis_port" ping >/dev/null
}
