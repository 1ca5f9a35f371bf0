#include "sse_server/ops/metrics.hpp"
#include "sse_server/ops/process_metrics.hpp"

#include <boost/beast/http/status.hpp>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <set>

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

// What the daemon's sources count, read from the sources themselves: a status, reason or
// outcome added to the code without being pre-declared would leave its series absent until
// it first happens, and an alert on its rate silent until then.

using value_set = std::set<std::string>;

/** The daemon's .cpp files whose names start with one of `prefixes`, as text. */
std::string sources(std::initializer_list<std::string_view> prefixes)
{
    std::vector<std::filesystem::path> paths;
    for (auto const& entry : std::filesystem::recursive_directory_iterator(
             std::filesystem::path(SSE_SERVER_SOURCE_DIR) / "src"))
        for (auto prefix : prefixes)
            if (entry.path().filename().string().starts_with(prefix) &&
                entry.path().extension() == ".cpp")
                paths.push_back(entry.path());
    std::sort(paths.begin(), paths.end());
    std::string text;
    for (auto const& path : paths) {
        std::ifstream in(path);
        text.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return text;
}

value_set matches(std::string const& text, std::regex const& pattern)
{
    value_set out;
    for (std::sregex_iterator it(text.begin(), text.end(), pattern), end; it != end; ++it)
        out.insert((*it)[1]);
    return out;
}

/** The string literals inside every `.<member>.inc(…)` call: `inc(gone ? "gone" : "valid")`
    counts both. */
value_set counted_into(std::string const& text, std::string const& member)
{
    value_set out;
    for (auto const& arguments : matches(text, std::regex("\\." + member + "\\.inc\\(([^;]*)\\);")))
        out.merge(matches(arguments, std::regex("\"([A-Za-z0-9_]+)\"")));
    return out;
}

/** The statuses of every `refuse(…http::status::<name>…)` in `text`, as numbers: Beast's
    enumerator names are its reason phrases in snake case ("Too Many Requests"). */
value_set refused_statuses(std::string const& text)
{
    std::map<std::string, std::string> number_of;
    for (unsigned code = 100; code < 600; ++code) {
        namespace http = boost::beast::http;
        std::string name(http::obsolete_reason(static_cast<http::status>(code)));
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
            return c == ' ' ? '_' : static_cast<char>(std::tolower(c));
        });
        number_of.emplace(name, std::to_string(code));
    }
    value_set out;
    for (auto const& name :
         matches(text, std::regex(R"(refuse\((?:std::move\(a\),\s*)?http::status::(\w+))"))) {
        EXPECT_TRUE(number_of.contains(name)) << "a status of unknown number: " << name;
        out.insert(number_of[name]);
    }
    return out;
}

/** The label values a fresh counter renders (at 0): the pre-declared ones. */
value_set declared(labeled_counter const& counter)
{
    std::string text;
    counter.render(text, "family");
    return matches(text, std::regex(R"re(family\{\w+="([^"]*)"\} 0\n)re"));
}

TEST(metrics, every_status_each_port_refuses_with_is_declared_from_the_start)
{
    metrics const fresh;
    auto clients_port =
        refused_statuses(sources({"client_session", "stream_admission", "stream_opening"}));
    clients_port.merge(counted_into(sources({"client_session"}), "client_refused"));
    EXPECT_EQ(clients_port, declared(fresh.client_refused))
        << "the statuses the clients port's code refuses with, and those declared";
    EXPECT_TRUE(clients_port.contains("429") && clients_port.contains("timeout"));

    auto const notify_port = refused_statuses(sources({"notify_handler", "notify_session"}));
    EXPECT_EQ(notify_port, declared(fresh.notify_refused))
        << "the statuses the notification port's code refuses with, and those declared";
    EXPECT_TRUE(notify_port.contains("413"));
}

TEST(metrics, every_reason_outcome_and_result_the_sources_count_is_declared_from_the_start)
{
    metrics const fresh;
    std::map<std::string, labeled_counter const*> const families{
        {"connections_closed", &fresh.connections_closed},
        {"auth", &fresh.auth},
        {"hook_requests", &fresh.hook_requests},
        {"hook_lookups", &fresh.hook_lookups},
        {"notifications", &fresh.notifications},
        {"replay", &fresh.replay},
        {"revalidations", &fresh.revalidations},
        {"client_refused", &fresh.client_refused},
        {"notify_refused", &fresh.notify_refused},
        {"cluster_entries", &fresh.cluster_entries},
        {"admin_connections_refused", &fresh.admin_connections_refused},
        {"resyncs", &fresh.resyncs}};
    auto const all = sources({""});
    // A family counted in the sources but unknown here would escape this test.
    for (auto const& member : matches(all, std::regex(R"(\.(\w+)\.inc\()")))
        EXPECT_TRUE(families.contains(member)) << "add " << member << " to this test";

    for (auto const& [member, counter] : families) {
        auto counted = counted_into(all, member);
        if (member == "connections_closed") // a stream's close reason is set where it ends
            counted.merge(matches(sources({"client_stream", "stream_transport"}),
                                  std::regex(R"re(\b(?:close|finish|cut)\("(\w+)"\))re")));
        auto const known = declared(*counter);
        for (auto const& value : counted)
            EXPECT_TRUE(known.contains(value)) << member << ": \"" << value << "\" is counted "
                                               << "but not declared, so absent until it happens";
    }
    // The patterns still find what the sources count.
    EXPECT_TRUE(counted_into(all, "auth").contains("unavailable"));
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
