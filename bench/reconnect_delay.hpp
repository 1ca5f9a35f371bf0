#pragma once

#include <chrono>

namespace sse_server::bench {

/** The longest wait before a reconnect, as in the browser client (client/sse-stream.js). */
inline constexpr std::chrono::milliseconds max_reconnect_backoff{30'000};

/** How long a stream that ended waits before it reconnects, the way our browser client
    (client/sse-stream.js) waits: the daemon's `retry:` doubled for each reconnect that failed
    since the stream was last open, at most 30 s, then stretched by a uniform 0..50 % so that
    the clients of one daemon that died do not all come back in the same millisecond.
    `uniform` is a draw in [0, 1). */
std::chrono::milliseconds reconnect_delay(std::chrono::milliseconds retry, unsigned failures,
                                          double uniform);

} // namespace sse_server::bench
