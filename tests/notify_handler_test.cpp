#include "sse_server/config.hpp"
#include "sse_server/metrics.hpp"
#include "sse_server/notify_handler.hpp"
#include "sse_server/registry.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

class notify_handler_test : public ::testing::Test
{
protected:
    notify_handler_test() { cfg_.notify.token = "s3cret"; }

    static http::request<http::string_body> request(http::verb method, std::string target,
                                                    std::string authorization = "",
                                                    std::string body = "")
    {
        http::request<http::string_body> req{method, target, 11};
        if (!authorization.empty())
            req.set(http::field::authorization, authorization);
        req.body() = std::move(body);
        return req;
    }

    notify_answer handle(http::request<http::string_body> const& req)
    {
        return handler_.handle(req, std::chrono::steady_clock::now(), false);
    }

    config cfg_;
    metrics stats_;
    registry subscriptions_{"user", replay_config{}};
    notify_handler handler_{cfg_, subscriptions_, stats_};
};

TEST_F(notify_handler_test, the_token_is_checked_from_the_header_with_any_case_of_bearer)
{
    for (auto const* good : {"Bearer s3cret", "bearer s3cret", "BEARER\ts3cret"})
        EXPECT_FALSE(handler_.check_header(request(http::verb::post, "/notify", good))) << good;
    for (auto const* bad : {"", "Bearer wrong", "Basic s3cret", "Bearers3cret", "Bearer"}) {
        auto refusal = handler_.check_header(request(http::verb::post, "/notify", bad));
        ASSERT_TRUE(refusal) << bad;
        EXPECT_EQ(refusal->status, http::status::unauthorized);
    }
    EXPECT_FALSE(handler_.check_header(request(http::verb::get, "/metrics")))
        << "health, readiness and metrics stay open";
    EXPECT_NE(stats_.render().find(R"(sse_server_notify_requests_refused_total{status="401"} 5)"),
              std::string::npos)
        << stats_.render();
}

TEST_F(notify_handler_test, routes_answer_404_and_405_with_the_allowed_method)
{
    EXPECT_EQ(handle(request(http::verb::get, "/nope")).status, http::status::not_found);
    auto wrong = handle(request(http::verb::get, "/notify"));
    EXPECT_EQ(wrong.status, http::status::method_not_allowed);
    EXPECT_EQ(wrong.allow, "POST");
    EXPECT_EQ(handle(request(http::verb::post, "/healthz")).allow, "GET");
    EXPECT_EQ(handle(request(http::verb::get, "/healthz?x=1")).body, "ok");
    EXPECT_TRUE(handle(request(http::verb::get, "/readyz")).needs_redis);
}

TEST_F(notify_handler_test, a_valid_batch_is_published_and_an_invalid_one_changes_nothing)
{
    auto const before = subscriptions_.newest();
    auto bad = handle(request(http::verb::post, "/notify", "",
                              R"([{"name":"a","type":"t","id":1},{"name":"b"}])"));
    EXPECT_EQ(bad.status, http::status::bad_request);
    EXPECT_NE(bad.body.find("[1].type"), std::string::npos) << bad.body;
    EXPECT_EQ(subscriptions_.newest(), before) << "nothing of a refused batch is published";
    auto good =
        handle(request(http::verb::post, "/notify", "",
                       R"([{"name":"a","type":"t","id":1},{"name":"b","type":"t","id":2}])"));
    EXPECT_EQ(good.status, http::status::accepted);
    EXPECT_EQ(good.body, R"({"accepted":2,"recipients":0})");
}

TEST(notify_answer, bytes_carry_length_connection_and_allow)
{
    notify_answer a;
    a.status = http::status::method_not_allowed;
    a.body = "{}";
    a.allow = "GET";
    std::string out;
    append_answer(out, a, 11, false);
    EXPECT_EQ(out, "HTTP/1.1 405 Method Not Allowed\r\nServer: sse-server\r\n"
                   "Content-Type: application/json\r\nAllow: GET\r\nConnection: close\r\n"
                   "Content-Length: 2\r\n\r\n{}");
    out.clear();
    append_answer(out, notify_answer{}, 10, true);
    EXPECT_NE(out.find("HTTP/1.0 200 OK\r\n"), std::string::npos);
    EXPECT_NE(out.find("Connection: keep-alive\r\n"), std::string::npos);
}

} // namespace
} // namespace sse_server
