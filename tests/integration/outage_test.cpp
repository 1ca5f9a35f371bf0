// Redis going away and coming back, and credentials disappearing (logout), while streams run.
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace sse_server::test {
namespace {

using clock = std::chrono::steady_clock;

header_list session(std::string const& sid) { return {{"Cookie", "sid=" + sid}}; }

TEST(outage, redis_loss_and_return_step_by_step)
{
    redis_server redis;
    redis.set("sess:a", R"({"userId":1})");
    auto cfg = test_config(redis);
    cfg.redis.timeout = std::chrono::milliseconds(500);
    running_server server{cfg};
    auto const notify = server.notify_port();
    sse_stream open_stream{server.clients_port(), "/events?events=orders", session("a")};
    ASSERT_EQ(open_stream.status(), 200);
    ASSERT_TRUE(open_stream.next_event_named("connected"));
    ASSERT_EQ(http_request(notify, "GET", "/readyz").status, 200);

    redis.stop();

    // 1. Open streams keep receiving notifications.
    auto const body = R"({"name":"orders","type":"create","id":1})";
    ASSERT_EQ(post_notify(notify, body).status, 202);
    auto e = open_stream.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data, body);

    // 2. New streams get 503 with Retry-After.
    sse_stream refused{server.clients_port(), "/events", session("a")};
    EXPECT_EQ(refused.status(), 503);
    EXPECT_FALSE(refused.response().header("retry-after").empty());

    // 3. Readiness says why.
    auto ready = http_request(notify, "GET", "/readyz");
    EXPECT_EQ(ready.status, 503);
    EXPECT_NE(ready.body.find("redis"), std::string::npos) << ready.body;
    EXPECT_EQ(metric_value(notify, "sse_server_redis_up{role=\"sessions\"}"), 0.0);

    // 4. Redis returns: the client reconnects by itself and readiness follows.
    redis.start(); // an empty Redis: the session is stored again, as the app would
    redis.set("sess:a", R"({"userId":1})");
    EXPECT_TRUE(readyz_becomes(notify, 200, 20s));
    sse_stream again{server.clients_port(), "/events", session("a")};
    EXPECT_EQ(again.status(), 200);
    EXPECT_EQ(metric_value(notify, "sse_server_redis_up{role=\"sessions\"}"), 1.0);

    // The stream that lived through it all still works.
    ASSERT_EQ(post_notify(notify, body).status, 202);
    EXPECT_TRUE(open_stream.next_event());
}

TEST(outage, a_hung_redis_gets_503_after_the_timeout_not_a_stuck_request)
{
    redis_server redis;
    redis.set("sess:a", R"({"userId":1})");
    auto cfg = test_config(redis);
    cfg.redis.timeout = std::chrono::milliseconds(300);
    running_server server{cfg};
    ASSERT_EQ(sse_stream(server.clients_port(), "/events", session("a")).status(), 200);
    redis.pause();
    sse_stream s{server.clients_port(), "/events", session("a")};
    EXPECT_EQ(s.status(), 503);
    EXPECT_EQ(http_request(server.notify_port(), "GET", "/readyz").status, 503);
    redis.resume(); // the same process: its data is still there
    EXPECT_TRUE(readyz_becomes(server.notify_port(), 200, 20s));
    EXPECT_EQ(sse_stream(server.clients_port(), "/events", session("a")).status(), 200);
}

TEST(outage, pending_lookups_complete_with_503_when_redis_dies)
{
    redis_server redis;
    redis.set("sess:a", R"({"userId":1})");
    auto cfg = test_config(redis);
    cfg.redis.timeout = std::chrono::seconds(30);
    running_server server{cfg};
    ASSERT_EQ(sse_stream(server.clients_port(), "/events", session("a")).status(), 200);
    redis.pause();
    // Lookups are now waiting on a Redis that does not answer...
    std::vector<std::unique_ptr<tcp_connection>> waiting;
    for (int i = 0; i < 5; ++i) {
        waiting.push_back(std::make_unique<tcp_connection>(server.clients_port()));
        waiting.back()->send("GET /events HTTP/1.1\r\nHost: x\r\nCookie: sid=a\r\n\r\n");
    }
    // ...until it dies: each completes at once with 503, long before the 30 s timeout.
    std::string answered;
    ASSERT_EQ(waiting[0]->read_some(answered, 300ms), -1) << "still waiting while paused";
    redis.stop();
    for (auto& c : waiting) {
        std::string got;
        while (got.find("\r\n\r\n") == std::string::npos)
            ASSERT_GT(c->read_some(got, 10s), 0) << got;
        EXPECT_EQ(got.rfind("HTTP/1.1 503", 0), 0u) << got;
    }
}

TEST(outage, logout_closes_every_stream_of_the_session_within_the_interval)
{
    redis_server redis;
    redis.set("sess:gone", R"({"userId":1})");
    redis.set("sess:kept", R"({"userId":2})");
    auto cfg = test_config(redis);
    cfg.auth.revalidate_interval = std::chrono::milliseconds(200);
    running_server server{cfg};
    sse_stream window1{server.clients_port(), "/events?events=orders", session("gone")};
    sse_stream window2{server.clients_port(), "/events?events=orders", session("gone")};
    sse_stream other{server.clients_port(), "/events?events=orders", session("kept")};
    ASSERT_EQ(window1.status(), 200);
    ASSERT_EQ(window2.status(), 200);
    ASSERT_EQ(other.status(), 200);
    ASSERT_TRUE(other.next_event_named("connected"));

    redis.del("sess:gone");
    EXPECT_TRUE(window1.ends_cleanly(10s));
    EXPECT_TRUE(window2.ends_cleanly(10s));
    EXPECT_EQ(sse_stream(server.clients_port(), "/events", session("gone")).status(), 401);

    // The session that still exists went through the same checks and is still served.
    auto const body = R"({"name":"orders","type":"create","id":1})";
    ASSERT_EQ(post_notify(server.notify_port(), body).status, 202);
    auto e = other.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data, body);
    auto const metrics = http_request(server.notify_port(), "GET", "/metrics").body;
    EXPECT_NE(metrics.find("sse_server_connections_closed_total{reason=\"revalidation\"} 2"),
              std::string::npos)
        << metrics;
}

TEST(outage, revalidation_keeps_streams_while_redis_is_down)
{
    redis_server redis;
    redis.set("sess:a", R"({"userId":1})");
    auto cfg = test_config(redis);
    cfg.auth.revalidate_interval = std::chrono::milliseconds(100);
    running_server server{cfg};
    sse_stream s{server.clients_port(), "/events?events=orders", session("a")};
    ASSERT_EQ(s.status(), 200);
    ASSERT_TRUE(s.next_event_named("connected"));
    redis.stop();
    // Several revalidation rounds find no Redis; the stream must survive them.
    EXPECT_TRUE(metric_reaches(server.notify_port(),
                               R"(sse_server_revalidations_total{outcome="unavailable"})", 3, 20s));
    auto const body = R"({"name":"orders","type":"create","id":2})";
    ASSERT_EQ(post_notify(server.notify_port(), body).status, 202);
    EXPECT_TRUE(s.next_event());
}

} // namespace
} // namespace sse_server::test
