#pragma once

#include "sse_server/config.hpp"
#include "sse_server/event_id.hpp"
#include "sse_server/notification.hpp"
#include "sse_server/replay_buffer.hpp"
#include "sse_server/sse_frame.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sse_server {

/** Something the registry hands frames to: an sse_session, or a fake in tests.
    Its user id and subscriptions do not change while it is subscribed. */
class subscriber
{
public:
    virtual ~subscriber() = default;
    virtual std::string const& user_id() const = 0;
    virtual std::vector<std::string> const& events() const = 0;
    /** Queues the frame, or closes the connection when it cannot keep up. Returns whether
        the frame was queued (not when the stream is ending, catching up or just closed).
        Must not unsubscribe or destroy anything synchronously: the registry may be iterating. */
    virtual bool send(frame_ptr const& frame) = 0;
    /** Sends `comment` when nothing was written since the previous call (heartbeats). */
    virtual void keep_alive(frame_ptr const& comment) = 0;
    /** Checks its credentials again; ends the stream when they are gone. */
    virtual void revalidate() = 0;
};

/** What publish() did with one notification. */
struct publish_result
{
    std::string event_id;
    std::size_t recipients = 0; // streams that have the frame queued
};

/** Who listens to what, and the one place where a notification becomes bytes.

    Owned by `server`, shared by both listeners. Single-threaded: every call happens on the
    io_context thread, so plain pointers are safe and nothing is locked. A subscriber
    subscribes once its stream starts and unsubscribes in its destructor. */
class registry
{
public:
    /** Replay history is bounded by `replay` (capacity, max_bytes, max_age). */
    registry(std::string account_event, replay_config const& replay);

    void subscribe(subscriber& s);
    void unsubscribe(subscriber& s);

    /** Formats `n` once and queues the same frame to every connection that subscribed to
        `n.name`, or whose user is `n.id` when `n.name` is the account event; never twice. */
    publish_result publish(notification const& n);

    /** Calls `f(subscriber&)` for every subscriber; `f` must not unsubscribe. */
    template <class F>
    void for_each(F&& f)
    {
        for (auto& [user, set] : by_user_)
            for (auto* s : set)
                f(*s);
    }

    std::size_t size() const { return size_; }
    std::size_t connections_of(std::string const& user_id) const;

    /** Where a stream resuming after `last_event_id` continues; empty when it may have missed
        events (it then gets `resync`). */
    std::optional<event_id> resume_point(std::string_view last_event_id);
    /** The next kept events after `cursor` that `s` would have received live. */
    replay_buffer::batch replay_after(event_id cursor, subscriber const& s,
                                      std::size_t max_bytes) const;
    /** The id of the newest event published (the position of a stream that is up to date). */
    event_id newest() const { return replay_.newest(); }
    /** Forgets events older than replay.max_age. */
    void expire_history();

private:
    using subscriber_set = std::unordered_set<subscriber*>;

    std::string account_event_;
    std::unordered_map<std::string, subscriber_set> by_event_;
    std::unordered_map<std::string, subscriber_set> by_user_;
    std::size_t size_ = 0;
    event_id_generator ids_;
    replay_buffer replay_;
};

} // namespace sse_server
