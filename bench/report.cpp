#include "report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sse_server::bench {

namespace {

double round3(double v)
{
    return static_cast<double>(static_cast<long long>(v * 1000 + (v >= 0 ? 0.5 : -0.5))) / 1000;
}

template <typename T> nlohmann::ordered_json or_null(std::optional<T> v)
{
    return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

std::optional<double> rss_per_stream(report const& r)
{
    if (!r.rss_before_kb || !r.rss_connected_kb || r.connections_open == 0)
        return std::nullopt;
    return (static_cast<double>(*r.rss_connected_kb) - static_cast<double>(*r.rss_before_kb)) /
           static_cast<double>(r.connections_open);
}

std::string refusals(report const& r)
{
    std::string out;
    for (auto const& [status, n] : r.reconnects_refused)
        out += fmt::format("{}{} x {}", out.empty() ? "" : ", ", n, status);
    return out.empty() ? "none" : out;
}

std::string reconnect_summary(report const& r)
{
    return fmt::format(
        "; {} streams ended and reconnected, {} back{} ({} attempts; refused: {}; "
        "no answer: {}; reconnect ms p50 {:.2f} p99 {:.2f} max {:.2f})",
        r.streams_moved, r.streams_back,
        r.storm_seconds ? fmt::format(" {:.2f}s after the first ended", *r.storm_seconds) : "",
        r.reconnect_attempts, refusals(r), r.reconnect_errors, r.reconnect_p50_ms,
        r.reconnect_p99_ms, r.reconnect_max_ms);
}

} // namespace

bool report::ok() const
{
    return error.empty() && !timed_out && connections_failed == 0 && streams_lost == 0 &&
           loss == 0 && duplicates == 0 && order_violations == 0 && inconsistent_ids == 0 &&
           misrouted == 0 && unexpected == 0 && notifications_accepted == notifications_requested &&
           (!slow_must_close || slow_closed == slow_requested) && streams_back == streams_moved &&
           reconnects_refused.empty() && reconnect_errors == 0 && resyncs == 0;
}

bool report::generator_saturated() const
{
    return notify_phase_seconds > 0 && bench_cpu_seconds / notify_phase_seconds >= 0.9;
}

std::string summary_line(report const& r)
{
    auto line = fmt::format(
        "{}{}: {}/{} streams open in {:.2f}s (connect ms p50 {:.2f} p99 {:.2f} max {:.2f}); "
        "{} notifications {} ({:.0f}/s); {}/{} deliveries ({:.0f}/s); loss {}, "
        "duplicates {}, out of order {}; latency ms p50 {:.2f} p90 {:.2f} p99 {:.2f} "
        "p99.9 {:.2f} max {:.2f}",
        r.label.empty() ? "" : "[" + r.label + "] ", r.target, r.connections_open,
        r.connections_requested, r.connect_seconds, r.connect_p50_ms, r.connect_p99_ms,
        r.connect_max_ms, r.notifications_accepted,
        r.receive_only ? "expected from another process" : "accepted", r.notifications_per_second,
        r.events_delivered,
        r.deliveries_expected, r.deliveries_per_second, r.loss, r.duplicates, r.order_violations,
        r.latency_p50_ms, r.latency_p90_ms, r.latency_p99_ms, r.latency_p999_ms, r.latency_max_ms);
    if (auto const per = rss_per_stream(r))
        line += fmt::format("; server RSS {} -> {} KiB ({:.1f} KiB/stream), peak {} KiB",
                            *r.rss_before_kb, *r.rss_connected_kb, *per, r.rss_max_kb.value_or(0));
    if (r.server_cpu_seconds && r.notify_phase_seconds > 0)
        line += fmt::format("; CPU while notifying: server {:.2f}s, bench {:.2f}s in {:.2f}s{}",
                            *r.server_cpu_seconds, r.bench_cpu_seconds, r.notify_phase_seconds,
                            r.generator_saturated() ? " (BENCH SATURATED)" : "");
    if (r.slow_requested > 0)
        line += fmt::format("; slow streams closed by the server: {}/{} (read {:.0f} KiB each "
                            "on average, at most {} KiB)",
                            r.slow_closed, r.slow_requested, r.slow_bytes_mean / 1024,
                            r.slow_bytes_max / 1024);
    if (r.reconnecting || r.streams_moved > 0)
        line += reconnect_summary(r);
    if (r.resyncs > 0)
        line += fmt::format("; {} resyncs", r.resyncs);
    if (r.inconsistent_ids > 0)
        line += fmt::format("; {} events with another stream's id", r.inconsistent_ids);
    if (r.misrouted > 0)
        line += fmt::format("; {} events routed to the wrong stream", r.misrouted);
    if (r.unexpected > 0)
        line += fmt::format("; {} unexpected events", r.unexpected);
    if (r.connections_failed > 0)
        line += fmt::format("; {} streams failed ({})", r.connections_failed, r.first_failure);
    if (r.streams_lost > 0)
        line += fmt::format("; {} streams lost ({})", r.streams_lost,
                            r.connections_failed > 0 ? "see above" : r.first_failure);
    if (r.timed_out)
        line += "; DURATION CAP REACHED";
    if (!r.error.empty())
        line += "; ERROR: " + r.error;
    return line;
}

std::string json_line(report const& r)
{
    nlohmann::ordered_json j;
    j["label"] = r.label;
    j["target"] = r.target;
    j["receive_only"] = r.receive_only;
    j["ok"] = r.ok();
    j["connections"] = r.connections_requested;
    j["connections_open"] = r.connections_open;
    j["connections_failed"] = r.connections_failed;
    j["streams_lost"] = r.streams_lost;
    j["connect_s"] = round3(r.connect_seconds);
    j["connect_per_s"] = round3(r.connect_seconds > 0 ? r.connections_open / r.connect_seconds : 0);
    j["connect_ms"] = {{"p50", round3(r.connect_p50_ms)},
                       {"p99", round3(r.connect_p99_ms)},
                       {"max", round3(r.connect_max_ms)}};
    j["reconnecting"] = r.reconnecting;
    j["streams_moved"] = r.streams_moved;
    j["streams_back"] = r.streams_back;
    j["storm_s"] = r.storm_seconds ? nlohmann::ordered_json(round3(*r.storm_seconds)) : nullptr;
    j["reconnect_window_s"] = r.reconnect_window_seconds
                                  ? nlohmann::ordered_json(round3(*r.reconnect_window_seconds))
                                  : nullptr;
    j["reconnect_attempts"] = r.reconnect_attempts;
    auto refused = nlohmann::ordered_json::object();
    for (auto const& [status, n] : r.reconnects_refused)
        refused[std::to_string(status)] = n;
    j["reconnects_refused"] = refused;
    j["reconnect_errors"] = r.reconnect_errors;
    j["reconnect_connect_ms"] = {{"p50", round3(r.reconnect_p50_ms)},
                                 {"p99", round3(r.reconnect_p99_ms)},
                                 {"max", round3(r.reconnect_max_ms)}};
    j["resyncs"] = r.resyncs;
    j["notifications"] = r.notifications_requested;
    j["notifications_sent"] = r.notifications_sent;
    j["notifications_accepted"] = r.notifications_accepted;
    j["posts"] = r.posts;
    j["rate_requested"] = r.rate_requested;
    j["batch"] = r.batch;
    j["pipeline"] = r.pipeline;
    j["notify_connections"] = r.notify_connections;
    j["notifications_per_s"] = round3(r.notifications_per_second);
    j["deliveries_expected"] = r.deliveries_expected;
    j["deliveries_reported"] = or_null(r.deliveries_reported);
    j["events_delivered"] = r.events_delivered;
    j["loss"] = r.loss;
    j["duplicates"] = r.duplicates;
    j["order_violations"] = r.order_violations;
    j["order_checked"] = std::string(r.ids_checked ? "event ids" : "") +
                         (r.ids_checked && r.sequence_order_checked ? " and " : "") +
                         (r.sequence_order_checked ? "sequence per name and account" : "");
    j["inconsistent_ids"] = r.inconsistent_ids;
    j["misrouted"] = r.misrouted;
    j["unexpected_events"] = r.unexpected;
    j["deliveries_per_s"] = round3(r.deliveries_per_second);
    j["latency_ms"] = {{"p50", round3(r.latency_p50_ms)}, {"p90", round3(r.latency_p90_ms)},
                       {"p99", round3(r.latency_p99_ms)}, {"p999", round3(r.latency_p999_ms)},
                       {"max", round3(r.latency_max_ms)}, {"mean", round3(r.latency_mean_ms)}};
    if (r.broadcasts > 0)
        j["broadcast_latency_ms"] = {{"p50", round3(r.broadcast_latency_p50_ms)},
                                     {"max", round3(r.broadcast_latency_max_ms)}};
    j["slow"] = r.slow_requested;
    j["slow_opened"] = r.slow_opened;
    j["slow_closed"] = r.slow_closed;
    j["slow_bytes_mean"] = round3(r.slow_bytes_mean);
    j["slow_bytes_max"] = r.slow_bytes_max;
    j["rss_before_kb"] = or_null(r.rss_before_kb);
    j["rss_connected_kb"] = or_null(r.rss_connected_kb);
    j["rss_after_kb"] = or_null(r.rss_after_kb);
    j["rss_max_kb"] = or_null(r.rss_max_kb);
    auto const per = rss_per_stream(r);
    j["rss_per_connection_kb"] = per ? nlohmann::ordered_json(round3(*per)) : nullptr;
    j["notify_phase_s"] = round3(r.notify_phase_seconds);
    j["server_cpu_s"] = r.server_cpu_seconds ? nlohmann::ordered_json(round3(*r.server_cpu_seconds))
                                             : nlohmann::ordered_json(nullptr);
    j["server_connect_cpu_s"] = r.server_connect_cpu_seconds
                                    ? nlohmann::ordered_json(round3(*r.server_connect_cpu_seconds))
                                    : nlohmann::ordered_json(nullptr);
    j["bench_cpu_s"] = round3(r.bench_cpu_seconds);
    j["bench_saturated"] = r.generator_saturated();
    j["elapsed_s"] = round3(r.elapsed_seconds);
    j["timed_out"] = r.timed_out;
    j["first_failure"] = r.first_failure;
    j["error"] = r.error;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace sse_server::bench
