#pragma once

#include "sse_server/event/notification.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace sse_server {

class registry;

/** What `POST /explain` asks (SPEC §3): would this user's streams receive that notification? */
struct explain_request
{
    std::string user;
    notification item;
};

/** The request, or the reason for a 400, naming the member: `user: must be a string`,
    `notification.audience.users[0]: must be a string or an integer`. */
struct explain_request_result
{
    std::optional<explain_request> value;
    std::string error;
};

/** Reads `{"user":"<id>","notification":{…}}`. The notification is validated exactly as one
    `POST /notify` item is (parse_notifications()); other members are ignored. Linear in the
    body, never throws. */
explain_request_result parse_explain_request(std::string_view body);

/** The 200 body of `POST /explain`: each of the user's streams open here, whether it would
    receive the notification and, if not, why (registry::why_not()). Delivers nothing. */
std::string explain_json(registry& streams, explain_request const& request);

/** The user named by the target of `GET /streams?user=<id>` (percent-decoded), or why not. */
struct streams_query_result
{
    std::optional<std::string> user;
    std::string error;
};
streams_query_result parse_streams_target(std::string_view target);

/** The 200 body of `GET /streams`: a JSON array of the user's streams open here, oldest
    first: origin, events, groups, `opened_at` (ISO-8601 UTC, milliseconds), `unsent_bytes`
    and `credential_kind`; never the credential itself. `now` and `wall_now` are one instant on
    the two clocks: a stream's opening is kept on the monotonic one. */
std::string streams_json(registry& streams, std::string const& user,
                         std::chrono::steady_clock::time_point now,
                         std::chrono::system_clock::time_point wall_now);

} // namespace sse_server
