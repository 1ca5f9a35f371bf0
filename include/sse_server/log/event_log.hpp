#pragma once

#include "sse_server/event/event.hpp"
#include "sse_server/event/notification.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sse_server {

/** Where accepted notifications become events: it gives them their ids, keeps their history
    and answers "what came after id X" for resuming streams (SPEC §2.5, §5). The one seam
    between the two cluster modes: kept in this process's memory (standalone), or a Redis
    stream that several daemons share. The registry matches and fans out; the log decides
    what exists and in which order.

    Every event the log commits goes to its sink exactly once, in id order: at once for the
    in-memory log, when read back from the stream for Redis.

    Calls that may need a round trip to Redis follow one rule: they return the result when it
    is known at once; otherwise they return nothing and call `done` later from the io_context,
    never from within the call itself. Single-threaded like the rest of the daemon. */
class event_log
{
public:
    /** Hands one event to the streams; returns how many queued it. */
    using sink = std::function<std::size_t(event const&)>;
    /** Which events a stream would have received live (the registry's rule). */
    using filter = std::function<bool(event const&)>;

    struct append_result
    {
        std::vector<std::string> ids;           // each item's event id, in order
        std::optional<std::size_t> recipients;  // streams of this daemon that queued them, when
                                                // delivered before the answer (standalone)
        std::optional<std::string> unavailable; // set: nothing was appended, and why
    };

    /** Where a resuming stream continues: after `from`, or nowhere (`resync`) when events it
        wanted may be gone. */
    struct resume
    {
        std::optional<event_id> from;
    };

    template <class T>
    using later = std::function<void(T)>;

    event_log() = default;
    virtual ~event_log() = default;
    event_log(event_log const&) = delete;
    event_log& operator=(event_log const&) = delete;

    /** Appends the items in order, all of them or none. */
    virtual std::optional<append_result> append(std::vector<notification> const& items,
                                                later<append_result> done) = 0;

    /** The newest event this daemon has delivered: where a stream that is up to date stands. */
    virtual event_id newest() const = 0;

    /** Where a stream that last saw `last_event_id` continues. */
    virtual std::optional<resume> resume_point(std::string_view last_event_id,
                                               later<resume> done) = 0;

    /** The next events after `cursor` that `wanted` accepts, in order, about `max_bytes` of
        frames at most (at least one). */
    virtual std::optional<replay_batch> read_after(event_id cursor, filter const& wanted,
                                                   std::size_t max_bytes,
                                                   later<replay_batch> done) = 0;

    /** How far behind the shared history this daemon delivers, in seconds (0 when it is the
        history itself, standalone). */
    virtual double lag_seconds() const { return 0; }

    /** Forgets history older than replay.max_age; called by the periodic sweep. */
    virtual void expire() = 0;

    /** The bytes of frames this daemon keeps in memory for resumes. */
    virtual std::size_t history_bytes() const = 0;

    /** Whether the Redis that carries the log is reachable; empty when there is none. */
    virtual std::optional<bool> bus_connected() const { return std::nullopt; }
};

} // namespace sse_server
