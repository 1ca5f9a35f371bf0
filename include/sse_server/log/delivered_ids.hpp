#pragma once

#include "sse_server/event/event_id.hpp"

#include <cstddef>
#include <deque>

namespace sse_server {

/** The ids a bus reader delivered last, oldest first, a bounded number of them. A failover to a
    replica that had not received the newest entries (SPEC §6) leaves a stream whose last id
    is below the reader's position, as does a stream re-created under it; only in the first
    case is that last id one the reader delivered. Owned by `bus_reader`. */
class delivered_ids
{
public:
    explicit delivered_ids(std::size_t capacity) : capacity_(capacity) {}

    /** Ids come in increasing order; the oldest goes when it is full. */
    void add(event_id id);
    /** One of the ids kept. */
    bool holds(event_id id) const;
    void clear() { ids_.clear(); }

private:
    std::size_t capacity_;
    std::deque<event_id> ids_;
};

} // namespace sse_server
