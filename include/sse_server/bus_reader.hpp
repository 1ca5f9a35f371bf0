#pragma once

#include "sse_server/config.hpp"
#include "sse_server/event_id.hpp"
#include "sse_server/net.hpp"
#include "sse_server/notification.hpp"
#include "sse_server/readiness.hpp"
#include "sse_server/redis_client.hpp"

#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace sse_server {

struct metrics;

/** Follows the cluster's Redis stream (SPEC §5) on a connection of its own, where it blocks in
    XREAD and serves nothing else. Its position is fixed once, at the stream's last id, before
    it reports ready; from then on it reads after the last entry it delivered, across
    reconnects, so nothing appended after readiness is missed. Every entry is validated like a
    POST; an invalid one is counted, logged once per kind, and skipped.

    When entries it had not read were trimmed (its position is no longer in the stream), it
    says so once through `lost`. Owned by `redis_event_log`; single-threaded. */
class bus_reader
{
public:
    struct handlers
    {
        std::function<void(event_id start)> positioned;                 // once, before any entry
        std::function<void(event_id id, notification const& n)> entry; // valid entries, in order
        std::function<void()> read_done;                                // after each read's entries
        std::function<void(std::string_view why)> lost;                 // unread entries trimmed
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

private:
    void on_state(bool up);
    void do_position();
    void on_position(redis_reply const& type, redis_reply const& info);
    void do_check_gap();
    void on_check_gap(redis_reply const& info, redis_reply const& at_position);
    void do_read();
    void on_read(std::uint64_t generation, bool position_gone, redis_reply const& reply);
    void retry_later(std::string fault);
    void report_loss(std::string_view why);
    void take(redis_reply const& entries);

    config const& cfg_;
    redis_config const& bus_;
    metrics& stats_;
    handlers on_;
    redis_client redis_;
    net::steady_timer retry_timer_;
    std::optional<event_id> position_;
    std::optional<event_id> lost_at_; // the position when the loss was last reported
    bool reading_ = false;
    bool stopped_ = true;
    std::string fault_; // why reading is stuck (wrong key type, …); empty when it is not
    std::set<std::string_view> logged_problems_; // kinds of invalid entries logged once each
    std::uint64_t read_generation_ = 0;          // replies to an abandoned read are ignored
};

} // namespace sse_server
