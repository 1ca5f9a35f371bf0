#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace sse_server::bench {

/** What one run measured; printed as one summary line and one JSON line. */
struct report
{
    std::string label;
    std::size_t connections_requested = 0;
    std::size_t connections_open = 0;   // streams whose `connected` event arrived
    std::size_t connections_failed = 0; // refused or broken before `connected`
    std::size_t streams_lost = 0;       // open streams that ended before the run did
    std::string first_failure;
    double connect_seconds = 0;

    std::uint64_t notifications_requested = 0;
    std::uint64_t notifications_sent = 0;
    std::uint64_t notifications_accepted = 0;
    std::uint64_t posts = 0;
    double rate_requested = 0;
    double notifications_per_second = 0;

    std::uint64_t deliveries_expected = 0; // accepted notifications x streams open on their name
    std::uint64_t deliveries_reported = 0; // the daemon's "recipients", summed
    std::uint64_t events_delivered = 0;    // distinct events received, all streams
    std::uint64_t loss = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t order_violations = 0;
    bool sequence_order_checked = false;
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

    std::optional<std::uint64_t> rss_before_kb;
    std::optional<std::uint64_t> rss_connected_kb;
    std::optional<std::uint64_t> rss_after_kb;
    // While notifications flow: from the first POST to the end of the run.
    double notify_phase_seconds = 0;
    std::optional<double> daemon_cpu_seconds;
    double bench_cpu_seconds = 0;

    double elapsed_seconds = 0;
    bool timed_out = false;
    std::string error;

    /** Every stream opened and stayed, every event arrived exactly once, in order. */
    bool ok() const;
};

std::string summary_line(report const& r);
std::string json_line(report const& r);

} // namespace sse_server::bench
