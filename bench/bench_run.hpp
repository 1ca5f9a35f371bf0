#pragma once

#include "audience_plan.hpp"
#include "notifier.hpp"
#include "options.hpp"
#include "proc_stats.hpp"
#include "reconnect_queue.hpp"
#include "report.hpp"
#include "sse_server/base/net.hpp"
#include "stream_client.hpp"
#include "stream_credentials.hpp"

#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace sse_server::bench {

/** One benchmark run: opens the streams, holds them, lets the notifier post, checks that
    every accepted notification reaches every stream it is routed to, drains the slow streams,
    and ends when all that is done, on an error, or at the duration cap. Lives in main, around
    io_context::run(); everything it starts has finished when run() returns. */
class bench_run : private stream_observer, private notify_observer
{
public:
    bench_run(net::io_context& ioc, options const& o);

    void start();
    report result() const;

private:
    void on_open(stream_client& c) override;
    void on_failed(stream_client& c, std::string const& why) override;
    void on_lost(stream_client& c, std::string const& why) override;
    void on_progress() override;
    void on_drained(stream_client& c, bool closed) override;
    void on_accepted(std::uint64_t first, std::size_t count,
                     std::optional<std::uint64_t> recipients) override;
    void on_notify_failed(std::string const& why) override;

    /** Stream `index`'s credential header line (none for Nchan). */
    std::string credential_of(std::size_t index) const;
    /** The GET of stream `index`; `credential`: its header line (stream_credentials). */
    std::string request_for(std::size_t index, std::size_t name, bool in_audience,
                            std::string const& credential) const;
    /** The stream's request again, resuming from its last event id. */
    std::string resume_request(stream_client const& c) const;
    /** An open stream that ended, or a reconnect that failed: wait, then reconnect, unless
        its attempts are used up. */
    void schedule_reconnect(stream_client& c, std::string const& why);
    void reconnect(std::size_t index);
    void on_reconnect_failed(stream_client& c, std::string const& why);
    void on_back(stream_client& c);
    /** A stream gone for good: what it did not receive is loss. */
    void forget(stream_client& c, std::string const& why);
    /** Accepted notifications stream `c` must receive: its name's (when the audience reaches
        it) and its user's. */
    std::uint64_t expected_for(stream_client const& c) const;
    net::ip::address source_for(std::size_t index) const;
    void open_next();
    void on_opening_done();
    void start_notifying();
    /** Creates `path` holding `text`, whole: whoever waits for it never sees half of it. */
    static std::optional<std::string> write_file(std::string const& path, std::string const& text);
    /** Once every open stream has every broadcast, the broadcast file says so. */
    void check_broadcasts();
    /** The first POST, or (receive-only) when the streams were ready for another's. */
    bench_clock::time_point posting_began() const;
    void check_done();
    void end_notify_phase();
    void start_drain();
    void sample_server();
    void finish(std::string error);

    options const& opts_;
    stream_credentials credentials_; // a reconnect presents the stream's credential again
    audience_plan audience_;
    stream_setup setup_;
    tcp::endpoint notify_endpoint_;
    std::vector<char> read_buffer_;
    delivery_tally tally_;
    stream_poller poller_;
    std::vector<std::unique_ptr<stream_client>> clients_;
    notifier notifier_;
    net::steady_timer deadline_;
    net::steady_timer phase_timer_; // the hold before posting, then the slow streams' drain
    net::steady_timer sampler_;     // the server's peak RSS
    // --reconnect-to: where streams that end go, when, and what came of it.
    std::vector<tcp::endpoint> reconnect_endpoints_;
    reconnect_queue reconnects_;
    std::mt19937_64 jitter_;
    std::vector<std::uint8_t> reconnect_attempts_; // by stream, over the run
    std::vector<std::uint8_t> reconnect_failures_; // by stream, since it was last open
    std::uint64_t streams_moved_ = 0;              // open streams that ended and reconnect
    std::uint64_t streams_back_ = 0;
    std::size_t away_ = 0; // ended, not yet back, not given up
    std::uint64_t reconnects_tried_ = 0;
    std::map<int, std::uint64_t> reconnects_refused_; // by HTTP status
    std::uint64_t reconnect_errors_ = 0;              // no answer: connect or read failed
    bool back_file_written_ = false;
    bench_clock::time_point first_loss_at_{};
    bench_clock::time_point first_reconnect_at_{};
    bench_clock::time_point last_back_at_{};

    std::size_t next_client_ = 0;
    std::size_t opened_ = 0;
    std::size_t failed_ = 0;
    std::size_t lost_ = 0;
    std::size_t slow_opened_ = 0;
    std::size_t slow_drained_ = 0;
    std::size_t slow_closed_ = 0;
    std::string first_failure_;
    std::vector<std::uint64_t> accepted_per_name_;
    std::vector<std::uint64_t> accepted_per_user_;
    std::vector<std::size_t> live_per_name_; // open, reading, and reached by the audience
    std::vector<char> live_;                 // by stream: open, reading, not lost
    std::size_t live_count_ = 0;
    std::uint64_t accepted_broadcasts_ = 0;
    bool broadcast_file_written_ = false;
    std::uint64_t accepted_ = 0;
    std::uint64_t recipients_ = 0;
    bool recipients_known_ = true;
    // Deliveries still possible: accepted notifications times live streams they are routed
    // to, and what streams lost since have received.
    std::uint64_t expected_live_ = 0;
    std::uint64_t received_by_lost_ = 0;

    bool notify_phase_over_ = false;
    bool finished_ = false;
    bool timed_out_ = false;
    std::string error_;
    bench_clock::time_point began_{};
    bench_clock::time_point all_open_at_{};
    bench_clock::time_point ready_at_{};
    bench_clock::time_point last_accept_{};
    bench_clock::time_point notify_over_at_{};
    bench_clock::time_point finished_at_{};
    process_sample server_before_;
    process_sample server_connected_;
    process_sample server_after_;
    std::uint64_t server_rss_max_kb_ = 0;
    double own_cpu_connected_ = 0;
    double own_cpu_after_ = 0;
};

} // namespace sse_server::bench
