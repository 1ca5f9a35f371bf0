#pragma once

#include "sse_server/ops/process_metrics.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sse_server {

/** A counter split by one label (`reason`, `outcome`, …). Every value the daemon can count is
    pre-declared, so that each series exists at 0 from the start and `rate()` and alerts work
    before the first event; a value not declared still appears once counted. */
class labeled_counter
{
public:
    labeled_counter(std::string_view label, std::initializer_list<std::string_view> known);
    void inc(std::string_view value, std::uint64_t n = 1);
    std::uint64_t get(std::string_view value) const;
    void render(std::string& out, std::string_view name) const;

private:
    std::string label_;
    std::map<std::string, std::uint64_t, std::less<>> values_;
};

/** A Prometheus histogram with fixed buckets in seconds. */
class histogram
{
public:
    static constexpr std::array<double, 13> bounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                   0.005,  0.01,    0.025,  0.05,  0.1,
                                                   0.25,   0.5,     1.0};
    void observe(double seconds);
    void render(std::string& out, std::string_view name) const;
    std::uint64_t count() const { return count_; }

private:
    std::array<std::uint64_t, bounds.size()> buckets_{};
    std::uint64_t count_ = 0;
    double sum_ = 0;
};

/** Every number the daemon exposes on GET /metrics. Owned by `server`; plain counters, since
    one thread touches them. */
struct metrics
{
    std::int64_t connections = 0;  // open SSE streams: the registry's size, read at each scrape
    std::int64_t queued_bytes = 0; // frames queued to streams and not yet written
    labeled_counter connections_closed{"reason",
                                       {"client_gone", "slow_consumer", "send_timeout",
                                        "revalidation", "revoked", "shutdown", "max_lifetime",
                                         "expired"}};
    labeled_counter auth{"outcome", {"ok", "unauthorized", "forbidden", "unavailable"}};
    // The auth hook (SPEC §2.2a): each request to it by what came of it ("busy": none was
    // made, too many waited), and each check by where its answer came from.
    labeled_counter hook_requests{"result",
                                  {"ok", "unauthorized", "forbidden", "error", "malformed",
                                   "oversized", "timeout", "failed", "busy"}};
    labeled_counter hook_lookups{"result", {"hit", "joined", "miss", "revalidation"}};
    labeled_counter notifications{
        "result", {"accepted", "invalid", "too_large", "unauthorized", "unavailable"}};
    std::uint64_t events_delivered = 0;
    std::uint64_t slow_consumer_closes = 0;
    labeled_counter replay{"result", {"replayed", "resync"}};
    // Every `resync` sent, per stream: a resume whose history is gone, entries trimmed before
    // this daemon read them, the bus stream re-created behind its position.
    labeled_counter resyncs{"cause", {"resume", "bus_trimmed", "bus_recreated"}};
    labeled_counter revalidations{"outcome", {"valid", "gone", "revoked", "unavailable"}};
    // Every status each port refuses a request with (client_session, stream_admission;
    // notify_handler, notify_session), and `timeout`: a request cut at client.header_timeout.
    // metrics_test finds each one the sources count declared here.
    labeled_counter client_refused{"status",
                                   {"400", "401", "403", "404", "405", "429", "431", "503", "timeout"}};
    labeled_counter notify_refused{"status", {"400", "401", "404", "405", "413", "431", "503"}};
    // Connections to the notification or metrics port closed at once: the port held its cap.
    labeled_counter admin_connections_refused{"port", {"notify", "metrics"}};
    bool redis_up = false;            // the Redis of sessions and keys: role="sessions"
    std::optional<bool> bus_redis_up; // cluster mode, the bus's Redis: role="bus" (set when
                                      // rendered: both of its connections up)
    histogram fanout_seconds;
    // Cluster mode (SPEC §5): entries read from the Redis stream, and how far behind it this
    // daemon delivers.
    labeled_counter cluster_entries{"result", {"delivered", "invalid", "oversized"}};
    double cluster_lag_seconds = 0; // set when rendered
    bool cluster_trim_settings_mismatch = false; // another daemon trims the stream differently
    std::uint64_t replay_bytes = 0; // frames kept for resumes (set when rendered)

    process_sampler process; // the process_* figures, sampled when rendered

    /** The Prometheus text exposition (format 0.0.4), with the process_* figures of this
        process sampled now. */
    std::string render();
};

} // namespace sse_server
