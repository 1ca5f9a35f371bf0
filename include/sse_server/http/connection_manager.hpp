#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <unordered_set>
#include <vector>

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

private:
    friend class connection_manager;
    // The manager's list runs through its connections: no node allocated per connection.
    connection* prev_ = nullptr;
    connection* next_ = nullptr;
};

/** Every open connection of both listeners, so a stop can reach the ones that are not (yet)
    in the registry. Owned by `server`; connections add themselves when they start and remove
    themselves in their destructor. */
class connection_manager
{
public:
    /** When a graceful stop asks a connection to end. */
    enum class stop_phase
    {
        first,        // at once: the streams, and requests on the clients port
        after_streams // once the others are gone: the notification port keeps answering
                      // (/readyz 503, every answer closing its connection) while streams end
    };

    void add(connection& c, stop_phase phase = stop_phase::first);
    void remove(connection& c);

    /** Asks every connection of the first phase to end cleanly; once they are gone,
        `on_streams_closed` runs and the others are asked too; `on_empty` runs once the last
        connection is gone. */
    void shut_down_all(std::function<void()> on_streams_closed, std::function<void()> on_empty);
    /** Lets every connection check its deadline: one sweep instead of a timer per
        connection re-armed on every write. */
    void sweep(connection::clock::time_point now);
    /** Closes whatever is left; returns the number of queued events dropped. */
    std::size_t abort_all();

    bool stopping() const { return stopping_; }
    std::size_t size() const { return size_; }
    /** The open connections a stop asks to end in `phase`: with stop_phase::first, every
        connection of the clients port (reading, authenticating, refused or streaming). */
    std::size_t count(stop_phase phase) const
    {
        return phase == stop_phase::first ? size_ - late_.size() : late_.size();
    }

private:
    void on_removed();
    void shut_down(bool include_late);
    std::vector<connection*> all() const;

    connection* first_ = nullptr; // the open connections, newest first
    std::size_t size_ = 0;
    std::unordered_set<connection*> late_; // the connections of stop_phase::after_streams
    std::function<void()> on_streams_closed_;
    std::function<void()> on_empty_;
    bool stopping_ = false;
};

} // namespace sse_server
