// The notification port and the metrics port as a prober finds them: a body is read only where
// one is taken (POST /notify, with its token), each port holds at most its cap of connections,
// and a crowd on either starves neither the clients port nor /healthz (SPEC §2.6, §3).
#include "sse_server/ops/process_limits.hpp"
#include "support/daemon_process.hpp"
#include "support/hostile_peer.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace sse_server::test {
namespace {

using clock = std::chrono::steady_clock;

class admin_ports_test : public ::testing::Test
{
protected:
    void SetUp() override { redis_.set("sess:a", R"({"userId":1})"); }

    /** The daemon with a notify token and the metrics port open; `notify` adds keys to the
        [notify] section, or sections after it. */
    std::unique_ptr<daemon_process> start(std::string const& notify = "",
                                          unsigned long open_file_limit = 0) const
    {
        return std::make_unique<daemon_process>(
            daemon_config(redis_, "[notify]\ntoken = \"s3cret\"\n" + notify),
            std::vector<std::string>{},
            std::map<std::string, std::string>{{"SSE_SERVER_LISTEN_METRICS", "127.0.0.1:0"}},
            true, open_file_limit);
    }

    redis_server redis_;
};

struct body_probe
{
    char const* port; // "notify" or "metrics"
    std::string head; // request line and header fields, announcing a body never sent
    int status;       // what it gets, from its header alone
};

TEST_F(admin_ports_test, a_body_to_a_route_that_takes_none_is_refused_from_the_header_alone)
{
    auto const daemon = start();
    auto& d = *daemon;
    std::string const big = "Content-Length: 1048576\r\n";
    std::string const chunked = "Transfer-Encoding: chunked\r\n";
    std::vector<body_probe> const probes{
        {"notify", "POST /healthz HTTP/1.1\r\nHost: x\r\n" + big, 405},
        {"notify", "POST /metrics HTTP/1.1\r\nHost: x\r\n" + chunked, 405},
        {"notify", "PUT /notify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n" + big,
         405},
        {"notify", "POST /elsewhere HTTP/1.1\r\nHost: x\r\n" + big, 404},
        {"notify", "POST /notify HTTP/1.1\r\nHost: x\r\n" + big, 401},
        {"notify", "GET /healthz HTTP/1.1\r\nHost: x\r\n" + big, 400},
        {"metrics", "POST /metrics HTTP/1.1\r\nHost: x\r\n" + big, 405},
        {"metrics", "POST /notify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n" + big,
         404},
        {"metrics", "GET /readyz HTTP/1.1\r\nHost: x\r\n" + chunked, 400},
    };
    for (auto const& p : probes) {
        auto const port = std::string(p.port) == "notify" ? d.notify_port() : d.metrics_port();
        tcp_connection c{port};
        c.send(p.head + "\r\n");
        // Not a byte of the body is sent: the answer must not wait for it.
        EXPECT_EQ(response_status(c, 3s), p.status) << p.head;
        EXPECT_TRUE(c.closed_within(5s)) << "closed after the answer: " << p.head;
    }
    auto const scrape = http_request(d.metrics_port(), "GET", "/metrics").body;
    EXPECT_NE(scrape.find("sse_server_notify_requests_refused_total{status=\"405\"} 4"),
              std::string::npos)
        << scrape;
}

TEST_F(admin_ports_test, a_request_without_a_body_keeps_its_connection)
{
    auto const daemon = start();
    auto& d = *daemon;
    tcp_connection c{d.notify_port()};
    c.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
           "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string in;
    auto const deadline = clock::now() + 10s;
    while (in.find("\r\n\r\nok") == std::string::npos && clock::now() < deadline)
        if (c.read_some(in, 200ms) == 0)
            break;
    EXPECT_EQ(in.rfind("HTTP/1.1 405", 0), 0u) << in;
    EXPECT_NE(in.find("HTTP/1.1 200 OK"), std::string::npos) << in;
}

TEST_F(admin_ports_test, unfinished_bodies_to_other_routes_hold_no_memory)
{
    if (!rss_is_meaningful)
        GTEST_SKIP() << "resident size means nothing under ASan";
    auto const daemon = start();
    auto& d = *daemon;
    auto const before = d.rss_kib();
    std::string const megabyte(std::size_t{1} << 20, 'x');
    std::vector<tcp_connection> peers;
    // 150 bodies of 1 MiB each, one byte short: the daemon used to buffer each one whole.
    for (int i = 0; i < 150; ++i) {
        auto const port = i % 2 == 0 ? d.metrics_port() : d.notify_port();
        auto const target = i % 2 == 0 ? "/metrics" : "/healthz";
        peers.emplace_back(port);
        peers.back().send(std::string("POST ") + target +
                          " HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n");
        flood(peers.back(), megabyte, megabyte.size() - 1, 2s);
    }
    EXPECT_EQ(http_request(d.notify_port(), "GET", "/healthz").status, 200);
    expect_bounded_growth(d, before);
}

TEST_F(admin_ports_test, each_port_takes_its_cap_of_connections_and_refuses_the_next_one)
{
    auto const daemon = start("max_connections = 4\n");
    auto& d = *daemon;
    for (auto const& [port, other, label] :
         {std::tuple{d.notify_port(), d.metrics_port(), "notify"},
          std::tuple{d.metrics_port(), d.notify_port(), "metrics"}}) {
        std::vector<tcp_connection> idle;
        for (int i = 0; i < 4; ++i)
            idle.emplace_back(port);
        // Accepted in order: the four idle ones hold every place, the fifth is told so.
        tcp_connection fifth{port};
        EXPECT_EQ(response_status(fifth), 503) << label;
        EXPECT_TRUE(fifth.closed_within(5s)) << label;
        EXPECT_EQ(http_request(other, "GET", "/healthz").status, 200)
            << "the other port has places of its own: " << label;
        auto const refused =
            std::string("sse_server_admin_connections_refused_total{port=\"") + label + "\"}";
        EXPECT_TRUE(metric_reaches(other, refused, 1)) << label;
        // A place comes back once a connection closes: the daemon sees it go.
        idle.pop_back();
        auto const deadline = clock::now() + 10s;
        int status = 0;
        while (status != 200 && clock::now() < deadline)
            status = http_request(port, "GET", "/healthz").status;
        EXPECT_EQ(status, 200) << label;
    }
}

TEST_F(admin_ports_test, a_crowd_on_the_metrics_port_starves_neither_clients_nor_healthz)
{
    raise_open_file_limit();
    auto const daemon = start("", 256);
    auto& d = *daemon;
    ASSERT_TRUE(readyz_becomes(d.notify_port(), 200)) << d.output();
    std::vector<tcp_connection> crowd;
    for (int i = 0; i < 1100; ++i)
        crowd.emplace_back(d.metrics_port()); // idle: each would hold a descriptor a minute
    ASSERT_TRUE(metric_reaches(d.notify_port(),
                               "sse_server_admin_connections_refused_total{port=\"metrics\"}",
                               1000))
        << d.output();
    for (int i = 0; i < 3; ++i) {
        auto const start = clock::now();
        EXPECT_EQ(http_request(d.notify_port(), "GET", "/healthz", {}, {}, 2s).status, 200);
        EXPECT_LT(clock::now() - start, 1s);
    }
    EXPECT_EQ(stream_status_once_admitted(d.clients_port(), "sid=a", 10s), 200) << d.output();
    EXPECT_EQ(d.output().find("descriptors running low"), std::string::npos) << d.output();
    EXPECT_FALSE(d.wait_exit(0ms)) << "still running";
}

/** The figure of `series` (no labels) in a Prometheus text; -1 when absent. */
double sample_of(std::string const& text, std::string const& series)
{
    auto const at = text.find("\n" + series + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + series.size() + 2));
}

