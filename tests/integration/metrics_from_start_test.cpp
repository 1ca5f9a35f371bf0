// What Prometheus sees of a daemon that has just started: every labeled family with all its
// label values, at 0, so that rate() and the alerts of docs/prometheus work before the first
// refusal, close or failure rather than only after it.
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace sse_server::test {
namespace {

/** Each labeled family, its label, and the values an operator's rules may name: every status
    each port can refuse with, every close reason, auth outcome and result. */
struct family
{
    std::string name;
    std::string label;
    std::vector<std::string> values;
};

std::vector<family> const labeled_families{
    {"sse_server_connections_closed_total",
     "reason",
     {"client_gone", "slow_consumer", "send_timeout", "revalidation", "shutdown",
      "max_lifetime", "expired"}},
    {"sse_server_auth_total", "outcome", {"ok", "unauthorized", "unavailable"}},
    {"sse_server_notifications_total",
     "result",
     {"accepted", "invalid", "too_large", "unauthorized", "unavailable"}},
    {"sse_server_replay_total", "result", {"replayed", "resync"}},
    {"sse_server_revalidations_total", "outcome", {"valid", "gone", "unavailable"}},
    {"sse_server_client_requests_refused_total",
     "status",
     {"400", "401", "403", "404", "405", "429", "431", "503", "timeout"}},
    {"sse_server_notify_requests_refused_total",
     "status",
     {"400", "401", "404", "405", "413", "431", "503"}},
    {"sse_server_resyncs_total", "cause", {"resume", "bus_trimmed", "bus_recreated"}},
    {"sse_server_admin_connections_refused_total", "port", {"notify", "metrics"}},
    {"sse_server_cluster_entries_total", "result", {"delivered", "invalid", "oversized"}},
};

/** The samples of a Prometheus text exposition: series (name and labels) → value as text. */
std::map<std::string, std::string> samples(std::string const& text)
{
    std::map<std::string, std::string> out;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] == '#')
            continue;
        auto const space = line.rfind(' ');
        out[line.substr(0, space)] = line.substr(space + 1);
    }
    return out;
}

class metrics_from_start : public ::testing::TestWithParam<std::string>
{
};

TEST_P(metrics_from_start, a_fresh_daemon_shows_every_label_value_of_every_family_at_zero)
{
    redis_server redis;
    daemon_process daemon(daemon_config(redis, GetParam()));
    // The first request the daemon ever answers.
    auto const scrape = http_request(daemon.notify_port(), "GET", "/metrics");
    ASSERT_EQ(scrape.status, 200);
    auto const series = samples(scrape.body);
    for (auto const& f : labeled_families)
        for (auto const& value : f.values) {
            auto const name = f.name + "{" + f.label + "=\"" + value + "\"}";
            auto const it = series.find(name);
            ASSERT_NE(it, series.end()) << name << " is absent:\n" << scrape.body;
            EXPECT_EQ(it->second, "0") << name;
        }
    // The Redis gauges by role are there too (their value is Redis's state, not a count): the
    // bus's in cluster mode only.
    EXPECT_TRUE(series.contains(R"(sse_server_redis_up{role="sessions"})")) << scrape.body;
    bool const cluster = !GetParam().empty();
    EXPECT_EQ(series.contains(R"(sse_server_redis_up{role="bus"})"), cluster) << scrape.body;
}

INSTANTIATE_TEST_SUITE_P(modes, metrics_from_start,
                         ::testing::Values("", "[cluster]\nmode = \"redis\"\n"),
                         [](auto const& mode) {
                             return mode.param.empty() ? "standalone" : "cluster";
                         });

} // namespace
} // namespace sse_server::test
