#pragma once

#include "support/http_client.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sse_server::test {

class daemon_process;

// ASan's allocator keeps freed memory in quarantine: resident size says nothing there.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool rss_is_meaningful = false;
#else
inline constexpr bool rss_is_meaningful = true;
#endif

/** The daemon's resident size grew by less than 16 MiB since `before` (KiB); checked only
    where resident size means something (not under ASan). */
void expect_bounded_growth(daemon_process const& d, long before);

/** Sends `pattern` over and over until `total` bytes are out, the peer stops taking them for
    half a second (it no longer reads), it closes, or `limit` passes. Returns the bytes sent. */
std::size_t flood(tcp_connection& c, std::string_view pattern, std::size_t total,
                  milliseconds limit = 5s);

/** Reads until the response head is complete; returns its status, 0 if none came within
    `timeout` or the peer closed first. */
int response_status(tcp_connection& c, milliseconds timeout = 10s);

/** Opens streams with `cookie` (e.g. "sid=a") until one gets 200 or `limit` passes; returns
    the last status (0 when the server closed before answering). The server frees places as
    it sees hang-ups, so a new stream may be refused for a while. */
int stream_status_once_admitted(std::uint16_t clients_port, std::string const& cookie,
                                milliseconds limit);

} // namespace sse_server::test
