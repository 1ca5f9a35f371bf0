#pragma once

#include "sse_server/event/event.hpp"

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sse_server {

/** The last events delivered, kept so that a client that lost its connection can resume
    (SPEC §2.5). Entries share the frames already built for live delivery: no second copy of
    any body. Owned by the in-memory event log; single-threaded like it.

    Bounded by `capacity` entries, `max_bytes` (frames and audiences) and `max_age`; the
    oldest go first, whichever bound is reached. Its origin moves with each eviction to the id
    evicted, so that it tells "nothing after this id was lost" from "history after this id is
    gone", and says where history kept elsewhere (the cluster's stream) has to take over. */
class replay_buffer
{
public:
    using clock = std::chrono::steady_clock;

    struct entry : event
    {
        clock::time_point at; // when it was appended, for max_age
    };
    using batch = replay_batch;

    /** `origin` is the position before the first event of this run: ids issued later are
        greater, ids of an earlier run (before a restart) are smaller. */
    replay_buffer(std::size_t capacity, std::size_t max_bytes, std::chrono::milliseconds max_age,
                  event_id origin);

    void append(entry e);
    /** Drops what is older than max_age at `now`. */
    void expire(clock::time_point now);

    /** Where a stream that last saw `last` continues: empty when events after it may be lost
        (an id of another run, a malformed one, a future one, or one older than what was
        evicted); otherwise `last` itself. */
    std::optional<event_id> resume_point(std::string_view last) const;

    /** The entries after `cursor` that `wanted` accepts, in order, up to about `max_bytes` of
        frames (at least one). `complete` when nothing newer is left; `lost` when entries
        after `cursor` were evicted before they could be read. */
    batch read_after(event_id cursor, std::function<bool(event const&)> const& wanted,
                     std::size_t max_bytes) const;

    /** The newest id issued (appended), or the origin when none yet. */
    event_id newest() const { return newest_; }
    /** The position before the first event kept: the start, or the last one evicted. Nothing
        after it is missing; what is at or before it is not here. */
    event_id origin() const { return origin_; }
    /** Whether the events after `cursor` are all here (or were never issued): false for a
        cursor before the origin (an earlier run, or overtaken by eviction). */
    bool covers(event_id cursor) const { return cursor >= origin_; }
    std::size_t size() const { return entries_.size(); }
    /** The bytes kept: frames, and the audiences of the events that have one. */
    std::size_t bytes() const { return bytes_; }

private:
    void evict_front();

    std::size_t capacity_;
    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    std::chrono::milliseconds max_age_;
    event_id origin_;
    event_id newest_;
    std::deque<entry> entries_;
};

} // namespace sse_server
