#pragma once

#include "sse_server/bus_reader.hpp"
#include "sse_server/config.hpp"
#include "sse_server/event_log.hpp"
#include "sse_server/net.hpp"
#include "sse_server/redis_client.hpp"
#include "sse_server/replay_buffer.hpp"

#include <boost/asio/steady_timer.hpp>

#include <map>
#include <optional>
#include <string>

namespace sse_server {

struct metrics;

/** The cluster event log (SPEC §5): a Redis stream shared by every daemon. Appending is one
    XADD per item (a batch in one MULTI/EXEC); the stream's entry ids are the event ids. The
    `bus_reader` follows the whole stream; each entry it reads goes to the sink and stays in a
    bounded replay buffer, and a resume from further back is read from the stream in pages.
    When the reader reports entries trimmed before it read them, every open stream gets
    `resync`. Owned by `server`; single-threaded. */
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
    std::optional<not_ready_reason> not_ready() const;

    std::optional<append_result> append(std::vector<notification> const& items,
                                        later<append_result> done) override;
    event_id newest() const override { return history_.newest(); }
    std::optional<resume> resume_point(std::string_view last_event_id,
                                       later<resume> done) override;
    std::optional<replay_batch> read_after(event_id cursor, filter const& wanted,
                                           std::size_t max_bytes,
                                           later<replay_batch> done) override;
    void expire() override;
    std::size_t history_bytes() const override { return history_.bytes(); }
    /** Both connections: the one that appends and the reader's. */
    std::optional<bool> bus_connected() const override
    {
        return writer_.connected() && reader_.connected();
    }

private:
    void forget_before(event_id position);
    void on_entry(event_id id, notification const& n);
    void on_lost();
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
    redis_client writer_; // XADD, XRANGE, XTRIM
    bus_reader reader_;   // the blocking XREADs, on a connection of its own
    net::steady_timer trim_timer_;
    replay_buffer history_; // what the reader read, for resumes
    bool stopped_ = true;
    // Resumes from an id the stream holds but the reader has not reached yet.
    std::multimap<event_id, later<resume>> waiting_resumes_;
};

} // namespace sse_server
