// The notification port and the metrics port as a prober finds them: scrapes in a burst
// delay neither /healthz nor delivery, however many descriptors the daemon holds (SPEC §3).
#include "sse_server/process_limits.hpp"
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
