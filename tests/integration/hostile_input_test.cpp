// The attacks found by probing the running daemon, replayed so that none comes back: each gets
// its answer, in bounded time, and the daemon's memory stays bounded by its configuration
// whatever an unauthenticated peer sends (SPEC §2.6, §3).
#include "sse_server/ops/process_limits.hpp"
#include "support/daemon_process.hpp"
#include "support/hostile_peer.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/test_server.hpp"

#include <csignal>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace sse_server::test {
namespace {

using clock = std::chrono::steady_clock;

/** A request whose header block, request line and final blank line included, is `size`
    bytes long. */
std::string request_of_size(std::string_view method, std::string_view target, std::size_t size)
{
    std::string head =
        std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: x\r\nX-Pad: ";
    auto const rest = head.size() + 4; // the pad's CRLF and the blank line
    head.append(size - rest, 'p');
    return head + "\r\n\r\n";
}

class hostile_input_test : public ::testing::Test
{
protected:
    void SetUp() override { redis_.set("sess:a", R"({"userId":1})"); }

    std::string toml(std::string const& extra = "") const
    {
        return daemon_config(redis_, extra);
    }

    redis_server redis_;
};

TEST_F(hostile_input_test, a_stream_request_with_a_body_gets_400_and_its_body_is_never_read)
{
    daemon_process d{toml()};
    auto const before = d.rss_kib();
    tcp_connection c{d.clients_port()};
    c.send(
        "GET /events HTTP/1.1\r\nHost: x\r\nCookie: sid=a\r\nTransfer-Encoding: chunked\r\n\r\n");
    // A chunk-size line that never ends: Beast's own limits do not cover it.
    flood(c, std::string(64 * 1024, '1'), std::size_t{256} << 20);
    EXPECT_EQ(response_status(c), 400);
    expect_bounded_growth(d, before);

    tcp_connection sized{d.clients_port()};
    sized.send(
        "GET /events HTTP/1.1\r\nHost: x\r\nCookie: sid=a\r\nContent-Length: 5\r\n\r\nhello");
    EXPECT_EQ(response_status(sized), 400);
}

TEST_F(hostile_input_test, an_endless_header_gets_431_on_both_ports_and_costs_no_memory)
{
    daemon_process d{toml()};
    auto const before = d.rss_kib();
    for (auto const port : {d.clients_port(), d.notify_port()}) {
        tcp_connection c{port};
        c.send("GET /healthz?");
        flood(c, std::string(64 * 1024, 'a'), std::size_t{128} << 20);
        EXPECT_EQ(response_status(c), 431) << port;
    }
    expect_bounded_growth(d, before);
}

TEST_F(hostile_input_test, an_endless_chunk_size_line_on_the_notify_port_gets_400)
{
    daemon_process d{toml()};
    auto const before = d.rss_kib();
    tcp_connection c{d.notify_port()};
    c.send("POST /notify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    flood(c, std::string(64 * 1024, 'f'), std::size_t{256} << 20);
    EXPECT_EQ(response_status(c), 400);
    expect_bounded_growth(d, before);
}

TEST_F(hostile_input_test, a_notification_without_the_token_is_refused_before_its_body)
{
    daemon_process d{toml("[notify]\ntoken = \"s3cret\"\n")};
    tcp_connection c{d.notify_port()};
    c.send("POST /notify HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
    EXPECT_EQ(response_status(c), 401) << "answered before a single body byte was sent";
}

TEST_F(hostile_input_test, header_blocks_of_exactly_8_KiB_pass_and_one_byte_more_gets_431)
{
    running_server server{test_config(redis_)};
    struct probe
    {
        std::uint16_t port;
        char const* method;
        char const* target;
        int accepted; // the status of the request when its header is within the limit
    };
    for (auto const& p : {probe{server.clients_port(), "GET", "/events", 401},
                          probe{server.notify_port(), "GET", "/healthz", 200}}) {
        tcp_connection at_limit{p.port};
        at_limit.send(request_of_size(p.method, p.target, 8192));
        EXPECT_EQ(response_status(at_limit), p.accepted) << p.target;
        tcp_connection over{p.port};
        over.send(request_of_size(p.method, p.target, 8193));
        EXPECT_EQ(response_status(over), 431) << p.target;
    }
}

TEST_F(hostile_input_test, a_notify_request_trickled_byte_by_byte_is_cut_at_the_idle_timeout)
{
    auto cfg = test_config(redis_);
    cfg.notify.idle_timeout = 1s;
    running_server server{cfg};
    tcp_connection c{server.notify_port()};
    c.send("POST /notify HTTP/1.1\r\nHost: x\r\n");
    // One byte every 200 ms for up to 8 s: every read used to re-arm the deadline.
    auto const start = clock::now();
    bool closed = false;
    for (int i = 0; i < 40 && !closed; ++i) {
        c.send_some("X");
        closed = c.closed_within(200ms);
    }
    EXPECT_TRUE(closed);
    EXPECT_LT(clock::now() - start, 4s);
}

TEST_F(hostile_input_test, connections_that_never_send_a_request_count_toward_the_limit)
{
    auto cfg = test_config(redis_);
    cfg.limits.max_connections = 4;
    running_server server{cfg};
    std::vector<tcp_connection> silent;
    for (int i = 0; i < 4; ++i)
        silent.emplace_back(server.clients_port());
    // Accepted in order: the four silent ones hold every place.
    EXPECT_EQ(sse_stream(server.clients_port(), "/events", {{"Cookie", "sid=a"}}).status(), 429);
    silent.clear();
    EXPECT_EQ(stream_status_once_admitted(server.clients_port(), "sid=a", 10s), 200)
        << "the places come back once the silent connections are gone";
}

TEST_F(hostile_input_test, the_notify_port_answers_while_clients_take_every_descriptor)
{
    raise_open_file_limit();
    daemon_process d{toml(), {}, {}, true, 128};
    ASSERT_TRUE(readyz_becomes(d.notify_port(), 200)) << d.output();
    std::vector<tcp_connection> crowd;
    for (int i = 0; i < 200; ++i)
        crowd.emplace_back(d.clients_port()); // the kernel's backlog takes the excess
    ASSERT_TRUE(d.wait_for_output("descriptors running low", 10s)) << d.output();
    EXPECT_EQ(http_request(d.notify_port(), "GET", "/healthz").status, 200);
    EXPECT_EQ(http_request(d.notify_port(), "GET", "/readyz").status, 200);
    EXPECT_EQ(post_notify(d.notify_port(), R"({"name":"orders","type":"t","id":1})").status, 202);
    crowd.clear();
    EXPECT_EQ(stream_status_once_admitted(d.clients_port(), "sid=a", 20s), 200) << d.output();
    EXPECT_FALSE(d.wait_exit(0ms)) << "still running";
}

TEST_F(hostile_input_test, pipelined_requests_whose_answers_are_never_read_hold_little_memory)
{
    daemon_process d{toml()};
    auto const before = d.rss_kib();
    std::vector<tcp_connection> readers_that_never_read;
    for (int i = 0; i < 20; ++i) {
        readers_that_never_read.emplace_back(d.notify_port(), 4096);
        flood(readers_that_never_read.back(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
              std::size_t{2} << 20, 3s);
    }
    EXPECT_EQ(http_request(d.notify_port(), "GET", "/healthz").status, 200);
    expect_bounded_growth(d, before);
}

TEST_F(hostile_input_test, a_lingering_refused_client_does_not_delay_the_stop)
{
    daemon_process d{toml("[server]\nshutdown_timeout = \"200ms\"\n")};
    tcp_connection refused{d.clients_port()};
    refused.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(response_status(refused), 401);
    // The client keeps its end open: the daemon would wait for it to close.
    auto const start = clock::now();
    d.signal(SIGTERM);
    EXPECT_EQ(d.wait_exit(10s), 0);
    EXPECT_LT(clock::now() - start, 1500ms) << "shutdown_timeout is 200 ms";
}

TEST_F(hostile_input_test, the_notify_token_scheme_is_case_insensitive)
{
    auto cfg = test_config(redis_);
    cfg.notify.token = "s3cret";
    running_server server{cfg};
    auto const body = R"({"name":"orders","type":"t","id":1})";
    EXPECT_EQ(post_notify(server.notify_port(), body, {{"Authorization", "bearer s3cret"}}).status,
              202);
    EXPECT_EQ(post_notify(server.notify_port(), body, {{"Authorization", "BEARER\ts3cret"}}).status,
              202);
    EXPECT_EQ(post_notify(server.notify_port(), body, {{"Authorization", "Basic s3cret"}}).status,
              401);
}

TEST_F(hostile_input_test, a_notification_with_85000_keys_is_answered_promptly)
{
    // Parsing used to cost time quadratic in the number of keys: 19 s for this one body,
    // during which no stream, heartbeat or health check ran.
    running_server server{test_config(redis_)};
    std::string body = R"({"name":"orders","type":"t","id":1,"data":{)";
    for (int i = 0; i < 85000; ++i)
        body += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
    body += "}}";
    ASSERT_LT(body.size(), std::size_t{1} << 20);
    auto const start = clock::now();
    EXPECT_EQ(post_notify(server.notify_port(), body).status, 202);
    EXPECT_EQ(http_request(server.notify_port(), "GET", "/healthz").status, 200);
    EXPECT_LT(clock::now() - start, 5s);
}

TEST_F(hostile_input_test, the_replay_buffer_holds_at_most_replay_max_bytes)
{
    daemon_process d{toml("[replay]\nmax_bytes = 4194304\n")};
    auto const first = post_notify(d.notify_port(), R"({"name":"orders","type":"t","id":0})");
    ASSERT_EQ(first.status, 202);
    auto const before = d.rss_kib();
    // 64 notifications of almost 1 MiB each: without the byte bound, all of them stay.
    std::string const padding(1000 * 1000, 'x');
    for (int i = 1; i <= 64; ++i)
        ASSERT_EQ(post_notify(d.notify_port(), R"({"name":"orders","type":"t","id":)" +
                                                   std::to_string(i) + R"(,"data":")" + padding +
                                                   "\"}")
                      .status,
                  202);
    expect_bounded_growth(d, before);
}

TEST_F(hostile_input_test, every_json_log_line_is_valid_utf8_json)
{
    daemon_process d{toml("[log]\nlevel = \"debug\"\nformat = \"json\"\n")};
    tcp_connection c{d.clients_port()};
    c.send("GET /events?x=\xff\xfe\xc3\x28\xed\xa0\x80 HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(response_status(c), 401);
    d.signal(SIGTERM);
    ASSERT_EQ(d.wait_exit(10s), 0);
    std::istringstream lines(d.output());
    std::string line;
    int count = 0;
    while (std::getline(lines, line)) {
        EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
        ++count;
    }
    EXPECT_GT(count, 3);
}

TEST_F(hostile_input_test, a_duration_that_would_overflow_the_clock_is_refused_at_start)
{
    daemon_process d{
        toml("[client]\nheader_timeout = \"3000000h\"\n"), {"--check-config"}, {}, false};
    EXPECT_NE(d.wait_exit(10s), 0);
    EXPECT_NE(d.output().find("client.header_timeout"), std::string::npos) << d.output();
}

TEST_F(hostile_input_test, a_bad_key_after_bearer_and_a_tab_is_a_401_not_a_fall_through)
{
    running_server server{test_config(redis_)};
    sse_stream s{server.clients_port(),
                 "/events",
                 {{"Authorization", "Bearer\tno-such-key"}, {"Cookie", "sid=a"}}};
    EXPECT_EQ(s.status(), 401) << "the valid cookie behind it must not be used";
}

} // namespace
} // namespace sse_server::test
