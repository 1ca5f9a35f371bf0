// The notification port end to end: refusals change nothing, health, readiness, metrics.
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/shell_command.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace sse_server::test {
namespace {

class notify_port_test : public ::testing::Test
{
protected:
    void SetUp() override { redis_.set("sess:s", R"({"userId":1})"); }

    void start(config cfg) { server_.emplace(std::move(cfg)); }
    void start() { start(test_config(redis_)); }
    std::uint16_t notify() const { return server_->notify_port(); }

    /** A subscriber to `orders`, its `connected` event consumed. */
    sse_stream listener()
    {
        sse_stream s{server_->clients_port(), "/events?events=orders", {{"Cookie", "sid=s"}}};
        EXPECT_EQ(s.status(), 200);
        EXPECT_TRUE(s.next_event());
        return s;
    }

    /** The subscriber's next event is `marker`: nothing reached it before. */
    void expect_nothing_before_marker(sse_stream& s, std::vector<std::pair<std::string, std::string>> headers = {})
    {
        auto const marker = R"({"name":"orders","type":"marker","id":0})";
        ASSERT_EQ(post_notify(notify(), marker, headers).status, 202);
        auto e = s.next_event();
        ASSERT_TRUE(e);
        EXPECT_EQ(e->data, marker);
    }

    std::string metrics() { return http_request(notify(), "GET", "/metrics").body; }

    redis_server redis_;
    std::optional<running_server> server_;
};

nlohmann::json error_of(http_response const& r)
{
    EXPECT_EQ(r.header("content-type"), "application/json");
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_TRUE(j.is_object() && j["error"].is_string()) << r.body;
    return j["error"];
}

TEST_F(notify_port_test, accepted_notification_reports_counts_and_the_ids_clients_get)
{
    start();
    auto s = listener();
    auto r = post_notify(notify(), R"({"name":"orders","type":"create","id":1})");
    EXPECT_EQ(r.status, 202);
    auto const one = nlohmann::json::parse(r.body);
    EXPECT_EQ(one.size(), 3u) << r.body;
    EXPECT_EQ(one["accepted"], 1);
    EXPECT_EQ(one["recipients"], 1);
    auto const e = s.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(one["ids"], nlohmann::json::array({e->id})) << "the id the stream got";

    auto batch = post_notify(notify(), R"([{"name":"orders","type":"a","id":2},
                                           {"name":"orders","type":"b","id":3}])");
    ASSERT_EQ(batch.status, 202);
    auto const ids = nlohmann::json::parse(batch.body)["ids"];
    ASSERT_EQ(ids.size(), 2u) << batch.body;
    for (auto const& id : ids) {
        auto const next = s.next_event();
        ASSERT_TRUE(next);
        EXPECT_EQ(next->id, id) << "in order";
    }

    auto empty = post_notify(notify(), "[]");
    EXPECT_EQ(empty.status, 202);
    EXPECT_EQ(nlohmann::json::parse(empty.body),
              nlohmann::json::parse(R"({"accepted":0,"recipients":0,"ids":[]})"));
}

TEST_F(notify_port_test, invalid_json_and_wrong_fields_get_400_and_change_nothing)
{
    start();
    auto s = listener();
    auto bad_json = post_notify(notify(), R"({"name":"orders",)");
    EXPECT_EQ(bad_json.status, 400);
    EXPECT_NE(error_of(bad_json).get<std::string>().find("invalid JSON"), std::string::npos);

    auto no_name = post_notify(notify(), R"({"type":"create","id":1})");
    EXPECT_EQ(no_name.status, 400);
    EXPECT_NE(error_of(no_name).get<std::string>().find("name"), std::string::npos);

    auto object_id = post_notify(notify(), R"({"name":"orders","type":"create","id":{}})");
    EXPECT_EQ(object_id.status, 400);
    EXPECT_NE(error_of(object_id).get<std::string>().find("id"), std::string::npos);

    auto batch = post_notify(notify(), R"([{"name":"orders","type":"a","id":1},
                                           {"name":"orders","type":"b","id":2},
                                           {"name":"orders","type":"c"}])");
    EXPECT_EQ(batch.status, 400);
    EXPECT_NE(error_of(batch).get<std::string>().find("[2]"), std::string::npos);

    expect_nothing_before_marker(s);
    EXPECT_NE(metrics().find("sse_server_notifications_total{result=\"invalid\"} 4"),
              std::string::npos);
}

