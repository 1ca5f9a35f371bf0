#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace sse_server {

/** What the access log says of a stream that ended (log.access). */
struct stream_end_entry
{
    std::string_view client; // its address: the peer's, or the one a trusted proxy gave
    std::string_view user;
    std::string_view origin;
    std::chrono::milliseconds duration{};
    std::uint64_t events = 0; // events queued to it, live and replayed
    std::uint64_t bytes = 0;  // bytes written to its socket, response header included
    std::string_view reason;  // as in sse_server_connections_closed_total{reason}
};

/** What the access log says of a stream request that was refused. */
struct stream_refusal_entry
{
    std::string_view client;
    std::string_view status; // "401", or "timeout" for a request never completed
    std::string_view reason; // what the client was told
};

/** One line each, `key=value` pairs after a fixed start ("access: stream ended ..."), values
    quoted where needed (append_access_value): a log reader splits them whatever a user id or
    a reason holds. The line never holds a credential: none is passed in. Pure. */
std::string access_line(stream_end_entry const& entry);
std::string access_line(stream_refusal_entry const& entry);

/** The kind under which the log limiter counts lines: "access: stream ended",
    "access: stream refused 503". */
inline constexpr std::string_view stream_end_kind = "access: stream ended";
std::string stream_refusal_kind(std::string_view status);

/** Appends `value` as a logfmt value: as it is when non-empty and free of spaces, quotes,
    `=`, backslashes and control characters; else in double quotes, with `"` and `\` escaped
    and control characters as `\xNN`, so that it stays on one line. */
void append_access_value(std::string_view value, std::string& out);

} // namespace sse_server
