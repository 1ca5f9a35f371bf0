#pragma once

#include "routing.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sse_server::bench {

/** What a bench notification carries for its receivers to check. */
struct stamp
{
    std::uint64_t seq = 0;     // 0..M-1, unique in a run
    std::uint64_t sent_ns = 0; // steady clock at the moment the POST was written
};

/** Event name number `index`: `bench-<index>`; also the Nchan channel of that name. */
std::string event_name(std::size_t index);

/** The name every stream subscribes to besides its own when a run has broadcasts. */
inline constexpr std::string_view broadcast_name = "bench-all";

/** The Nchan channel of stream `index`'s account events: `user-<index>`. */
std::string user_channel(std::size_t index);

/** The user id the bench gives stream `index` (its API key's value in Redis). */
std::uint64_t user_id_of(std::size_t index);

/** Appends `{"seq":..,"t":..[,"pad":".."]}`: the data every receiver checks; Nchan's whole
    message body. */
void append_data(std::string& out, stamp s, std::size_t padding);

/** Appends notification `s` for sse-server as one JSON object, `r` being its route:
    {"name":"bench-<k>","type":"bench","id":<seq>[,"audience":{..}],"data":{..}} (a broadcast:
    "bench-all", no audience) or, for an account event,
    {"name":"<account_event>","type":"bench","id":<user id>,"data":{..}}.
    `audience_member` (audience_plan.hpp) goes into named notifications only, between the id and
    the data, so that the daemon has to cut it out of the middle of the bytes it forwards. */
void append_notification(std::string& out, stamp s, route r, std::string_view account_event,
                         std::string_view audience_member, std::size_t padding);

/** Finds the stamp in an event's data: the notification as the daemon forwarded it
    (byte for byte, or re-serialised compactly when it came in a batch), or Nchan's message. */
std::optional<stamp> parse_stamp(std::string_view data);

} // namespace sse_server::bench