/** Descriptors the process `pid` holds, counted by listing /proc/<pid>/fd. */
long listed_descriptors(pid_t pid)
{
    std::error_code ec;
    long n = 0;
    for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end;
         !ec && it != end; it.increment(ec))
        ++n;
    return ec ? -1 : n;
}

TEST_F(admin_ports_test, process_open_fds_counts_the_descriptors_the_daemon_holds)
{
    auto const daemon = start();
    auto& d = *daemon;
    std::vector<tcp_connection> idle;
    for (int i = 0; i < 300; ++i)
        idle.emplace_back(d.clients_port());
    // The scrape's own connection is one more than the listing before it. Connections of
    // earlier scrapes close meanwhile: compared again until the daemon is quiet.
    long listed = 0;
    double scraped = 0;
    auto const deadline = clock::now() + 10s;
    do {
        listed = listed_descriptors(d.pid());
        scraped = sample_of(http_request(d.metrics_port(), "GET", "/metrics").body,
                            "process_open_fds");
    } while (scraped != static_cast<double>(listed + 1) && clock::now() < deadline);
    EXPECT_EQ(scraped, static_cast<double>(listed + 1));
    EXPECT_GT(listed, 300);
}

/** A scraper that keeps `depth` GET /metrics pipelined on one connection, reading the answers
    as they come, until told to stop. */
