// The load generator's reconnects (bench/): how long a stream waits before it comes back, what
// it resumes from, and which command lines ask for it.
#include "bench/options.hpp"
#include "bench/reconnect_delay.hpp"
#include "bench/stream_parser.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace sse_server::bench {
namespace {

using std::chrono::milliseconds;

TEST(bench_reconnect_delay, is_the_retry_stretched_by_up_to_half_as_the_browser_client_waits)
{
    EXPECT_EQ(reconnect_delay(milliseconds(3000), 0, 0.0), milliseconds(3000));
    EXPECT_EQ(reconnect_delay(milliseconds(3000), 0, 0.5), milliseconds(3750));
    EXPECT_LT(reconnect_delay(milliseconds(3000), 0, 0.999), milliseconds(4500));
}

TEST(bench_reconnect_delay, doubles_after_each_failure_up_to_thirty_seconds)
{
    EXPECT_EQ(reconnect_delay(milliseconds(1000), 1, 0.0), milliseconds(2000));
    EXPECT_EQ(reconnect_delay(milliseconds(1000), 3, 0.0), milliseconds(8000));
    EXPECT_EQ(reconnect_delay(milliseconds(1000), 5, 0.0), max_reconnect_backoff);
    EXPECT_EQ(reconnect_delay(milliseconds(1000), 200, 0.0), max_reconnect_backoff)
        << "no overflow however many failures";
    EXPECT_EQ(reconnect_delay(milliseconds(0), 4, 0.7), milliseconds(0)) << "retry: 0";
}

/** Records what a stream_parser dispatches. */
struct events_seen : event_sink
{
    std::vector<std::string> names;
    void on_event(sse_event const& e) override { names.emplace_back(e.event); }
};

constexpr std::string_view stream_head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                         "Connection: close\r\n\r\n";

TEST(bench_stream_parser, resumes_from_the_last_complete_block_never_from_one_cut_off)
{
    stream_parser p;
    events_seen seen;
    p.feed(std::string(stream_head) +
               "retry: 2500\n\nid: 5-0\nevent: connected\ndata: {}\n\nid: 7-1\nevent: db\n",
           seen);
    EXPECT_EQ(seen.names, std::vector<std::string>{"connected"});
    EXPECT_EQ(p.last_event_id(), "5-0") << "7-1's event never ended";
    ASSERT_TRUE(p.retry());
    EXPECT_EQ(*p.retry(), milliseconds(2500));

    p.restart(); // the connection broke there; a reconnect reads a new response
    EXPECT_EQ(p.current(), stream_parser::state::head);
    EXPECT_EQ(p.last_event_id(), "5-0");
    p.feed(std::string(stream_head) + "retry: x\n\nevent: connected\ndata: {}\n\nid: 9-0\n\n",
           seen);
    EXPECT_EQ(p.last_event_id(), "9-0") << "a heartbeat's cursor moves it";
    EXPECT_EQ(*p.retry(), milliseconds(2500)) << "a retry: that is not digits is ignored";
    EXPECT_EQ(seen.names, (std::vector<std::string>{"connected", "connected"}));
}

TEST(bench_stream_parser, keeps_the_status_of_a_refused_reconnect)
{
    stream_parser p;
    events_seen seen;
    p.feed("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", seen);
    EXPECT_EQ(p.current(), stream_parser::state::failed);
    EXPECT_EQ(p.status(), 503);
    p.restart();
    EXPECT_EQ(p.status(), 0);
}

TEST(bench_options, reconnect_to_takes_loopback_addresses_for_streams_on_sse_server)
{
    auto const parsed = parse_options({"--connections", "10", "--reconnect-to",
                                       "127.0.0.1:9001,[::1]:9002", "--reconnect-attempts", "3"});
    ASSERT_FALSE(parsed.error) << *parsed.error;
    ASSERT_EQ(parsed.opts.reconnect_to.size(), 2u);
    EXPECT_EQ(parsed.opts.reconnect_to[0].port, 9001);
    EXPECT_EQ(parsed.opts.reconnect_to[1].host, "::1");
    EXPECT_EQ(parsed.opts.reconnect_attempts, 3u);

    auto const error_of = [](std::vector<std::string> const& args) {
        return parse_options(args).error;
    };
    EXPECT_TRUE(error_of({"--reconnect-to", "10.0.0.1:9001"})) << "not loopback";
    EXPECT_TRUE(error_of({"--reconnect-to", "127.0.0.1:9001,"})) << "an empty address";
    EXPECT_TRUE(error_of({"--reconnect-to", "127.0.0.1:9001", "--connections", "0"}));
    EXPECT_TRUE(error_of({"--reconnect-to", "127.0.0.1:9001", "--target", "nchan"}));
    EXPECT_TRUE(error_of({"--reconnect-attempts", "0"}));
    EXPECT_TRUE(error_of({"--back-file", "b", "--connections", "10"})) << "nothing comes back";
}

} // namespace
} // namespace sse_server::bench