TEST_F(notify_port_test, body_over_the_limit_gets_413_and_changes_nothing)
{
    auto cfg = test_config(redis_);
    cfg.notify.max_body_bytes = 1024;
    start(cfg);
    auto s = listener();
    std::string const big = R"({"name":"orders","type":"create","id":1,"data":")" +
                            std::string(2000, 'x') + R"("})";
    auto r = post_notify(notify(), big);
    EXPECT_EQ(r.status, 413);
    EXPECT_NE(error_of(r).get<std::string>().find("1024"), std::string::npos);
    expect_nothing_before_marker(s);
    EXPECT_NE(metrics().find("sse_server_notifications_total{result=\"too_large\"} 1"),
              std::string::npos);
}

TEST_F(notify_port_test, other_bodies_over_the_limit_get_413_but_are_not_refused_notifications)
{
    auto cfg = test_config(redis_);
    cfg.notify.max_body_bytes = 1024;
    start(cfg);
    auto const users = R"({"users":[")" + std::string(2000, '1') + R"("]})";
    EXPECT_EQ(http_request(notify(), "POST", "/revalidate", {}, users).status, 413);
    auto const explain =
        R"({"user":"1","notification":{"name":"orders","type":"t","id":1,"data":")" +
        std::string(2000, 'x') + R"("}})";
    EXPECT_EQ(http_request(notify(), "POST", "/explain", {}, explain).status, 413);
    auto const text = metrics();
    EXPECT_NE(text.find(R"(sse_server_notify_requests_refused_total{status="413"} 2)"),
              std::string::npos);
    EXPECT_NE(text.find(R"(sse_server_notifications_total{result="too_large"} 0)"),
              std::string::npos);
}

TEST_F(notify_port_test, token_guards_notify_only)
{
    auto cfg = test_config(redis_);
    cfg.notify.token = "s3cret";
    start(cfg);
    auto s = listener();
    auto const body = R"({"name":"orders","type":"create","id":1})";
    auto missing = post_notify(notify(), body);
    EXPECT_EQ(missing.status, 401);
    error_of(missing);
    EXPECT_EQ(post_notify(notify(), body, {{"Authorization", "Bearer wrong"}}).status, 401);
    EXPECT_EQ(post_notify(notify(), body, {{"Authorization", "s3cret"}}).status, 401);
    expect_nothing_before_marker(s, {{"Authorization", "Bearer s3cret"}});

    EXPECT_EQ(http_request(notify(), "GET", "/healthz").status, 200);
    EXPECT_EQ(http_request(notify(), "GET", "/metrics").status, 200);
}

TEST_F(notify_port_test, unknown_paths_and_methods_get_404_and_405)
{
    start();
    auto nowhere = http_request(notify(), "GET", "/nowhere");
    EXPECT_EQ(nowhere.status, 404);
    error_of(nowhere);
    auto get_notify = http_request(notify(), "GET", "/notify");
    EXPECT_EQ(get_notify.status, 405);
    EXPECT_EQ(get_notify.header("allow"), "POST");
    EXPECT_EQ(http_request(notify(), "POST", "/healthz").status, 405);
    auto const m = metrics();
    EXPECT_NE(m.find("sse_server_notify_requests_refused_total{status=\"404\"} 1"), std::string::npos) << m;
    EXPECT_NE(m.find("sse_server_notify_requests_refused_total{status=\"405\"} 2"), std::string::npos) << m;
}

TEST(notify_port, readyz_gives_whoever_asks_a_generic_reason_and_the_log_the_detail)
{
    // /readyz answers anyone who reaches the port: Redis's own words (an error text, a key
    // name, a host) are for the log.
    redis_server redis{"right-password"};
    auto const url = "redis://:wrong-password@127.0.0.1:" + std::to_string(redis.port()) + "/0";
    // Readiness is the subject, not the clients port, which would wait for Redis.
    daemon_process d{daemon_config(redis, "[server]\nready_timeout = \"0s\"\n"),
                     {},
                     {{"SSE_SERVER_REDIS_URL", url}}};
    ASSERT_TRUE(d.wait_for_output("authentication failed", 10s)) << d.output();
    auto const answer = http_request(d.notify_port(), "GET", "/readyz");
    EXPECT_EQ(answer.status, 503);
    EXPECT_EQ(answer.body, "redis unavailable");
    EXPECT_TRUE(d.wait_for_output("not ready (redis unavailable): ", 10s)) << d.output();
    auto const out = d.output();
    auto const line = out.substr(out.find("not ready (redis unavailable): "));
    EXPECT_NE(line.substr(0, line.find('\n')).find("authentication failed"), std::string::npos)
        << out;
    EXPECT_EQ(out.find("wrong-password"), std::string::npos) << "never the password";
}

