#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace sse_server::bench {

/** What one run measured; printed as one summary line and one JSON line. */
struct report
{
    std::string label;
    std::string target; // "sse-server" or "nchan"
    bool receive_only = false; // another process posted: no notifications/s of its own
    std::size_t connections_requested = 0;
    std::size_t connections_open = 0;   // streams that opened
    std::size_t connections_failed = 0; // refused or broken before opening
    std::size_t streams_lost = 0;       // open streams (not slow) that ended before the run did
    std::string first_failure;
    double connect_seconds = 0; // first connect to the last stream open
    double connect_p50_ms = 0;  // per stream: TCP connect start -> open
    double connect_p99_ms = 0;
    double connect_max_ms = 0;
    // --reconnect-to: open streams that ended and reconnected (a storm when their daemon died).
    bool reconnecting = false;
    std::uint64_t streams_moved = 0; // losses of open streams that then reconnected
    std::uint64_t streams_back = 0;  // of them, open again
    std::uint64_t reconnect_attempts = 0;
    std::map<int, std::uint64_t> reconnects_refused; // by HTTP status
    std::uint64_t reconnect_errors = 0;              // no answer (connect or read failed)
    std::optional<double> storm_seconds;             // the first loss -> the last stream back
    std::optional<double> reconnect_window_seconds;  // the first reconnect -> the last back
    double reconnect_p50_ms = 0; // per reconnect: TCP connect start -> open (replay ahead)
    double reconnect_p99_ms = 0;
    double reconnect_max_ms = 0;
    std::uint64_t resyncs = 0; // `resync` events: the daemon could not replay what was missed

    std::uint64_t notifications_requested = 0;
    std::uint64_t notifications_sent = 0;
    std::uint64_t notifications_accepted = 0;
    std::uint64_t posts = 0;
    double rate_requested = 0;
    std::size_t batch = 1;
    std::size_t pipeline = 1;
    std::size_t notify_connections = 1;
    double notifications_per_second = 0;

    std::uint64_t deliveries_expected = 0; // accepted notifications x reading streams routed to
    std::optional<std::uint64_t> deliveries_reported; // sse-server's "recipients", summed
    std::uint64_t events_delivered = 0;               // distinct events received, all streams
    std::uint64_t loss = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t order_violations = 0;
    bool sequence_order_checked = false;
    bool ids_checked = false;
    std::uint64_t inconsistent_ids = 0;
    std::uint64_t misrouted = 0;
    std::uint64_t unexpected = 0;
    double deliveries_per_second = 0;

    double latency_p50_ms = 0;
    double latency_p90_ms = 0;
    double latency_p99_ms = 0;
    double latency_p999_ms = 0;
    double latency_max_ms = 0;
    double latency_mean_ms = 0;
    // The broadcasts' (--broadcast), apart from the above: their max is a fan-out's time.
    std::size_t broadcasts = 0;
    double broadcast_latency_p50_ms = 0;
    double broadcast_latency_max_ms = 0;

    std::size_t slow_requested = 0;
    std::size_t slow_opened = 0;
    std::size_t slow_closed = 0;  // by the server, as seen when the bench read them at the end
    bool slow_must_close = false; // sse-server promises it (client.max_pending_bytes)
    std::uint64_t slow_bytes_max = 0;
    double slow_bytes_mean = 0;

    std::optional<std::uint64_t> rss_before_kb;
    std::optional<std::uint64_t> rss_connected_kb;
    std::optional<std::uint64_t> rss_after_kb;
    std::optional<std::uint64_t> rss_max_kb; // sampled every 100 ms
    // While notifications flow: from the first POST to the last delivery checked.
    double notify_phase_seconds = 0;
    std::optional<double> server_cpu_seconds;
    // While the streams opened: from the first connect to the last stream open (and the
    // --hold after it).
    std::optional<double> server_connect_cpu_seconds;
    double bench_cpu_seconds = 0;

    double elapsed_seconds = 0;
    bool timed_out = false;
    std::string error;

    /** Every stream opened and stayed (or, reconnecting, came back without a refusal or a
        resync), every event arrived exactly once, in order, and the slow streams were closed
        where the server promises it. */
    bool ok() const;
    /** The bench used at least 90 % of a core while notifications flowed: the figures may
        measure the bench rather than the server. */
    bool generator_saturated() const;
};

std::string summary_line(report const& r);
std::string json_line(report const& r);

} // namespace sse_server::bench
