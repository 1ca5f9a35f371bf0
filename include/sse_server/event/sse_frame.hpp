#pragma once

#include "sse_server/event/event_id.hpp"

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

/** The heartbeat of a stream that is up to date with `cursor` (SPEC §2.3): `id: <cursor>` and a
    blank line, no `data:`. A browser takes the id as its `lastEventId` without firing an
    event, so a client idle past replay.max_age still resumes from a recent id. */
std::string format_cursor_heartbeat(event_id cursor);

/** What the sweep offers each quiet stream; the same two buffers for every stream. */
struct heartbeat
{
    frame_ptr comment; // always set
    frame_ptr cursor;  // the newest event's id; null until the daemon has issued an event
};

} // namespace sse_server
