#pragma once

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

/** Event name number `index`: `bench-<index>`. */
std::string event_name(std::size_t index);

/** Appends notification `seq` as one JSON object:
    {"name":"bench-<seq mod events>","type":"bench","id":<seq>,"data":{"seq":..,"t":..,"pad":".."}}
 */
void append_notification(std::string& out, stamp s, std::size_t events, std::size_t padding);

/** Finds the stamp in an event's data: the notification as the daemon forwarded it
    (byte for byte, or re-serialised compactly when it came in a batch). */
std::optional<stamp> parse_stamp(std::string_view data);

} // namespace sse_server::bench
