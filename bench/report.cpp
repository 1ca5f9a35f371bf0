#include "report.hpp"

#include <charconv>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string_view>

namespace sse_server::bench {

namespace {

double round3(double v)
{
    return static_cast<double>(static_cast<long long>(v * 1000 + (v >= 0 ? 0.5 : -0.5))) / 1000;
}

} // namespace

bool report::ok() const
{
    return error.empty() && !timed_out && connections_failed == 0 && streams_lost == 0 &&
           loss == 0 && duplicates == 0 && order_violations == 0 && inconsistent_ids == 0 &&
           misrouted == 0 && unexpected == 0 && notifications_accepted == notifications_requested;
}

std::string summary_line(report const& r)
{
    auto line = fmt::format(
        "{}{}/{} streams open in {:.2f}s; {} notifications accepted ({:.0f}/s); "
        "{}/{} deliveries ({:.0f}/s); loss {}, duplicates {}, out of order {}; "
        "latency ms p50 {:.2f} p90 {:.2f} p99 {:.2f} max {:.2f}",
        r.label.empty() ? "" : "[" + r.label + "] ", r.connections_open, r.connections_requested,
        r.connect_seconds, r.notifications_accepted, r.notifications_per_second, r.events_delivered,
        r.deliveries_expected, r.deliveries_per_second, r.loss, r.duplicates, r.order_violations,
        r.latency_p50_ms, r.latency_p90_ms, r.latency_p99_ms, r.latency_max_ms);
    if (r.rss_connected_kb && r.rss_before_kb && r.connections_open > 0)
        line += fmt::format(
            "; daemon RSS {} -> {} KiB ({:.1f} KiB/stream)", *r.rss_before_kb, *r.rss_connected_kb,
            (static_cast<double>(*r.rss_connected_kb) - static_cast<double>(*r.rss_before_kb)) /
                static_cast<double>(r.connections_open));
    if (r.daemon_cpu_seconds && r.notify_phase_seconds > 0)
        line += fmt::format("; CPU while notifying: daemon {:.2f}s, bench {:.2f}s in {:.2f}s",
                            *r.daemon_cpu_seconds, r.bench_cpu_seconds, r.notify_phase_seconds);
    if (r.inconsistent_ids > 0)
        line += fmt::format("; {} events with another stream's id", r.inconsistent_ids);
    if (r.misrouted > 0)
        line += fmt::format("; {} events on a name not subscribed", r.misrouted);
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
    j["ok"] = r.ok();
    j["connections"] = r.connections_requested;
    j["connections_open"] = r.connections_open;
    j["connections_failed"] = r.connections_failed;
    j["streams_lost"] = r.streams_lost;
    j["connect_s"] = round3(r.connect_seconds);
    j["connect_per_s"] = round3(r.connect_seconds > 0 ? r.connections_open / r.connect_seconds : 0);
    j["notifications"] = r.notifications_requested;
    j["notifications_sent"] = r.notifications_sent;
    j["notifications_accepted"] = r.notifications_accepted;
    j["posts"] = r.posts;
    j["rate_requested"] = r.rate_requested;
    j["notifications_per_s"] = round3(r.notifications_per_second);
    j["deliveries_expected"] = r.deliveries_expected;
    j["deliveries_reported"] = r.deliveries_reported;
    j["events_delivered"] = r.events_delivered;
    j["loss"] = r.loss;
    j["duplicates"] = r.duplicates;
    j["order_violations"] = r.order_violations;
    j["order_checked"] = r.sequence_order_checked ? "event ids and sequence" : "event ids";
    j["inconsistent_ids"] = r.inconsistent_ids;
    j["misrouted"] = r.misrouted;
    j["unexpected_events"] = r.unexpected;
    j["deliveries_per_s"] = round3(r.deliveries_per_second);
    j["latency_ms"] = {{"p50", round3(r.latency_p50_ms)}, {"p90", round3(r.latency_p90_ms)},
                       {"p99", round3(r.latency_p99_ms)}, {"p999", round3(r.latency_p999_ms)},
                       {"max", round3(r.latency_max_ms)}, {"mean", round3(r.latency_mean_ms)}};
    auto const kb = [](std::optional<std::uint64_t> v) {
        return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
    };
    j["rss_before_kb"] = kb(r.rss_before_kb);
    j["rss_connected_kb"] = kb(r.rss_connected_kb);
    j["rss_after_kb"] = kb(r.rss_after_kb);
    if (r.rss_before_kb && r.rss_connected_kb && r.connections_open > 0)
        j["rss_per_connection_kb"] = round3(
            (static_cast<double>(*r.rss_connected_kb) - static_cast<double>(*r.rss_before_kb)) /
            static_cast<double>(r.connections_open));
    else
        j["rss_per_connection_kb"] = nullptr;
    j["notify_phase_s"] = round3(r.notify_phase_seconds);
    j["daemon_cpu_s"] = r.daemon_cpu_seconds ? nlohmann::ordered_json(round3(*r.daemon_cpu_seconds))
                                             : nlohmann::ordered_json(nullptr);
    j["bench_cpu_s"] = round3(r.bench_cpu_seconds);
    j["elapsed_s"] = round3(r.elapsed_seconds);
    j["timed_out"] = r.timed_out;
    j["first_failure"] = r.first_failure;
    j["error"] = r.error;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace sse_server::bench