TEST_F(notify_port_test, healthz_and_readyz_follow_the_process_and_redis)
{
    start();
    auto health = http_request(notify(), "GET", "/healthz");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.body, "ok");
    EXPECT_EQ(http_request(notify(), "GET", "/readyz").status, 200);

    redis_.stop();
    auto down = http_request(notify(), "GET", "/readyz");
    EXPECT_EQ(down.status, 503);
    EXPECT_EQ(down.body, "redis unavailable");
    EXPECT_EQ(http_request(notify(), "GET", "/healthz").status, 200);
}

TEST_F(notify_port_test, metrics_expose_the_documented_names)
{
    start();
    auto s = listener();
    ASSERT_EQ(post_notify(notify(), R"({"name":"orders","type":"create","id":1})").status, 202);
    ASSERT_TRUE(s.next_event());
    auto r = http_request(notify(), "GET", "/metrics");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.header("content-type").find("text/plain"), std::string::npos);
    for (auto const* line :
         {"sse_server_connections 1", "sse_server_auth_total{outcome=\"ok\"} 1",
          "sse_server_notifications_total{result=\"accepted\"} 1",
          "sse_server_events_delivered_total 1", "sse_server_slow_consumer_closes_total 0",
          "sse_server_redis_up{role=\"sessions\"} 1", "sse_server_fanout_seconds_count 1",
          "# TYPE sse_server_connections_closed_total counter",
          "# TYPE sse_server_replay_total counter"})
        EXPECT_NE(r.body.find(line), std::string::npos) << line << "\n" << r.body;
}

TEST_F(notify_port_test, metrics_pass_promtool_lint_when_promtool_is_installed)
{
    if (std::system("command -v promtool >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "promtool is not installed (Debian's prometheus package ships it)";
    start();
    auto s = listener();
    ASSERT_EQ(post_notify(notify(), R"({"name":"orders","type":"create","id":1})").status, 202);
    ASSERT_TRUE(s.next_event());
    auto const body = metrics();
    auto const path = std::filesystem::temp_directory_path() /
                      ("sse-metrics-" + std::to_string(::getpid()) + ".txt");
    std::ofstream(path) << body;
    auto const lint = run_shell("promtool check metrics < " + path.string());
    std::filesystem::remove(path);
    EXPECT_EQ(lint.exit_status, 0) << lint.output << "\n" << body;
}

TEST_F(notify_port_test, expect_100_continue_is_answered_before_the_body_is_sent)
{
    start();
    auto s = listener();
    tcp_connection c{notify()};
    std::string const body = R"({"name":"orders","type":"create","id":1})";
    c.send("POST /notify HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n");
    std::string got;
    while (got.find("\r\n\r\n") == std::string::npos)
        ASSERT_GT(c.read_some(got, 10s), 0) << got;
    EXPECT_EQ(got, "HTTP/1.1 100 Continue\r\n\r\n");
    c.send(body);
    got.clear();
    while (got.find("recipients") == std::string::npos)
        ASSERT_GT(c.read_some(got, 10s), 0) << got;
    EXPECT_EQ(got.rfind("HTTP/1.1 202", 0), 0u) << got;
    auto e = s.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data, body);
}

TEST_F(notify_port_test, keep_alive_serves_several_requests_on_one_connection)
{
    start();
    tcp_connection c{notify()};
    std::string const body = R"({"name":"orders","type":"create","id":1})";
    std::string const req = "POST /notify HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body;
    c.send(req + req);
    std::string got;
    auto count = [&] {
        std::size_t n = 0;
        for (auto p = got.find("HTTP/1.1 202"); p != std::string::npos; p = got.find("HTTP/1.1 202", p + 1))
            ++n;
        return n;
    };
    while (count() < 2)
        ASSERT_GT(c.read_some(got, 10s), 0) << got;
    // Still open: a third request on it is answered too.
    c.send(req);
    while (count() < 3)
        ASSERT_GT(c.read_some(got, 10s), 0) << got;
}

} // namespace
} // namespace sse_server::test
