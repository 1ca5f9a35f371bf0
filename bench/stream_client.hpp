#pragma once

#include "latency_histogram.hpp"
#include "sse_server/event_id.hpp"
#include "sse_server/net.hpp"
#include "stream_parser.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sse_server::bench {

using bench_clock = std::chrono::steady_clock;

/** What every stream of a run adds to. */
struct delivery_tally
{
    latency_histogram latency;
    std::uint64_t delivered = 0;  // distinct bench events, all streams together
    std::uint64_t duplicates = 0; // an event a stream had already received
    // An event id not above the stream's previous one, or (one notifier connection only)
    // a sequence number below one the stream already had.
    std::uint64_t order_violations = 0;
    std::uint64_t inconsistent_ids = 0; // one notification, two event ids in two streams
    std::uint64_t misrouted = 0;        // an event for a name the stream did not subscribe to
    std::uint64_t unexpected = 0;       // any other event, or a bench event without stamp or id
    bench_clock::time_point last_delivery{};
    std::vector<event_id> id_of_seq; // the id the first stream saw for each notification
};

class stream_client;

/** Told when a stream opens, fails or ends; the run implements it. */
class stream_observer
{
public:
    virtual ~stream_observer() = default;
    /** The `connected` event arrived. */
    virtual void on_open(stream_client& c) = 0;
    /** The stream never opened: refused, or the connection failed. */
    virtual void on_failed(stream_client& c, std::string const& why) = 0;
    /** An open stream ended or broke. */
    virtual void on_lost(stream_client& c, std::string const& why) = 0;
    /** A read delivered at least one new event. */
    virtual void on_progress() = 0;
};

/** Where a stream connects and what it checks against; shared by all streams of a run. */
struct stream_setup
{
    tcp::endpoint server;
    std::size_t events = 1;        // K: notification s is for name s mod K
    std::size_t notifications = 0; // M: sequence numbers run from 0 to M-1
    // Only one notifier connection makes the daemon receive notifications in sequence order;
    // with several, concurrent POSTs have no order and only event ids are checked.
    bool sequence_ordered = true;
};

/** One SSE stream of the bench: opens it, parses it, and checks every event against the
    sequence the notifier sends. Owned by the run, which closes it and lets
    io_context::run() return before destroying it, so handlers may capture `this`. */
class stream_client : public event_sink
{
public:
    stream_client(net::io_context& ioc, stream_setup const& setup, std::string request,
                  std::size_t name_index, std::vector<char>& read_buffer, delivery_tally& tally,
                  stream_observer& observer);

    void start();
    void close();

    std::size_t name_index() const { return name_index_; }
    /** Whether its `connected` event ever arrived. */
    bool opened() const { return opened_; }
    /** Distinct bench events received so far. */
    std::uint64_t received() const { return received_; }

private:
    enum class phase
    {
        idle,
        opening,
        streaming,
        closed
    };

    void on_connect(error_code ec);
    void on_request_written(error_code ec, std::size_t);
    void do_wait();
    void on_readable(error_code ec);
    void on_event(sse_event const& e) override;
    void on_bench_event(sse_event const& e);
    void end(std::string const& why);

    stream_setup const& setup_;
    tcp::socket socket_;
    std::string request_;
    std::size_t name_index_;
    std::vector<char>& read_buffer_;
    delivery_tally& tally_;
    stream_observer& observer_;
    stream_parser parser_;
    phase phase_ = phase::idle;
    bool opened_ = false;
    bench_clock::time_point read_at_{};
    std::vector<bool> seen_; // by position in this name's sequence: s / K
    std::uint64_t highest_ = 0;
    event_id last_id_{};
    std::uint64_t received_ = 0;
};

} // namespace sse_server::bench
