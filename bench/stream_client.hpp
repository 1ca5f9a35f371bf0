#pragma once

#include "latency_histogram.hpp"
#include "options.hpp"
#include "routing.hpp"
#include "sse_server/base/net.hpp"
#include "sse_server/event/event_id.hpp"
#include "stream_parser.hpp"
#include "stream_poller.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sse_server::bench {

using bench_clock = std::chrono::steady_clock;

/** What every stream of a run adds to. */
struct delivery_tally
{
    latency_histogram latency;              // every bench event but the broadcasts
    latency_histogram broadcast_latency;    // the broadcasts' (--broadcast)
    latency_histogram connect;              // TCP connect start -> stream open, in microseconds
    latency_histogram reconnect;            // the same for the reconnects of streams that ended
    std::uint64_t delivered = 0;            // distinct bench events, all streams together
    std::uint64_t broadcasts_delivered = 0; // of them, broadcasts
    std::uint64_t duplicates = 0;           // an event a stream had already received
    // An event id not above the stream's previous one, or (one notifier connection only)
    // a sequence number below one the stream already had on the same name, or account.
    std::uint64_t order_violations = 0;
    std::uint64_t inconsistent_ids = 0; // one notification, two event ids in two streams
    std::uint64_t misrouted = 0;        // an event for a name or user that is not the stream's
    // Any other event, a bench event without stamp or id, or one still carrying the audience
    // the daemon must cut out.
    std::uint64_t unexpected = 0;
    std::uint64_t resyncs = 0; // `resync` events: a resume the daemon could not replay whole
    bench_clock::time_point last_delivery{};
    std::vector<event_id> id_of_seq; // the id the first stream saw for each notification
};

class stream_client;

/** Told when a stream opens, fails or ends; the run implements it. */
class stream_observer
{
public:
    virtual ~stream_observer() = default;
    /** The stream is open: sse-server's `connected` event, or Nchan's response headers. */
    virtual void on_open(stream_client& c) = 0;
    /** The stream never opened: refused, or the connection failed. */
    virtual void on_failed(stream_client& c, std::string const& why) = 0;
    /** An open stream ended or broke. */
    virtual void on_lost(stream_client& c, std::string const& why) = 0;
    /** A read delivered at least one new event. */
    virtual void on_progress() = 0;
    /** A slow stream being drained reached its end (`closed`: the server had closed it) or
        the drain stopped. */
    virtual void on_drained(stream_client& c, bool closed) = 0;
};

/** Where a stream connects and what it checks against; shared by all streams of a run. */
struct stream_setup
{
    server_kind target = server_kind::sse_server;
    tcp::endpoint server;
    router routes{1, 0, 0};
    std::size_t notifications = 0; // M: sequence numbers run from 0 to M-1
    // Only one notifier connection makes the server receive notifications in sequence order;
    // with several, concurrent POSTs have no order and only event ids are checked.
    bool sequence_ordered = true;
    bool audience_checked = false; // events are checked for a leaked audience (audience_plan.hpp)
};

/** One SSE stream of the bench: opens it, parses it, and checks every event against the
    sequence the notifier sends. Owned by the run, which closes it and lets
    io_context::run() return before destroying it, so handlers may capture `this`. */
class stream_client : public event_sink, private readable_target
{
public:
    /** Stream `index` (its user), subscribed to name `name_index`, receiving that name's
        notifications only when `in_audience`; a `slow` one stops reading once open. */
    stream_client(net::io_context& ioc, stream_setup const& setup, std::string request,
                  std::size_t index, std::size_t name_index, bool in_audience, bool slow,
                  stream_poller& poller, std::vector<char>& read_buffer, delivery_tally& tally,
                  stream_observer& observer);

    /** Connects from `source` (any port), sends the request, reads. */
    void start(net::ip::address const& source);
    /** After the stream ended: connects to `server` with `request` (which carries the
        Last-Event-ID) and goes on checking where it stopped. */
    void resume(tcp::endpoint const& server, std::string request, net::ip::address const& source);
    void close();
    /** A slow stream reads (and discards) what waits for it, to its end or until close(). */
    void drain();

    std::size_t index() const { return index_; }
    std::size_t name_index() const { return name_index_; }
    bool in_audience() const { return in_audience_; }
    bool slow() const { return slow_; }
    /** Whether it ever opened. */
    bool opened() const { return opened_; }
    /** Whether it is, or last was, a reconnect of a stream that had opened. */
    bool resuming() const { return resuming_; }
    /** The HTTP status of a refused (re)connect; 0 when no answer came, 200 when it was not
        refused. */
    int status() const { return parser_.status(); }
    /** What a reconnect resumes from, and after how long (stream_parser). */
    std::string const& last_event_id() const { return parser_.last_event_id(); }
    std::optional<std::chrono::milliseconds> retry() const { return parser_.retry(); }
    /** Distinct bench events received so far, and of them account events. */
    std::uint64_t received() const { return received_; }
    /** Bytes read since the stream opened (slow streams: before they ended). */
    std::uint64_t bytes_read() const { return bytes_; }

private:
    enum class phase
    {
        idle,
        opening,
        streaming,
        draining,
        closed
    };

    void connect(tcp::endpoint const& server, net::ip::address const& source);
    void on_connect(error_code ec);
    void on_request_written(error_code ec, std::size_t);
    void on_readable() override;
    void read_stream();
    void read_drain();
    void on_event(sse_event const& e) override;
    void on_bench_event(sse_event const& e);
    void on_opened();
    void end(std::string const& why);

    stream_setup const& setup_;
    tcp::socket socket_; // until the request is written; then fd_, in the poller
    int fd_ = -1;
    stream_poller& poller_;
    std::string request_;
    std::size_t index_;
    std::size_t name_index_;
    bool in_audience_;
    bool slow_;
    std::vector<char>& read_buffer_;
    delivery_tally& tally_;
    stream_observer& observer_;
    stream_parser parser_;
    phase phase_ = phase::idle;
    bool opened_ = false;
    bool resuming_ = false;
    bench_clock::time_point started_at_{};
    bench_clock::time_point read_at_{};
    /** What a stream received of one kind of route: its name's, its user's, the broadcasts. */
    struct received_positions
    {
        std::vector<bool> seen; // by position in that sequence
        std::uint64_t highest = 0;
        bool any = false;
    };

    received_positions& positions_of(route const& r);

    received_positions name_;
    received_positions account_;
    received_positions broadcast_;
    event_id last_id_{};
    std::uint64_t received_ = 0;
    std::uint64_t bytes_ = 0;
};

} // namespace sse_server::bench
