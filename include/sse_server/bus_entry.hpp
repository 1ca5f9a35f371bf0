#pragma once

#include "sse_server/event_id.hpp"
#include "sse_server/notification.hpp"
#include "sse_server/redis_client.hpp"

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace sse_server {

/** One entry of the Redis stream that carries the events (SPEC §5): an id, and one field `n`
    whose value is what clients get as `data`. Applications may append entries themselves, so
    every entry is validated like a POST before it becomes an event. */
struct bus_entry
{
    std::optional<event_id> id;        // empty: the reply was not an entry at all
    std::optional<notification> item;  // set when the entry is a valid notification
    std::string_view problem;          // otherwise the kind of fault, for logs and metrics
};

/** The entries of an XRANGE reply, or of the one stream an XREAD reply holds
    (`[[key, entries]]`; nil when a blocking read timed out), in stream order. An `n` longer
    than `max_body_bytes`, missing, not one JSON object, or not a valid notification gives an
    entry with a `problem` and no item. */
std::vector<bus_entry> read_bus_entries(redis_reply const& reply, std::size_t max_body_bytes);

/** The entry list inside an XREAD reply for one stream; empty for nil or a foreign shape. */
redis_reply const* xread_entries(redis_reply const& reply);

} // namespace sse_server
