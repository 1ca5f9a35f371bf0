#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <unordered_set>

namespace sse_server {

/** A live connection of either port, as seen by a graceful stop. */
class connection
{
public:
    using clock = std::chrono::steady_clock;

    virtual ~connection() = default;
    /** Ends the connection cleanly: finish what is being written, then close. */
    virtual void shut_down() = 0;
    /** Closes at once; returns how many accepted events were still queued (now lost). */
    virtual std::size_t abort() = 0;
    /** Closes the connection when a deadline of its own (header, send) passed before `now`. */
    virtual void check_deadline(clock::time_point /*now*/) {}
};

/** Every open connection of both listeners, so a stop can reach the ones that are not (yet)
    in the registry. Owned by `server`; connections add themselves when they start and remove
    themselves in their destructor. */
class connection_manager
{
public:
    void add(connection& c);
    void remove(connection& c);

    /** Asks every connection to end cleanly; `on_empty` runs once the last one is gone. */
    void shut_down_all(std::function<void()> on_empty);
    /** Lets every connection check its deadline: one sweep instead of a timer per
        connection re-armed on every write. */
    void sweep(connection::clock::time_point now);
    /** Closes whatever is left; returns the number of queued events dropped. */
    std::size_t abort_all();

    bool stopping() const { return stopping_; }
    std::size_t size() const { return connections_.size(); }

private:
    std::unordered_set<connection*> connections_;
    std::function<void()> on_empty_;
    bool stopping_ = false;
};

} // namespace sse_server
