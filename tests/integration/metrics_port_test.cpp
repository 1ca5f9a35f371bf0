// listen.metrics (SPEC §4): a third port that answers health, readiness and metrics exactly as
// the notification port does, and nothing else, so that a scraper never reaches /notify.
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>

namespace sse_server::test {
namespace {

class metrics_port_test : public ::testing::Test
{
protected:
    void SetUp() override
    {
        redis_.set("sess:s", R"({"userId":1})");
        auto cfg = test_config(redis_);
        cfg.listen.metrics = host_port{"127.0.0.1", 0};
        cfg.notify.token = "s3cret"; // the metrics port must not even ask for it
        server_.emplace(std::move(cfg));
    }

    std::uint16_t metrics() const { return *server_->metrics_port(); }
    std::uint16_t notify() const { return server_->notify_port(); }

    redis_server redis_;
    std::optional<running_server> server_;
};

TEST_F(metrics_port_test, health_readiness_and_metrics_answer_as_on_the_notification_port)
{
    auto health = http_request(metrics(), "GET", "/healthz");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.body, "ok");
    auto ready = http_request(metrics(), "GET", "/readyz");
    EXPECT_EQ(ready.status, 200);
    EXPECT_EQ(ready.body, "ready");
    auto scrape = http_request(metrics(), "GET", "/metrics");
    EXPECT_EQ(scrape.status, 200);
    EXPECT_NE(scrape.header("content-type").find("text/plain"), std::string::npos);
    EXPECT_NE(scrape.body.find("sse_server_redis_up{role=\"sessions\"} 1"), std::string::npos)
        << scrape.body;
    EXPECT_NE(scrape.body.find("# TYPE sse_server_connections gauge"), std::string::npos);

    redis_.stop();
    auto down = http_request(metrics(), "GET", "/readyz");
    EXPECT_EQ(down.status, 503);
    EXPECT_EQ(down.body, "redis unavailable") << "short and generic: the log has the detail";
}

TEST_F(metrics_port_test, notify_is_not_found_there_and_delivers_nothing)
{
    sse_stream s{server_->clients_port(), "/events?events=orders", {{"Cookie", "sid=s"}}};
    ASSERT_EQ(s.status(), 200);
    ASSERT_TRUE(s.next_event_named("connected"));
    std::vector<std::pair<std::string, std::string>> const token{
        {"Authorization", "Bearer s3cret"}};

    for (auto const& headers : {decltype(token){}, token}) {
        auto r = post_notify(metrics(), R"({"name":"orders","type":"leak","id":1})", headers);
        EXPECT_EQ(r.status, 404) << r.body;
        EXPECT_EQ(r.header("content-type"), "application/json");
        auto const error = nlohmann::json::parse(r.body, nullptr, false);
        EXPECT_TRUE(error.is_object() && error["error"].is_string()) << r.body;
    }
    EXPECT_EQ(http_request(metrics(), "GET", "/events").status, 404);

    // The notification port still publishes, and its event is the first the stream gets.
    auto const marker = R"({"name":"orders","type":"marker","id":2})";
    auto posted = post_notify(notify(), marker, token);
    ASSERT_EQ(posted.status, 202) << posted.body;
    auto e = s.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data, marker);
    auto scrape = http_request(metrics(), "GET", "/metrics").body;
    EXPECT_NE(scrape.find("sse_server_notifications_total{result=\"accepted\"} 1"),
              std::string::npos)
        << scrape;
}

TEST(metrics_port, is_not_opened_unless_configured)
{
    redis_server redis;
    running_server plain{test_config(redis)};
    EXPECT_FALSE(plain.metrics_port());
}

TEST(metrics_port, set_from_the_environment_it_says_shutting_down_until_the_streams_close)
{
    redis_server redis;
    redis.set("sess:s", R"({"userId":1})");
    // Room for a backlog larger than what the kernel buffers, and time to look around.
    daemon_process d{daemon_config(redis, "[client]\nmax_pending_bytes = 1073741824\n"
                                          "[server]\nshutdown_timeout = \"30s\"\n"),
                     {},
                     {{"SSE_SERVER_LISTEN_METRICS", "127.0.0.1:0"}}};
    ASSERT_TRUE(d.wait_for_output(" ready", 10s)) << d.output();
    auto const port = d.metrics_port();
    ASSERT_NE(port, 0) << d.output();
    ASSERT_TRUE(readyz_becomes(port, 200));

    // A reader that stopped reading with events queued: the shutdown waits for it.
    auto stalled = open_stalled_stream(d.clients_port(), "sid=s");
    ASSERT_TRUE(post_until_backlog(d.notify_port(), 1 << 20));
    d.signal(SIGTERM);
    ASSERT_TRUE(d.wait_for_output("stopping: 1 streams open", 10s)) << d.output();
    auto const going = http_request(port, "GET", "/readyz");
    EXPECT_EQ(going.status, 503);
    EXPECT_EQ(going.body, "shutting down");
    EXPECT_EQ(http_request(port, "GET", "/metrics").status, 200);

    stalled.close();
    EXPECT_EQ(d.wait_exit(10s), 0) << d.output();
}

} // namespace
} // namespace sse_server::test
