#include "sse_server/metrics.hpp"
#include "sse_server/process_metrics.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

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

TEST(metrics, show_the_version_the_replay_buffer_and_the_process_figures)
{
    metrics m;
    m.replay_bytes = 12345;
    auto const text = m.render();
    EXPECT_NE(text.find("sse_server_build_info{version=\"" SSE_SERVER_VERSION "\"} 1\n"),
              std::string::npos);
    EXPECT_NE(text.find("\nsse_server_replay_bytes 12345\n"), std::string::npos);
    for (auto const* name : {"process_open_fds", "process_max_fds", "process_resident_memory_bytes",
                             "process_cpu_seconds_total", "process_start_time_seconds"})
        EXPECT_NE(text.find(std::string("# TYPE ") + name + " "), std::string::npos) << name;
}

TEST(process_metrics, count_the_descriptors_this_process_holds_against_its_limit)
{
    auto const before = sample_process();
    int const fd = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(fd, 0);
    auto const during = sample_process();
    ::close(fd);
    ASSERT_TRUE(before.open_fds && during.open_fds);
    EXPECT_EQ(*during.open_fds, *before.open_fds + 1);

    rlimit limit{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
    ASSERT_TRUE(during.max_fds);
    EXPECT_EQ(*during.max_fds, limit.rlim_cur);
    ASSERT_TRUE(during.resident_bytes && during.cpu_seconds && during.start_time_seconds);
    EXPECT_GT(*during.resident_bytes, 1u << 20) << "a test binary holds more than 1 MiB";
    // Started after 2020 and not in the future of this clock.
    EXPECT_GT(*during.start_time_seconds, 1.5e9);
    EXPECT_LE(*during.start_time_seconds, static_cast<double>(::time(nullptr)) + 1);
}

TEST(process_metrics, render_under_the_standard_names)
{
    process_sample sample{7, 1024, 4096, 1.5, 1.7e9};
    std::string out;
    render_process_metrics(sample, out);
    EXPECT_NE(out.find("\nprocess_open_fds 7\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nprocess_max_fds 1024\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nprocess_resident_memory_bytes 4096\n"), std::string::npos) << out;
    EXPECT_NE(out.find("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.5\n"),
              std::string::npos) << out;
    EXPECT_NE(out.find("\nprocess_start_time_seconds 1700000000\n"), std::string::npos) << out;

    std::string none;
    render_process_metrics(process_sample{}, none);
    EXPECT_EQ(none, "") << "what the kernel did not give is left out, not shown as 0";
}

} // namespace
} // namespace sse_server
