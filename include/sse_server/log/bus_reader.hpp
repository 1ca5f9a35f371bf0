#pragma once

#include "sse_server/base/net.hpp"
#include "sse_server/config/config.hpp"
#include "sse_server/event/event_id.hpp"
#include "sse_server/event/notification.hpp"
#include "sse_server/log/bus_entry.hpp"
#include "sse_server/log/bus_page.hpp"
#include "sse_server/log/bus_wakeup.hpp"
#include "sse_server/log/delivered_ids.hpp"
#include "sse_server/ops/log_limiter.hpp"
#include "sse_server/ops/readiness.hpp"
#include "sse_server/redis/redis_client.hpp"

#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sse_server {

struct metrics;

/** Follows the cluster's Redis stream (SPEC §5) on a connection of its own. Its position is
    fixed once, at the stream's last id, before it reports ready; from then on it reads after
    the last entry it delivered, across reconnects, so nothing appended after readiness is
    missed.

    Every read is one page script (`bus_page`): bounded in bytes and entries, with the bodies of
    entries too large to deliver left in Redis, and with the check that nothing before the page
    was trimmed unread in the same atomic step. Between pages it waits for `bus_wakeup`'s
    payload-free signal (or polls when Redis cannot track keys). A page's entries are validated
    and delivered a bounded slice per loop turn, so that health checks, posts and streams are
    served while a backlog is read. An invalid or oversized entry is counted, logged (at most
    once per 10 s per kind, with a count) and skipped.

    When entries it had not read were trimmed, or the stream was re-created behind its
    position, it says so once through `lost`. So it does when a failover to a replica that had
    not received the newest entries (SPEC §6) took away entries it delivered (the stream's last
    id is one it delivered, below its position: it goes on from there, nothing twice) or
    entries Redis had acknowledged to this daemon's appends (a read passes or ends below them
    without them). Entries acknowledged to other daemons and lost before any reader read them
    leave no trace it could see.
    Owned by `redis_event_log`; single-threaded. Its members are defined by concern:
    bus_reader.cpp connecting and reading, bus_reader_deliver.cpp delivering,
    bus_reader_failover.cpp what a failover may have taken. */
class bus_reader
{
public:
    struct handlers
    {
        std::function<void(event_id start)> positioned;                 // once, before any entry
        std::function<void(event_id id, notification const& n)> entry; // valid entries, in order
        std::function<void()> read_done; // after each slice of entries
        std::function<void(continuity why)> lost; // `trimmed`, `recreated` or `rolled_back`
        // A revalidation entry: the users' streams are checked again; reading goes on once
        // `done` is called.
        std::function<void(std::vector<std::string> const& users, std::function<void()> done)>
            revalidate;
    };

    bus_reader(net::io_context& ioc, config const& cfg, redis_config const& bus, metrics& stats,
               handlers on);

    void start();
    void stop();
    /** The last entry delivered (or the start); empty until the position is fixed. */
    std::optional<event_id> position() const { return position_; }
    bool connected() const { return redis_.connected(); }
    /** Empty when reading (position fixed, connected, the key is a stream); else why not. */
    std::optional<not_ready_reason> not_ready() const;
    /** An id appended through this daemon: the stream holds at least that much. */
    void note_appended(event_id id);
    /** Seconds from the last entry delivered to the newest entry known (to now while a read
        stopped at its bound); 0 when caught up. Valid while a read is outstanding or failing. */
    double lag_seconds() const;

private:
    void on_state(bool up);
    void on_wakeup_ready(std::optional<std::string> const& client_id);
    void do_track();
    void on_changed();
    void do_read();
    /** The stream changed while a page was read: the next read, at most one per
        min_read_gap while appends keep coming. */
    void read_again();
    void on_page(std::uint64_t generation, redis_reply const& reply);
    void position_at(stream_facts const& facts);
    bool follow_on(bus_page& page); // false: the stream is read again from another position
    bool rolled_back(stream_facts const& facts); // true: it goes on after the stream's last id
    /** Acknowledged entries below `id` (inclusive with `through`) that no read brought are
        gone: forgets them, and says so. */
    void settle_acks(event_id id, bool through);
    void deliver(std::uint64_t generation);
    void skip(bus_entry const& entry);
    void do_wait();
    void retry_later(std::string fault);
    void report_loss(continuity why);

    // Delivered ids kept to recognise a stream a failover set back: more than a switch loses at
    // the rates the bus takes (bench/README.md), 16 bytes each.
    static constexpr std::size_t delivered_kept = 16384;
    // Under a flood of appends each page would bring a handful of entries, and every page
    // script holds Redis's loop for tens of µs, delaying the appends' replies: reading at
    // most once per gap brings more entries per script, for at most this much latency.
    static constexpr std::chrono::microseconds min_read_gap{1000};

    net::io_context& ioc_;
    config const& cfg_;
    redis_config const& bus_;
    metrics& stats_;
    handlers on_;
    redis_client redis_;
    bus_wakeup wakeup_;
    net::steady_timer timer_; // the wait between pages, or the retry after a fault
    std::string const page_digest_; // the page script's name in Redis's script cache
    std::optional<event_id> position_;
    std::optional<event_id> anchor_; // the last entry read whose size is known to be small
    std::optional<std::uint64_t> ordinal_; // entries ever appended up to the position
    event_id newest_known_;
    event_id start_;                 // where reading began: appends before it are not for us
    std::set<event_id> unread_acks_; // appends Redis acknowledged to this daemon, not read yet
    event_id acks_asked_;            // the newest of them when the read under way was asked for
    delivered_ids delivered_;
    std::uint64_t caught_up_ms_ = 0; // when it last had everything the stream held (clock ms)
    std::uint64_t asked_ms_ = 0;     // when the read under way was asked for
    net::steady_timer::time_point read_at_; // when the last page was asked for (steady)
    bool backlog_ = false; // the last page stopped at its bound
    std::vector<bus_page_entry> page_;
    std::size_t page_next_ = 0;
    bool reading_ = false;   // a page script is outstanding, or its entries are being delivered
    bool changed_ = false;   // the stream changed since the page being read was asked for
    std::optional<std::string> wakeup_id_; // the connection that tracking redirects to
    bool tracking_ = false;  // this connection's key tracking is on
    bool stopped_ = true;
    std::string fault_; // why reading is stuck (wrong key type, …); empty when it is not
    log_limiter skipped_log_;
    std::uint64_t read_generation_ = 0; // replies to an abandoned read are ignored
};

} // namespace sse_server
