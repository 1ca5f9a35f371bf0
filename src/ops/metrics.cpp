#include "sse_server/ops/metrics.hpp"

#include <fmt/format.h>

namespace sse_server {

labeled_counter::labeled_counter(std::string_view label,
                                 std::initializer_list<std::string_view> known)
    : label_(label)
{
    for (auto value : known)
        values_.emplace(value, 0);
}

void labeled_counter::inc(std::string_view value, std::uint64_t n)
{
    auto it = values_.find(value);
    if (it == values_.end())
        it = values_.emplace(std::string(value), 0).first;
    it->second += n;
}

std::uint64_t labeled_counter::get(std::string_view value) const
{
    auto it = values_.find(value);
    return it == values_.end() ? 0 : it->second;
}

void labeled_counter::render(std::string& out, std::string_view name) const
{
    // Label values are our own constants (reasons, statuses), never client input.
    for (auto const& [value, n] : values_)
        fmt::format_to(std::back_inserter(out), "{}{{{}=\"{}\"}} {}\n", name, label_, value, n);
}

void histogram::observe(double seconds)
{
    for (std::size_t i = 0; i < bounds.size(); ++i)
        if (seconds <= bounds[i])
            ++buckets_[i];
    ++count_;
    sum_ += seconds;
}

void histogram::render(std::string& out, std::string_view name) const
{
    for (std::size_t i = 0; i < bounds.size(); ++i)
        fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"{}\"}} {}\n", name, bounds[i],
                       buckets_[i]);
    fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"+Inf\"}} {}\n", name, count_);
    fmt::format_to(std::back_inserter(out), "{}_sum {}\n{}_count {}\n", name, sum_, name, count_);
}

namespace {

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help)
{
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                   type);
}

template <class T>
void scalar(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            T value)
{
    header(out, name, type, help);
    fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
}

void family(std::string& out, std::string_view name, std::string_view help,
            labeled_counter const& counter)
{
    header(out, name, "counter", help);
    counter.render(out, name);
}

} // namespace

std::string metrics::render()
{
    std::string out;
    out.reserve(4096);
    scalar(out, "sse_server_connections", "gauge", "Open SSE streams.", connections);
    scalar(out, "sse_server_queued_bytes", "gauge",
           "Bytes queued to streams and not yet written (frames are shared: counted per stream).",
           queued_bytes);
    family(out, "sse_server_connections_closed_total", "SSE streams closed, by reason.",
           connections_closed);
    family(out, "sse_server_auth_total", "Stream authentications, by outcome.", auth);
    family(out, "sse_server_hook_requests_total",
           "Requests to the auth hook, by result (busy: none made, too many waiting).",
           hook_requests);
    family(out, "sse_server_hook_lookups_total",
           "Checks through the auth hook, by where the answer came from: hit (cache), joined "
           "(a request already on its way), miss and revalidation (a request of its own).",
           hook_lookups);
    family(out, "sse_server_notifications_total",
           "Notifications received on POST /notify, by result (per item when accepted).",
           notifications);
    scalar(out, "sse_server_events_delivered_total", "counter",
           "Events queued to connections (one per recipient).", events_delivered);
    scalar(out, "sse_server_slow_consumer_closes_total", "counter",
           "Streams closed because they could not keep up.", slow_consumer_closes);
    family(out, "sse_server_replay_total", "Resume requests (Last-Event-ID), by result.", replay);
    family(out, "sse_server_resyncs_total",
           "resync events sent (one per stream), by cause: resume, bus_trimmed, bus_recreated.",
           resyncs);
    family(out, "sse_server_revalidations_total",
           "Periodic credential checks of open streams, by outcome.", revalidations);
    family(out, "sse_server_client_requests_refused_total",
           "Requests refused on the clients port, by HTTP status.", client_refused);
    family(out, "sse_server_notify_requests_refused_total",
           "Requests refused on the notification port, by HTTP status.", notify_refused);
    family(out, "sse_server_admin_connections_refused_total",
           "Connections to the notification or metrics port closed at once: the port held "
           "its cap (notify.max_connections).",
           admin_connections_refused);
    header(out, "sse_server_redis_up", "gauge",
           "1 when the connections to this Redis are up, by role: sessions (and API keys), and "
           "the bus in cluster mode.");
    fmt::format_to(std::back_inserter(out), "sse_server_redis_up{{role=\"sessions\"}} {}\n",
                   redis_up ? 1 : 0);
    if (bus_redis_up)
        fmt::format_to(std::back_inserter(out), "sse_server_redis_up{{role=\"bus\"}} {}\n",
                       *bus_redis_up ? 1 : 0);
    header(out, "sse_server_fanout_seconds", "histogram",
           "Time from a notification's arrival to its last frame queued.");
    fanout_seconds.render(out, "sse_server_fanout_seconds");
    family(out, "sse_server_cluster_entries_total",
           "Entries read from the Redis stream (cluster mode), by result.", cluster_entries);
    scalar(out, "sse_server_cluster_lag_seconds", "gauge",
           "Age of the newest stream entry known minus that of the last one delivered "
           "(cluster mode; 0 when caught up).",
           cluster_lag_seconds);
    scalar(out, "sse_server_cluster_trim_settings_mismatch", "gauge",
           "1 when another daemon on the stream trims it with other settings (cluster mode).",
           cluster_trim_settings_mismatch ? 1 : 0);
    scalar(out, "sse_server_replay_bytes", "gauge",
           "Bytes of frames kept for resumes (the replay buffer).", replay_bytes);
    header(out, "sse_server_build_info", "gauge", "Always 1; the version is the label.");
    fmt::format_to(std::back_inserter(out), "sse_server_build_info{{version=\"{}\"}} 1\n",
                   SSE_SERVER_VERSION);
    render_process_metrics(process.sample(), out);
    return out;
}

} // namespace sse_server
