#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sse_server {

/** One or more complete SSE events, built once and shared by every connection that sends it. */
using frame_ptr = std::shared_ptr<std::string const>;

/** False when `value` holds CR, LF or NUL: such a value in `id:` or `event:` would let its
    author inject fields or whole events into the stream (CWE-93). */
bool is_safe_field_value(std::string_view value);

/** `id: <id>\nevent: <event>\ndata: <line>\n…\n\n`. `data` is split on CRLF, CR and LF into one
    `data:` line each, so the browser's `event.data` equals `data` with line breaks as `\n`.
    An empty `id` writes no `id:` line (the browser keeps its last event id).
    Empty optional when `id` or `event` is not a safe field value. */
std::optional<std::string> format_event(std::string_view id, std::string_view event,
                                        std::string_view data);

/** `retry: <ms>\n\n`. */
std::string format_retry(std::chrono::milliseconds delay);

/** The `:\n\n` comment that keeps idle streams alive through proxies. */
std::string_view heartbeat_comment();

} // namespace sse_server
