#pragma once

#include "options.hpp"

namespace sse_server::bench {

/** `sse-bench --serve-hook HOST:PORT`: the app of the auth hook scenarios (SPEC §2.2a), an
    HTTP/1.1 server (keep-alive, one thread) answering each GET from the credential the daemon
    forwards: an `X-API-Key` (or `Authorization: Bearer`) <api-key-prefix><i> is user
    1000000+i, `200 {"user":"<1000000+i>"}`; anything else is a `401`. `GET /ready` is a `200`.
    Runs until SIGTERM or SIGINT, then prints one summary line and one JSON line: the
    users answered, their rate between the first request and the last, and the app's CPU
    time. Returns the exit status. */
int serve_hook(options const& o);

} // namespace sse_server::bench
