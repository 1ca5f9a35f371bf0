#include "sse_server/metrics.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

TEST(metrics, renders_every_documented_family_with_type_lines)
{
    metrics m;
    auto const text = m.render();
    for (auto const* name :
         {"sse_server_connections", "sse_server_connections_closed_total",
          "sse_server_auth_total", "sse_server_notifications_total",
          "sse_server_events_delivered_total", "sse_server_slow_consumer_closes_total",
          "sse_server_replay_total", "sse_server_redis_up", "sse_server_fanout_seconds"})
        EXPECT_NE(text.find(std::string("# TYPE ") + name + " "), std::string::npos) << name;
}

TEST(metrics, labeled_counters_show_known_values_at_zero_and_count_new_ones)
{
    metrics m;
    m.client_refused.inc("431");
    m.client_refused.inc("431");
    auto const text = m.render();
    EXPECT_NE(text.find("sse_server_connections_closed_total{reason=\"slow_consumer\"} 0"),
              std::string::npos);
    EXPECT_NE(text.find("sse_server_client_requests_refused_total{status=\"431\"} 2"),
              std::string::npos);
}

TEST(metrics, histogram_buckets_are_cumulative)
{
    metrics m;
    m.fanout_seconds.observe(0.0002);
    m.fanout_seconds.observe(0.003);
    m.fanout_seconds.observe(5.0);
    auto const text = m.render();
    EXPECT_NE(text.find("sse_server_fanout_seconds_bucket{le=\"0.0001\"} 0"), std::string::npos);
    EXPECT_NE(text.find("sse_server_fanout_seconds_bucket{le=\"0.00025\"} 1"), std::string::npos);
    EXPECT_NE(text.find("sse_server_fanout_seconds_bucket{le=\"0.005\"} 2"), std::string::npos);
    EXPECT_NE(text.find("sse_server_fanout_seconds_bucket{le=\"+Inf\"} 3"), std::string::npos);
    EXPECT_NE(text.find("sse_server_fanout_seconds_count 3"), std::string::npos);
}

} // namespace
} // namespace sse_server
