// Bounded resources (SPEC §2.6): slow readers, slowloris, oversized headers, connection caps,
// descriptor exhaustion. One bad client never hurts the others or the process.
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sse_server::test {
namespace {


header_list user(std::string const& sid) { return {{"Cookie", "sid=" + sid}}; }

constexpr std::string_view order = R"({"name":"orders","type":"update","id":1})";

class limits_test : public ::testing::Test
{
protected:
    void SetUp() override
    {
        redis_.set("sess:a", R"({"userId":1})");
        redis_.set("sess:b", R"({"userId":2})");
    }

    redis_server redis_;
};

TEST_F(limits_test, slowloris_is_cut_at_the_header_timeout)
{
    auto cfg = test_config(redis_);
    cfg.client.header_timeout = std::chrono::milliseconds(1000);
    running_server server{cfg};
    tcp_connection c{server.clients_port()};
    c.send("GET /events HTTP/1.1\r\nCookie: sid=a\r\nX-Slow: ");
    // One header byte every 200 ms, for up to 30 s: the server must hang up long before.
    bool closed = false;
    for (int i = 0; i < 150 && !closed; ++i) {
        c.send_some("x");
        closed = c.closed_within(200ms);
    }
    EXPECT_TRUE(closed);
    auto const metrics = http_request(server.notify_port(), "GET", "/metrics").body;
    EXPECT_NE(metrics.find("sse_server_client_requests_refused_total{status=\"timeout\"} 1"),
              std::string::npos)
        << metrics;
}

TEST_F(limits_test, oversized_headers_get_431_on_both_ports)
{
    running_server server{test_config(redis_)};
    header_list big = user("a");
    big.emplace_back("X-Big", std::string(9000, 'b'));
    sse_stream s{server.clients_port(), "/events", big};
    EXPECT_EQ(s.status(), 431);
    auto r = http_request(server.notify_port(), "GET", "/healthz", {{"X-Big", std::string(9000, 'b')}});
    EXPECT_EQ(r.status, 431);
    // Nothing else was hurt.
    EXPECT_EQ(sse_stream(server.clients_port(), "/events", user("a")).status(), 200);
}

TEST_F(limits_test, connections_beyond_the_per_user_limit_get_429)
{
    auto cfg = test_config(redis_);
    cfg.limits.max_connections_per_user = 2;
    running_server server{cfg};
    auto first = std::make_unique<sse_stream>(server.clients_port(), "/events", user("a"));
    sse_stream second{server.clients_port(), "/events", user("a")};
    ASSERT_EQ(first->status(), 200);
    ASSERT_EQ(second.status(), 200);
    auto third = sse_stream(server.clients_port(), "/events", user("a"));
    EXPECT_EQ(third.status(), 429);
    EXPECT_FALSE(third.response().body.empty());
    EXPECT_EQ(sse_stream(server.clients_port(), "/events", user("b")).status(), 200)
        << "another user is not affected";

    // A slot frees when a stream ends: the server sees the hang-up and lets the next one in.
    first.reset();
    auto const deadline = std::chrono::steady_clock::now() + 10s;
    int status = 0;
    while (status != 200 && std::chrono::steady_clock::now() < deadline)
        status = sse_stream(server.clients_port(), "/events", user("a")).status();
    EXPECT_EQ(status, 200);
}

TEST_F(limits_test, streams_waiting_for_their_resume_point_count_toward_the_per_user_limit)
{
    // Cluster mode: this daemon did not read the event the streams resume from (it started
    // later), so each one waits for the Redis stream to say where it continues.
    auto cfg = test_config(redis_);
    cfg.cluster.mode = cluster_mode::redis;
    cfg.limits.max_connections_per_user = 2;
    std::string resume_from;
    {
        running_server earlier{cfg};
        ASSERT_TRUE(readyz_becomes(earlier.notify_port(), 200));
        auto const posted = post_notify(earlier.notify_port(), "[" + std::string(order) + "," +
                                                                   std::string(order) + "]");
        ASSERT_EQ(posted.status, 202) << posted.body;
        resume_from = nlohmann::json::parse(posted.body)["ids"][0].get<std::string>();
    }
    running_server server{cfg};
    ASSERT_TRUE(readyz_becomes(server.notify_port(), 200));

    // Thirty windows of one user reconnect at once.
    std::vector<tcp_connection> windows;
    for (int i = 0; i < 30; ++i)
        windows.emplace_back(server.clients_port());
    for (auto& w : windows)
        w.send("GET /events?events=orders HTTP/1.1\r\nHost: t\r\nCookie: sid=a\r\n"
               "Last-Event-ID: " +
               resume_from + "\r\n\r\n");
    int opened = 0;
    int refused = 0;
    for (auto& w : windows) {
        std::string head;
        while (head.find("\r\n\r\n") == std::string::npos && w.read_some(head, 10s) > 0) {
        }
        ASSERT_GE(head.size(), 12u) << "no answer";
        auto const status = head.substr(9, 3);
        opened += status == "200" ? 1 : 0;
        refused += status == "429" ? 1 : 0;
    }
    EXPECT_EQ(opened, 2) << "the limit holds for streams that resume";
    EXPECT_EQ(refused, 28);
}

TEST_F(limits_test, connections_beyond_the_total_limit_get_429)
{
    auto cfg = test_config(redis_);
    cfg.limits.max_connections = 2;
    running_server server{cfg};
    sse_stream a{server.clients_port(), "/events", user("a")};
    sse_stream b{server.clients_port(), "/events", user("b")};
    ASSERT_EQ(a.status(), 200);
    ASSERT_EQ(b.status(), 200);
    EXPECT_EQ(sse_stream(server.clients_port(), "/events", user("b")).status(), 429);
}

TEST_F(limits_test, idle_notification_connections_are_closed)
{
    auto cfg = test_config(redis_);
    cfg.notify.idle_timeout = std::chrono::milliseconds(300);
    running_server server{cfg};
    tcp_connection c{server.notify_port()};
    c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_TRUE(c.closed_within(10s)) << "answered, then closed when idle";
}

TEST_F(limits_test, a_reader_that_stops_is_closed_while_others_receive_everything_in_order)
{
    daemon_process d{daemon_config(redis_)};
    auto stalled = open_stalled_stream(d.clients_port(), "sid=a");
    sse_stream normal{d.clients_port(), "/events?events=orders", user("b")};
    ASSERT_EQ(normal.status(), 200);
    ASSERT_TRUE(normal.next_event_named("connected"));
    auto const rss_before = d.rss_kib();

    std::string const padding(400, 'p');
    int received = 0;
    for (int batch = 0; batch < 100; ++batch) {
        std::string body = "[";
        for (int i = 0; i < 100; ++i) {
            int const seq = batch * 100 + i;
            body += (i ? "," : "") + std::string(R"({"name":"orders","type":"t","id":)") +
                    std::to_string(seq) + R"(,"pad":")" + padding + R"("})";
        }
        ASSERT_EQ(post_notify(d.notify_port(), body + "]").status, 202);
        for (int i = 0; i < 100; ++i, ++received) {
            auto e = normal.next_event();
            ASSERT_TRUE(e) << "event " << received;
            ASSERT_EQ(nlohmann::json::parse(e->data)["id"], received);
        }
    }
    EXPECT_EQ(received, 10000);
    EXPECT_TRUE(stalled.closed_within(10s)) << "the stalled reader was dropped";

    auto const metrics = http_request(d.notify_port(), "GET", "/metrics").body;
    EXPECT_NE(metrics.find("sse_server_slow_consumer_closes_total 1"), std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find("sse_server_connections_closed_total{reason=\"slow_consumer\"} 1"),
              std::string::npos)
        << metrics;
    // 10 000 events of ~0.5 KiB passed through; one client kept none of them. The bound is
    // generous (sanitizer builds keep freed memory in quarantine), an unbounded queue of
    // copies would exceed it.
    auto const rss_after = d.rss_kib();
    EXPECT_LT(rss_after - rss_before, 128 * 1024) << rss_before << " KiB -> " << rss_after;
}

TEST_F(limits_test, a_reader_that_stops_gets_little_more_than_its_queue_bound)
{
    // The kernel may hold only a little unsent data for a stream: the rest waits in the
    // stream's queue, whose bound closes it. Otherwise a reader that stops takes megabytes of
    // socket buffers first, and the daemon's memory is not bounded by its configuration.
    auto cfg = test_config(redis_);
    cfg.client.max_pending_bytes = 64 * 1024;
    running_server server{cfg};
    tcp_connection stalled{server.clients_port()};
    stalled.send("GET /events?events=orders HTTP/1.1\r\nHost: x\r\nCookie: sid=a\r\n\r\n");
    std::string greeting;
    while (greeting.find("event: connected") == std::string::npos)
        ASSERT_GT(stalled.read_some(greeting, 10s), 0) << greeting;

    // 32 KiB per POST, 2 MiB in all: far more than the bound plus what the kernel may keep.
    auto const batch = padded_batch(16, 2000);
    bool closed = false;
    for (int i = 0; i < 64 && !closed; ++i) {
        ASSERT_EQ(post_notify(server.notify_port(), batch).status, 202);
        closed = metric_reaches(server.notify_port(), "sse_server_slow_consumer_closes_total", 1,
                                0ms);
    }
    EXPECT_TRUE(closed) << "still open after 2 MiB for a reader that reads nothing";
}

TEST_F(limits_test, a_reader_that_makes_no_progress_is_closed_after_the_send_timeout)
{
    auto cfg = test_config(redis_);
    cfg.client.send_timeout = std::chrono::milliseconds(500);
    cfg.client.max_pending_bytes = std::size_t{1} << 30; // the byte bound must not close it
    running_server server{cfg};
    auto stalled = open_stalled_stream(server.clients_port(), "sid=a");
    ASSERT_TRUE(post_until_backlog(server.notify_port(), 1 << 20));
    EXPECT_TRUE(metric_reaches(server.notify_port(),
                               R"(sse_server_connections_closed_total{reason="send_timeout"})", 1))
        << http_request(server.notify_port(), "GET", "/metrics").body;
    EXPECT_TRUE(stalled.closed_within(10s));
}

} // namespace
} // namespace sse_server::test