class pipelining_scraper
{
public:
    pipelining_scraper(std::uint16_t port, int depth)
        : conn_(port), thread_([this, depth] { run(depth); })
    {
    }
    ~pipelining_scraper()
    {
        stop_ = true;
        thread_.join();
    }
    pipelining_scraper(pipelining_scraper const&) = delete;
    pipelining_scraper& operator=(pipelining_scraper const&) = delete;

    long answers() const { return answers_; }

private:
    void run(int depth)
    {
        std::string const request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
        std::string const status_line = "HTTP/1.1 200 OK\r\n";
        std::string in;
        while (!stop_) {
            std::string batch;
            for (int i = 0; i < depth; ++i)
                batch += request;
            conn_.send(batch);
            long awaited = depth;
            while (awaited > 0 && !stop_) {
                if (conn_.read_some(in, 100ms) == 0)
                    return;
                for (auto at = in.find(status_line); at != std::string::npos;
                     at = in.find(status_line)) {
                    in.erase(0, at + status_line.size());
                    --awaited;
                    ++answers_;
                }
                if (in.size() > status_line.size())
                    in.erase(0, in.size() - status_line.size());
            }
        }
    }

    tcp_connection conn_;
    std::atomic<bool> stop_{false};
    std::atomic<long> answers_{0};
    std::thread thread_;
};

TEST_F(admin_ports_test, scrapes_in_a_burst_delay_neither_healthz_nor_delivery)
{
    raise_open_file_limit();
    auto const daemon = start("[client]\nheader_timeout = \"5m\"\n");
    auto& d = *daemon;
    // Thousands of descriptors, as with as many streams: a scrape used to list them all.
    std::vector<tcp_connection> idle;
    for (int i = 0; i < 10000; ++i)
        idle.emplace_back(d.clients_port());
    ASSERT_TRUE(metric_reaches(d.metrics_port(), "process_open_fds", 10000, 30s));
    sse_stream s{d.clients_port(), "/events?events=orders", {{"Cookie", "sid=a"}}};
    ASSERT_EQ(s.status(), 200);
    ASSERT_TRUE(s.next_event_named("connected"));

    std::vector<std::unique_ptr<pipelining_scraper>> scrapers;
    for (int i = 0; i < 16; ++i)
        scrapers.push_back(std::make_unique<pipelining_scraper>(d.metrics_port(), 50));
    for (int i = 0; i < 5; ++i) {
        auto const asked = clock::now();
        EXPECT_EQ(http_request(d.notify_port(), "GET", "/healthz", {}, {}, 5s).status, 200);
        EXPECT_LT(clock::now() - asked, 1s) << "/healthz";

        auto const posted = clock::now();
        auto const body = R"({"name":"orders","type":"t","id":)" + std::to_string(i) + "}";
        ASSERT_EQ(post_notify(d.notify_port(), body, {{"Authorization", "Bearer s3cret"}}).status,
                  202);
        auto const e = s.next_event(5s);
        ASSERT_TRUE(e);
        EXPECT_EQ(e->data, body);
        EXPECT_LT(clock::now() - posted, 1s) << "delivery";
    }
    for (auto const& scraper : scrapers)
        EXPECT_GT(scraper->answers(), 0) << "the scrapes were answered meanwhile";
}

} // namespace
} // namespace sse_server::test
