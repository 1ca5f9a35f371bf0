#include "sse_server/config/config.hpp"
#include "sse_server/stream/stream_admission.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

using verdict = stream_admission::verdict;

http::request<http::empty_body>
request(http::verb method, std::string target,
        std::vector<std::pair<std::string, std::string>> headers = {})
{
    http::request<http::empty_body> req{method, target, 11};
    for (auto const& [name, value] : headers)
        req.insert(name, value);
    return req;
}

TEST(stream_admission, a_valid_request_is_looked_up_with_what_it_asked_for)
{
    config cfg;
    auto a = admit_stream(request(http::verb::get, "/events?events=orders,invoices&origin=w1",
                                  {{"Cookie", "sid=abc"}, {"Last-Event-ID", "5-0"}}),
                          cfg);
    ASSERT_EQ(a.action, verdict::authenticate) << a.reason;
    EXPECT_EQ(a.cred.secret, "abc");
    EXPECT_EQ(a.target.events, (std::vector<std::string>{"orders", "invoices"}));
    EXPECT_EQ(a.target.origin, "w1");
    EXPECT_EQ(a.target.last_event_id, "5-0");
}

TEST(stream_admission, path_then_method_then_body_then_target_are_checked)
{
    config cfg;
    EXPECT_EQ(admit_stream(request(http::verb::get, "/other"), cfg).status,
              http::status::not_found);
    EXPECT_EQ(admit_stream(request(http::verb::options, "/events"), cfg).action,
              verdict::preflight);
    EXPECT_EQ(admit_stream(request(http::verb::post, "/events"), cfg).status,
              http::status::method_not_allowed);
    EXPECT_EQ(
        admit_stream(request(http::verb::get, "/events?events=a%20b", {{"Cookie", "sid=a"}}), cfg)
            .status,
        http::status::bad_request);
}

TEST(stream_admission, a_request_announcing_a_body_is_refused_with_400)
{
    config cfg;
    for (auto const& [name, value] :
         std::vector<std::pair<std::string, std::string>>{{"Transfer-Encoding", "chunked"},
                                                          {"Transfer-Encoding", "gzip"},
                                                          {"Content-Length", "1"}}) {
        auto a = admit_stream(
            request(http::verb::get, "/events", {{"Cookie", "sid=a"}, {name, value}}), cfg);
        EXPECT_EQ(a.action, verdict::refuse) << name;
        EXPECT_EQ(a.status, http::status::bad_request) << name;
    }
    auto empty = admit_stream(
        request(http::verb::get, "/events", {{"Cookie", "sid=a"}, {"Content-Length", "0"}}), cfg);
    EXPECT_EQ(empty.action, verdict::authenticate) << "an empty body is no body";
}

TEST(stream_admission, the_account_event_name_is_reserved)
{
    config cfg;
    cfg.events.account = "account";
    auto a = admit_stream(
        request(http::verb::get, "/events?events=orders&events=account", {{"Cookie", "sid=a"}}),
        cfg);
    EXPECT_EQ(a.status, http::status::bad_request);
    EXPECT_NE(a.reason.find("reserved"), std::string::npos) << a.reason;
    EXPECT_EQ(
        admit_stream(request(http::verb::get, "/events?events=user", {{"Cookie", "sid=a"}}), cfg)
            .action,
        verdict::authenticate)
        << "only the configured name is reserved";
}

TEST(stream_admission, every_401_answers_alike_whatever_was_wrong)
{
    config cfg;
    cfg.auth.session.secrets = {"s3cret"};
    std::vector<std::vector<std::pair<std::string, std::string>>> const cases = {
        {},                                       // no credentials
        {{"Cookie", "sid=s%3Aabc.badsignature"}}, // bad signature
        {{"Cookie", "sid=unsigned"}},             // not signed
        {{"Authorization", "Bearer "}},           // empty token
        {{"X-API-Key", "bad key with spaces"}},   // malformed
    };
    for (auto const& headers : cases) {
        auto a = admit_stream(request(http::verb::get, "/events", headers), cfg);
        EXPECT_EQ(a.status, http::status::unauthorized);
        EXPECT_EQ(a.reason, unauthorized_reason);
        EXPECT_FALSE(a.detail.empty()) << "the log may tell why";
    }
}

TEST(stream_admission, an_allowed_origin_is_echoed_even_in_a_refusal)
{
    config cfg;
    cfg.client.cors_origins = {"https://app.example"};
    auto a =
        admit_stream(request(http::verb::get, "/events", {{"Origin", "https://app.example"}}), cfg);
    EXPECT_EQ(a.status, http::status::unauthorized);
    EXPECT_EQ(a.cors_origin, "https://app.example");
    auto other = admit_stream(
        request(http::verb::get, "/events", {{"Origin", "https://evil.example"}}), cfg);
    EXPECT_EQ(other.cors_origin, "");
}

} // namespace
} // namespace sse_server
