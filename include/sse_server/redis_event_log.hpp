#pragma once

#include "sse_server/config.hpp"
#include "sse_server/event_log.hpp"
#include "sse_server/net.hpp"
#include "sse_server/redis_client.hpp"
#include "sse_server/replay_buffer.hpp"

#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <optional>
#include <string>

namespace sse_server {

struct metrics;

/** The cluster event log (SPEC §5): a Redis stream shared by every daemon. Appending is an
    XADD per item in one MULTI/EXEC; the stream's entry ids are the event ids. A reader on a
    connection of its own follows the whole stream with blocking XREADs from the last entry it
    delivered, validates each entry like a POST, and hands it to the sink; what it read stays in
    a bounded replay buffer, and a resume from further back is read from the stream in pages.

    The reading position is fixed (the stream's last id) before the log reports ready, so
    nothing appended after readiness is missed. After a lost connection it reads on after the
    last entry delivered; when entries it had not read were trimmed meanwhile, every open stream
    gets `resync`. Owned by `server`; single-threaded. */
class redis_event_log final : public event_log
{
public:
    /** Sends one frame to every open stream (the `resync` after a loss). */
    using broadcast = std::function<void(frame_ptr const&)>;

    redis_event_log(net::io_context& ioc, config const& cfg, redis_config const& bus,
                    metrics& stats, sink deliver, broadcast to_all);

    /** Connects both connections, fixes the reading position, then reads until stop(). */
    void start();
    void stop();
    /** Empty when ready (position fixed, bus reachable, the key is a stream); else why not. */
    std::optional<std::string> not_ready() const;

    std::optional<append_result> append(std::vector<notification> const& items,
                                        later<append_result> done) override;
    event_id newest() const override { return history_.newest(); }
    std::optional<resume> resume_point(std::string_view last_event_id,
                                       later<resume> done) override;
    std::optional<replay_batch> read_after(event_id cursor, filter const& wanted,
                                           std::size_t max_bytes,
                                           later<replay_batch> done) override;
    void expire() override;

private:
    void on_reader_state(bool up);
    void do_position();
    void on_position(redis_reply const& type, redis_reply const& info);
    void do_check_gap();
    void on_check_gap(redis_reply const& info, redis_reply const& at_position);
    void do_read();
    void on_read(std::uint64_t generation, bool position_gone, redis_reply const& reply);
    void retry_later(std::string fault);
    void history_lost(std::string_view why);
    void deliver(redis_reply const& entries);
    void read_back(event_id cursor, filter wanted, std::size_t max_bytes,
                   later<replay_batch> done);
    void settle_waiting_resumes();
    void do_trim();

    net::io_context& ioc_;
    config const& cfg_;
    redis_config bus_;
    metrics& stats_;
    sink deliver_;
    broadcast to_all_;
    redis_client writer_; // XADD, XRANGE, XINFO, XTRIM
    redis_client reader_; // blocking XREAD only: a blocked connection serves nothing else
    net::steady_timer retry_timer_;
    net::steady_timer trim_timer_;
    replay_buffer history_;
    std::optional<event_id> position_; // the last entry delivered; empty until fixed
    std::optional<event_id> lost_at_;  // the position when streams last got resync
    bool reading_ = false;
    bool stopped_ = true;
    std::string fault_; // why reading is stuck (wrong key type, …); empty when it is not
    std::set<std::string_view> logged_problems_; // kinds of invalid entries logged once each
    std::uint64_t read_generation_ = 0; // replies to an abandoned read are ignored
    // Resumes from an id the stream holds but this reader has not reached yet.
    std::multimap<event_id, later<resume>> waiting_resumes_;
};

} // namespace sse_server
