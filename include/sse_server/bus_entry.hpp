#pragma once

#include "sse_server/event_id.hpp"
#include "sse_server/notification.hpp"

#include <cstddef>
#include <optional>
#include <string_view>

namespace sse_server {

/** One entry of the Redis stream that carries the events (SPEC §5): an id, and one field `n`
    whose value is what clients get as `data`. Applications may append entries themselves, so
    every entry is validated like a POST before it becomes an event. */
struct bus_entry
{
    event_id id;
    std::optional<notification> item; // set when the entry is a valid notification
    std::string_view problem;         // otherwise the kind of fault, for logs and metrics
    std::size_t n_bytes = 0;          // the size of `n`
};

inline constexpr std::string_view oversized_problem = "n larger than notify.max_body_bytes";

/** The entry `id` with the field `n` (empty: none, or one of `n_bytes` bytes that was not
    read): its notification when `n` is one notification object of at most `max_body_bytes`
    (exactly as a POST of it would be), else the problem. */
bus_entry check_bus_entry(event_id id, std::optional<std::string_view> n, std::size_t n_bytes,
                          std::size_t max_body_bytes);

} // namespace sse_server
