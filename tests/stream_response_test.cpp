#include "sse_server/stream/stream_response.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <set>

namespace sse_server {
namespace {

using namespace std::chrono_literals;

TEST(stream_response, head_is_an_event_stream_that_no_proxy_buffers)
{
    auto const head = stream_response_head(11, "");
    EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << head;
    EXPECT_NE(head.find("Content-Type: text/event-stream; charset=utf-8\r\n"), std::string::npos);
    EXPECT_NE(head.find("Cache-Control: no-cache, no-transform\r\n"), std::string::npos);
    EXPECT_NE(head.find("X-Accel-Buffering: no\r\n"), std::string::npos);
    EXPECT_NE(head.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
    EXPECT_EQ(head.find("Access-Control"), std::string::npos);
    EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
}

TEST(stream_response, head_for_http_1_0_is_not_chunked)
{
    auto const head = stream_response_head(10, "");
    EXPECT_EQ(head.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << head;
    EXPECT_EQ(head.find("chunked"), std::string::npos);
}

TEST(stream_response, allowed_origin_is_echoed_with_credentials)
{
    auto const head = stream_response_head(11, "https://app.example.com");
    EXPECT_NE(head.find("Access-Control-Allow-Origin: https://app.example.com\r\n"),
              std::string::npos);
    EXPECT_NE(head.find("Access-Control-Allow-Credentials: true\r\n"), std::string::npos);
    EXPECT_NE(head.find("Vary: Origin\r\n"), std::string::npos);
}

TEST(stream_response, greeting_is_retry_then_connected_with_its_position)
{
    auto const greeting =
        stream_greeting(3s, event_id{17, 2}, "tab-1", "42", {"orders", "users"}, false);
    EXPECT_EQ(greeting, "retry: 3000\n\n"
                        "id: 17-2\nevent: connected\n"
                        R"(data: {"origin":"tab-1","user":"42","events":["orders","users"]})"
                        "\n\n");
}

TEST(stream_response, greeting_after_lost_history_ends_with_resync)
{
    auto const greeting = stream_greeting(3s, event_id{17, 2}, "o", "42", {}, true);
    EXPECT_NE(greeting.find("event: connected\n"), std::string::npos);
    auto const tail = std::string("event: resync\ndata: {\"reason\":\"history-lost\"}\n\n");
    EXPECT_EQ(greeting.substr(greeting.size() - tail.size()), tail);
}

TEST(stream_response, user_ids_with_quotes_or_invalid_utf8_stay_valid_json)
{
    auto const greeting =
        stream_greeting(3s, event_id{1, 0}, "o", "a\"b\xff", {}, false);
    auto const data_at = greeting.find("data: ") + 6;
    auto const data = greeting.substr(data_at, greeting.find('\n', data_at) - data_at);
    auto const parsed = nlohmann::json::parse(data, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << data;
    EXPECT_EQ(parsed["user"].get<std::string>().substr(0, 3), "a\"b");
}

TEST(stream_response, refusals_carry_the_headers_their_status_needs)
{
    auto const unavailable =
        stream_refusal(http::status::service_unavailable, 11, "redis down", 2500ms, "");
    EXPECT_EQ(unavailable[http::field::retry_after], "3");
    EXPECT_EQ(unavailable.body(), "redis down\n");
    EXPECT_EQ(unavailable[http::field::content_type], "text/plain; charset=utf-8");
    auto const unauthorized = stream_refusal(http::status::unauthorized, 11, "no", 3s, "");
    EXPECT_EQ(unauthorized[http::field::www_authenticate], "Bearer");
    auto const wrong_method = stream_refusal(http::status::method_not_allowed, 11, "no", 3s, "");
    EXPECT_EQ(wrong_method[http::field::allow], "GET, OPTIONS");
    auto const fast = stream_refusal(http::status::service_unavailable, 11, "x", 0ms, "");
    EXPECT_EQ(fast[http::field::retry_after], "1") << "never Retry-After: 0";
    auto const over_limit = stream_refusal(http::status::too_many_requests, 11, "x", 3s, "");
    EXPECT_EQ(over_limit[http::field::retry_after], "3");
    EXPECT_EQ(unauthorized[http::field::retry_after], "") << "a 401 does not pass";
}

TEST(stream_response, a_page_on_an_allowed_origin_may_read_retry_after)
{
    auto const cross = stream_refusal(http::status::service_unavailable, 11, "x", 3s,
                                      "https://app.example.com");
    EXPECT_EQ(cross[http::field::access_control_expose_headers], "Retry-After");
    auto const same = stream_refusal(http::status::service_unavailable, 11, "x", 3s, "");
    EXPECT_EQ(same[http::field::access_control_expose_headers], "");
    auto const unauthorized = stream_refusal(http::status::unauthorized, 11, "x", 3s,
                                             "https://app.example.com");
    EXPECT_EQ(unauthorized[http::field::access_control_expose_headers], "");
}

TEST(stream_response, preflight_allows_the_headers_polyfills_send_for_allowed_origins_only)
{
    auto const allowed = stream_preflight(11, "https://app.example.com");
    EXPECT_EQ(allowed.result(), http::status::no_content);
    EXPECT_NE(allowed[http::field::access_control_allow_headers].find("Last-Event-ID"),
              std::string::npos);
    auto const other = stream_preflight(11, "");
    EXPECT_EQ(other[http::field::access_control_allow_origin], "");
}

TEST(stream_lifetime, every_stream_lives_within_ten_percent_of_the_maximum)
{
    std::mt19937_64 random(std::random_device{}());
    for (auto const max_lifetime : {milliseconds{1h}, milliseconds{300ms}, milliseconds{10ms}}) {
        for (int i = 0; i < 1000; ++i) {
            auto const lifetime = stream_lifetime(max_lifetime, random);
            EXPECT_GE(lifetime * 10, max_lifetime * 9) << max_lifetime.count();
            EXPECT_LE(lifetime * 10, max_lifetime * 11) << max_lifetime.count();
        }
    }
}

TEST(stream_lifetime, streams_opened_together_end_spread_over_the_whole_band)
{
    std::mt19937_64 random(std::random_device{}());
    std::set<milliseconds::rep> lifetimes;
    for (int i = 0; i < 1000; ++i)
        lifetimes.insert(stream_lifetime(1h, random).count());
    // 1 000 draws over 720 001 possible values: nearly all distinct, both sides of the hour.
    EXPECT_GT(lifetimes.size(), 990u);
    EXPECT_LT(milliseconds{*lifetimes.begin()}, 57min);
    EXPECT_GT(milliseconds{*lifetimes.rbegin()}, 63min);
}

TEST(stream_lifetime, zero_means_no_lifetime)
{
    std::mt19937_64 random(std::random_device{}());
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(stream_lifetime(0ms, random), 0ms);
}

TEST(drain_delay, spreads_over_the_drain_period_capped_at_half_the_shutdown_timeout)
{
    std::mt19937_64 random(std::random_device{}());
    std::set<milliseconds::rep> delays;
    for (int i = 0; i < 1000; ++i) {
        auto const delay = drain_delay(2s, 10s, random);
        EXPECT_GE(delay, 0ms);
        EXPECT_LE(delay, 2s);
        delays.insert(delay.count());
        EXPECT_LE(drain_delay(2s, 1s, random), 500ms) << "the last ones still end before the deadline";
    }
    EXPECT_GT(delays.size(), 700u) << "1 000 draws over 2 001 values: about 787 distinct";
    EXPECT_LT(milliseconds{*delays.begin()}, 100ms);
    EXPECT_GT(milliseconds{*delays.rbegin()}, 1900ms);
    EXPECT_EQ(drain_delay(0ms, 10s, random), 0ms) << "0: every stream ends at once";
}

TEST(farewell_retry, is_drawn_between_the_retry_and_twice_it)
{
    std::mt19937_64 random(std::random_device{}());
    std::set<milliseconds::rep> values;
    for (int i = 0; i < 1000; ++i) {
        auto const retry = farewell_retry(3s, random);
        EXPECT_GE(retry, 3s);
        EXPECT_LE(retry, 6s);
        values.insert(retry.count());
    }
    EXPECT_GT(values.size(), 750u) << "1 000 draws over 3 001 values: about 850 distinct";
}

} // namespace
} // namespace sse_server
