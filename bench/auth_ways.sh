# shellcheck shell=bash
# The ways in of issue 19's scenarios (SPEC §2.2a), for bench/run.sh (sourced, not run): signed
# tokens with keys made here at run time, and the auth hook served by sse-bench itself.
# shellcheck disable=SC2034 # auth_args, hook_out and hook_json are for the script that sources this

auth_dir=
hook_pid=
hook_out=
hook_json=
auth_args=()

# Makes an HS256 secret and an RSA-2048 key pair with openssl in $1, a directory of the run's
# own (removed by the caller on exit): nothing of it is ever kept.
make_auth_keys() { # $1: directory
    auth_dir=$1
    openssl rand -hex 32 >"$auth_dir/hs256.secret"
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$auth_dir/rs256.pem" \
        2>/dev/null
    openssl pkey -in "$auth_dir/rs256.pem" -pubout -out "$auth_dir/rs256.pub.pem"
}

# Adds to scenario_env the daemon's settings for way $1 and sets auth_args, sse-bench's options
# for it; for "hook" starts the hook (sse-bench --serve-hook, on the generator's core, output
# in $2) and waits until it answers. Each way is alone in auth.methods: a stream that opens
# was let in by it. The hook's answers are kept 10 minutes, for the warm pass.
prepare_auth_way() { # $1: jwt-hs256|jwt-rs256|hook|""; $2: the hook's output file
    auth_args=()
    case $1 in
        "") ;;
        jwt-hs256)
            scenario_env+=('SSE_SERVER_AUTH_METHODS=["jwt"]'
                           "SSE_SERVER_AUTH_JWT_SECRET_FILE=$auth_dir/hs256.secret")
            auth_args=(--jwt-hs256 "$auth_dir/hs256.secret") ;;
        jwt-rs256)
            scenario_env+=('SSE_SERVER_AUTH_METHODS=["jwt"]'
                           "SSE_SERVER_AUTH_JWT_KEY_FILE=$auth_dir/rs256.pub.pem")
            auth_args=(--jwt-rs256 "$auth_dir/rs256.pem") ;;
        hook)
            local port
            port=$(free_port)
            hook_out=$2
            "${pin_bench[@]}" "$bench_bin" --serve-hook "127.0.0.1:$port" >"$hook_out" 2>&1 &
            hook_pid=$!
            wait_http "http://127.0.0.1:$port/ready" "$hook_pid" || return 1
            scenario_env+=('SSE_SERVER_AUTH_METHODS=["hook"]'
                           "SSE_SERVER_AUTH_HOOK_URL=http://127.0.0.1:$port/sse/auth"
                           SSE_SERVER_AUTH_HOOK_CACHE_TTL=10m) ;;
        *) echo "bench: no way in '$1'" >&2; return 1 ;;
    esac
}

# Stops the hook, if one runs, and sets hook_json to its JSON line: the users it answered,
# their rate from the first request to the last, its CPU time (hook_ok, hook_per_s,
# hook_cpu_s). Not in a subshell: it waits for the hook, a child of this shell.
stop_hook() {
    hook_json=
    [ -n "$hook_pid" ] || return 0
    kill -TERM "$hook_pid" 2>/dev/null || true
    wait "$hook_pid" 2>/dev/null || true
    hook_pid=
    hook_json=$(grep '^{' "$hook_out" || true)
}
