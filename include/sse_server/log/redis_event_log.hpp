#pragma once

#include "sse_server/base/net.hpp"
#include "sse_server/config/config.hpp"
#include "sse_server/log/bus_reader.hpp"
#include "sse_server/log/event_log.hpp"
#include "sse_server/log/replay_buffer.hpp"
#include "sse_server/redis/redis_client.hpp"

#include <boost/asio/steady_timer.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sse_server {

struct metrics;

/** The cluster event log (SPEC §5): a Redis stream shared by every daemon. Appending is one
    XADD per item (a batch in one MULTI/EXEC); the stream's entry ids are the event ids. The
    `bus_reader` follows the whole stream; each entry it reads goes to the sink and stays in a
    bounded replay buffer, and a resume from further back is read from the stream in pages
    bounded in bytes, on a connection of their own so that posts never wait behind them.
    When the reader reports entries trimmed before it read them, or the stream re-created,
    every open stream gets `resync`. Each trim period it publishes its trim settings beside
    the stream and says when another daemon's differ. Owned by `server`; single-threaded. */
class redis_event_log final : public event_log
{
public:
    /** Sends one frame to every open stream (the `resync` after a loss); how many took it. */
    using broadcast = std::function<std::size_t(frame_ptr const&)>;
    /** Checks the users' streams of this daemon again (a revalidation entry); calls `done`
        once every check is answered. */
    using recheck =
        std::function<void(std::vector<std::string> const& users, std::function<void()> done)>;

    redis_event_log(net::io_context& ioc, config const& cfg, redis_config const& bus,
                    metrics& stats, sink deliver, broadcast to_all, recheck check_users);

    /** Connects both connections, fixes the reading position, then reads until stop(). */
    void start();
    void stop();
    /** Empty when ready (position fixed, bus reachable, the key is a stream); else why not. */
    std::optional<not_ready_reason> not_ready() const;

    std::optional<append_result> append(std::vector<notification> const& items,
                                        later<append_result> done) override;
    /** Appends a revalidation of `users` (field `r`): every daemon checks their streams when
        its reader reaches it, before it delivers anything appended later. `done` gets nothing
        once Redis holds it, else why not; never from within the call. */
    void append_revalidation(std::vector<std::string> const& users,
                             later<std::optional<std::string>> done);
    event_id newest() const override { return history_.newest(); }
    std::optional<resume> resume_point(std::string_view last_event_id,
                                       later<resume> done) override;
    std::optional<replay_batch> read_after(event_id cursor, filter const& wanted,
                                           std::size_t max_bytes,
                                           later<replay_batch> done) override;
    double lag_seconds() const override { return reader_.lag_seconds(); }
    void expire() override;
    std::size_t history_bytes() const override { return history_.bytes(); }
    /** Both connections: the one that appends and the reader's. */
    std::optional<bool> bus_connected() const override
    {
        return writer_.connected() && reader_.connected();
    }

private:
    static event make_event(event_id id, notification const& n);
    void forget_before(event_id position);
    void on_entry(event_id id, notification const& n);
    void on_lost(continuity why);
    void read_back(event_id cursor, filter wanted, std::size_t max_bytes,
                   later<replay_batch> done);
    void settle_waiting_resumes();
    void do_trim();
    void publish_settings();

    net::io_context& ioc_;
    config const& cfg_;
    redis_config bus_;
    metrics& stats_;
    sink deliver_;
    broadcast to_all_;
    recheck check_users_;
    redis_client writer_;      // XADD, XTRIM, the trim settings
    redis_client back_reader_; // resumes: their checks and read-back pages
    std::string const page_digest_; // the page script's name in Redis's script cache
    bus_reader reader_;    // following the stream, on a connection of its own
    net::steady_timer trim_timer_;
    std::string settings_field_;             // this daemon's trim settings, as published
    std::vector<std::string> other_settings_; // the others' differing ones, as last logged
    replay_buffer history_; // what the reader read, for resumes
    bool stopped_ = true;
    // Resumes from an id the stream holds but the reader has not reached yet.
    std::multimap<event_id, later<resume>> waiting_resumes_;
};

} // namespace sse_server
