#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sse_server {

/** What a client asked for in the target of `GET /events?…` (SPEC §2.1, §2.5). */
struct stream_request
{
    std::string path;                         // the target before '?', not decoded
    std::vector<std::string> events;          // distinct names, in the order first given
    std::optional<std::string> origin;        // `origin=`, validated
    std::optional<std::string> last_event_id; // `lastEventId=` (polyfills), decoded
    std::optional<std::string> api_key;       // `api_key=`, decoded, not validated here
};

/** The parsed request, or the plain-text reason for a 400. */
struct stream_request_result
{
    stream_request request;
    std::optional<std::string> error; // e.g. `invalid event name "a b"`
};

/** Parses the request target. `events=` may repeat and holds comma-separated names; empty
    pieces are skipped; duplicates are removed; unknown parameters are ignored. `+` is a literal
    plus sign, not a space. */
stream_request_result parse_stream_target(std::string_view target, std::size_t max_subscriptions);

/** Decodes %XX escapes (`+` is left as is). Empty optional on a malformed escape. */
std::optional<std::string> percent_decode(std::string_view text);

/** The target as it may be logged: every `api_key` value replaced by `REDACTED` (an API key
    in a URL must never reach a log). */
std::string redact_target(std::string_view target);

/** `[A-Za-z0-9_-]{1,64}`: the grammar of a client's origin id. */
bool is_valid_origin(std::string_view origin);

} // namespace sse_server
