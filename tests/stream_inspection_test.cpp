// POST /explain and GET /streams (SPEC §3): why a stream would or would not receive a
// notification, what the port shows of a user's streams, and how both requests are checked.
#include "sse_server/notify/stream_inspection.hpp"

#include "sse_server/config/config.hpp"
#include "sse_server/event/event.hpp"
#include "sse_server/log/memory_event_log.hpp"
#include "sse_server/notify/notify_handler.hpp"
#include "sse_server/ops/metrics.hpp"
#include "sse_server/stream/registry.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <random>
#include <set>

namespace sse_server {
namespace {

using namespace std::chrono_literals;

class fake_stream : public subscriber
{
public:
    fake_stream(std::string user, std::vector<std::string> events,
                std::vector<std::string> groups = {}, std::string origin = "o")
        : user_(std::move(user)), events_(std::move(events)), groups_(std::move(groups)),
          origin_(std::move(origin))
    {
    }
    std::string const& user_id() const override { return user_; }
    std::vector<std::string> const& events() const override { return events_; }
    name_list const& groups() const override { return groups_; }
    bool send(frame_ptr const&) override
    {
        ++sent;
        return true;
    }
    void revalidate(std::function<void()>) override {}
    stream_info info() const override { return {origin_, opened_at, unsent, kind}; }

    std::chrono::steady_clock::time_point opened_at{};
    std::size_t unsent = 0;
    std::string_view kind = "session";
    int sent = 0;

private:
    std::string user_;
    std::vector<std::string> events_;
    name_list groups_;
    std::string origin_;
};

std::shared_ptr<audience const> make_audience(std::vector<std::string> users,
                                              std::vector<std::string> groups)
{
    return std::make_shared<audience const>(audience{std::move(users), std::move(groups)});
}

event make_event(std::string name, std::string user, std::shared_ptr<audience const> to = {})
{
    return event{event_id{}, std::move(name), std::move(user), nullptr, std::move(to)};
}

TEST(why_not, is_empty_exactly_when_receives_is_true)
{
    auto const seed = std::random_device{}();
    std::cout << "why_not seed: " << seed << '\n';
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);
    std::vector<std::string> const names{"a", "b", "user", "c"};
    std::vector<std::string> const users{"1", "2", "3"};
    std::vector<std::string> const groups{"g1", "g2", "g3"};
    auto pick = [&](auto const& from) { return from[random() % from.size()]; };
    auto some = [&](auto const& from, unsigned most) {
        std::set<std::string> chosen;
        for (auto n = random() % (most + 1); n > 0; --n)
            chosen.insert(pick(from));
        return std::vector<std::string>(chosen.begin(), chosen.end());
    };
    registry const reg{"user"};
    std::set<std::string_view> reasons;
    for (int i = 0; i < 5000; ++i) {
        fake_stream const s{pick(users), some(names, 3), some(groups, 2)};
        std::shared_ptr<audience const> to;
        if (random() % 2)
            to = make_audience(some(users, 2), some(groups, 2));
        auto const e = make_event(pick(names), pick(users), to);
        auto const why = reg.why_not(s, e);
        EXPECT_EQ(why.empty(), reg.receives(s, e))
            << e.name << " for user " << e.user_id << " to user " << s.user_id() << ": " << why;
        reasons.insert(why);
    }
    EXPECT_EQ(reasons, (std::set<std::string_view>{"", "not subscribed", "not its account",
                                                    "audience"}))
        << "every reason was drawn";
}

TEST(why_not, names_the_rule_that_leaves_a_stream_out)
{
    registry const reg{"user"};
    fake_stream const s{"42", {"orders"}, {"acme"}};
    EXPECT_EQ(reg.why_not(s, make_event("orders", "7")), "");
    EXPECT_EQ(reg.why_not(s, make_event("invoices", "42")), "not subscribed");
    EXPECT_EQ(reg.why_not(s, make_event("user", "42")), "") << "its account";
    EXPECT_EQ(reg.why_not(s, make_event("user", "7")), "not its account");
    EXPECT_EQ(reg.why_not(s, make_event("orders", "7", make_audience({"7"}, {}))), "audience");
    EXPECT_EQ(reg.why_not(s, make_event("orders", "7", make_audience({}, {"acme"}))), "");
    EXPECT_EQ(reg.why_not(s, make_event("invoices", "7", make_audience({"42"}, {}))),
              "not subscribed")
        << "the name decides before the audience";
}

TEST(explain_request, reads_the_user_and_the_notification_as_post_notify_would)
{
    auto const r = parse_explain_request(
        R"({"notification":{"name":"orders","type":"t","id":7,"audience":{"users":[42]}},)"
        R"("user":"4\u0032","other":[1,{"user":"no"}]})");
    ASSERT_TRUE(r.value) << r.error;
    EXPECT_EQ(r.value->user, "42");
    EXPECT_EQ(r.value->item.name, "orders");
    EXPECT_EQ(r.value->item.id, "7");
    ASSERT_TRUE(r.value->item.audience);
    EXPECT_EQ(r.value->item.audience->users, std::vector<std::string>{"42"});
}

TEST(explain_request, a_refusal_names_what_is_wrong_and_where)
{
    auto const error = [](std::string_view body) {
        auto const r = parse_explain_request(body);
        EXPECT_FALSE(r.value) << body;
        return r.error;
    };
    std::string const item = R"({"name":"orders","type":"t","id":1})";
    EXPECT_EQ(error("{"), "body: invalid JSON");
    EXPECT_EQ(error(""), "body: invalid JSON");
    EXPECT_EQ(error("[]"), "body: must be an object");
    EXPECT_EQ(error(R"({"notification":)" + item + "}"), "user: missing");
    EXPECT_EQ(error(R"({"user":42,"notification":)" + item + "}"), "user: must be a string");
    EXPECT_EQ(error(R"({"user":null,"notification":)" + item + "}"), "user: must be a string");
    EXPECT_EQ(error(R"({"user":"","notification":)" + item + "}"), "user: must not be empty");
    EXPECT_EQ(error(R"({"user":"1"})"), "notification: missing");
    EXPECT_EQ(error(R"({"user":"1","notification":[)" + item + "]}"),
              "notification: must be a notification object");
    EXPECT_EQ(error(R"({"user":"1","notification":"orders"})"),
              "notification: must be a notification object");
    EXPECT_EQ(error(R"({"user":"1","notification":{"type":"t","id":1}})"),
              "notification.name: missing");
    EXPECT_EQ(error(R"({"user":"1","notification":{"name":"orders","type":"t","id":{}}})"),
              "notification.id: must be a number or a string");
    std::string const head = R"({"user":"1","notification":{"name":"a","type":"t","id":1,)";
    EXPECT_EQ(error(head + R"("audience":{"users":[true]}}})"),
              "notification.audience.users[0]: must be a string or an integer");
    EXPECT_TRUE(error(head + R"("audience":[]}})").starts_with("notification.audience"));
}

TEST(explain_json, tells_each_of_the_users_streams_whether_and_why_not)
{
    registry reg{"user"};
    fake_stream subscribed{"42", {"orders"}, {"acme"}, "first"};
    fake_stream other_name{"42", {"invoices"}, {}, "second"};
    fake_stream someone_else{"7", {"orders"}, {"acme"}, "theirs"};
    subscribed.opened_at = std::chrono::steady_clock::time_point{1s};
    other_name.opened_at = std::chrono::steady_clock::time_point{2s};
    for (auto* s : {&subscribed, &other_name, &someone_else})
        reg.subscribe(*s);

    auto const explained = [&](std::string const& body) {
        auto const r = parse_explain_request(body);
        EXPECT_TRUE(r.value) << r.error;
        return nlohmann::json::parse(explain_json(reg, *r.value));
    };
    auto const j = explained(R"({"user":"42","notification":{"name":"orders","type":"t","id":1,)"
                             R"("audience":{"groups":["acme"]}}})");
    EXPECT_EQ(j, nlohmann::json::parse(R"({"user":"42","streams":[
        {"origin":"first","events":["orders"],"groups":["acme"],"receives":true,"why":""},
        {"origin":"second","events":["invoices"],"groups":[],"receives":false,
         "why":"not subscribed"}]})"));
    auto const account =
        explained(R"({"user":"42","notification":{"name":"user","type":"t","id":7}})");
    EXPECT_EQ(account["streams"][0]["why"], "not its account");
    auto const nobody =
        explained(R"({"user":"9","notification":{"name":"orders","type":"t","id":1}})");
    EXPECT_EQ(nobody, nlohmann::json::parse(R"({"user":"9","streams":[]})"));
    EXPECT_EQ(subscribed.sent + other_name.sent + someone_else.sent, 0) << "nothing delivered";
    for (auto* s : {&subscribed, &other_name, &someone_else})
        reg.unsubscribe(*s);
}

TEST(streams_json, lists_the_users_streams_oldest_first_without_credentials)
{
    registry reg{"user"};
    fake_stream newer{"42", {"orders"}, {"acme"}, "newer"};
    fake_stream older{"42", {}, {}, "older"};
    fake_stream theirs{"7", {"orders"}, {}, "theirs"};
    auto const now = std::chrono::steady_clock::time_point{100s};
    older.opened_at = now - 1500ms;
    older.kind = "api_key";
    newer.opened_at = now - 10ms;
    newer.unsent = 123;
    for (auto* s : {&newer, &older, &theirs})
        reg.subscribe(*s);
    // 2026-01-02T03:04:05.678Z
    auto const wall = std::chrono::system_clock::time_point{1767323045678ms};
    EXPECT_EQ(nlohmann::json::parse(streams_json(reg, "42", now, wall)), nlohmann::json::parse(R"([
        {"origin":"older","events":[],"groups":[],"opened_at":"2026-01-02T03:04:04.178Z",
         "unsent_bytes":0,"credential_kind":"api_key"},
        {"origin":"newer","events":["orders"],"groups":["acme"],
         "opened_at":"2026-01-02T03:04:05.668Z","unsent_bytes":123,"credential_kind":"session"}
    ])"));
    EXPECT_EQ(streams_json(reg, "9", now, wall), "[]");
    for (auto* s : {&newer, &older, &theirs})
        reg.unsubscribe(*s);
}

TEST(streams_target, names_one_user_percent_decoded)
{
    EXPECT_EQ(parse_streams_target("/streams?user=42").user, "42");
    EXPECT_EQ(parse_streams_target("/streams?x=1&user=a%2Bb%20c").user, "a+b c");
    EXPECT_EQ(parse_streams_target("/streams").error, "user: missing");
    EXPECT_EQ(parse_streams_target("/streams?users=1").error, "user: missing");
    EXPECT_EQ(parse_streams_target("/streams?user=").error, "user: must not be empty");
    EXPECT_EQ(parse_streams_target("/streams?user=%zz").error, "user: malformed percent-encoding");
}

class inspection_routes : public ::testing::Test
{
protected:
    inspection_routes() { cfg_.notify.token = "s3cret"; }

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

    notify_answer handle(notify_handler& handler, http::request<http::string_body> const& req)
    {
        auto now = handler.handle(req, std::chrono::steady_clock::now(), false, nullptr);
        EXPECT_TRUE(now) << "answered at once";
        return now.value_or(notify_answer{});
    }

    config cfg_;
    metrics stats_;
    registry streams_{"user"};
    memory_event_log log_{replay_config{},
                          [this](event const& e) { return streams_.deliver(e); }};
    net::io_context ioc_;
    notify_handler handler_{cfg_, log_, streams_, stats_, nullptr, nullptr, ioc_};
    notify_handler health_only_{cfg_,    log_,    streams_, stats_, nullptr,
                                nullptr, ioc_,    notify_routes::health_only};
};

TEST_F(inspection_routes, the_token_guards_both_and_only_explain_takes_a_body)
{
    auto const explain = request(http::verb::post, "/explain", "", "{}");
    auto const refused = handler_.check_header(explain, true);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, http::status::unauthorized);
    EXPECT_EQ(stats_.notifications.get("unauthorized"), 0u) << "not a notification";
    EXPECT_EQ(stats_.notify_refused.get("401"), 1u);
    auto const streams = handler_.check_header(request(http::verb::get, "/streams?user=1"), false);
    ASSERT_TRUE(streams);
    EXPECT_EQ(streams->status, http::status::unauthorized);

    EXPECT_FALSE(
        handler_.check_header(request(http::verb::post, "/explain", "Bearer s3cret"), true))
        << "its body is read";
    EXPECT_FALSE(handler_.check_header(request(http::verb::get, "/streams?user=1", "bearer s3cret"),
                                       false));
    auto const with_body =
        handler_.check_header(request(http::verb::get, "/streams?user=1", "Bearer s3cret"), true);
    ASSERT_TRUE(with_body);
    EXPECT_EQ(with_body->status, http::status::bad_request);
    EXPECT_EQ(nlohmann::json::parse(with_body->body)["error"], "this request takes no body");
    EXPECT_EQ(stats_.notify_refused.get("400"), 1u);
}

TEST_F(inspection_routes, wrong_methods_get_405_and_bad_requests_400_naming_the_member)
{
    auto const get_explain = handle(handler_, request(http::verb::get, "/explain"));
    EXPECT_EQ(get_explain.status, http::status::method_not_allowed);
    EXPECT_EQ(get_explain.allow, "POST");
    auto const post_streams = handle(handler_, request(http::verb::post, "/streams?user=1"));
    EXPECT_EQ(post_streams.status, http::status::method_not_allowed);
    EXPECT_EQ(post_streams.allow, "GET");

    auto const no_user = handle(
        handler_, request(http::verb::post, "/explain", "",
                          R"({"notification":{"name":"a","type":"t","id":1}})"));
    EXPECT_EQ(no_user.status, http::status::bad_request);
    EXPECT_EQ(nlohmann::json::parse(no_user.body)["error"], "user: missing");
    auto const no_query = handle(handler_, request(http::verb::get, "/streams"));
    EXPECT_EQ(no_query.status, http::status::bad_request);
    EXPECT_EQ(nlohmann::json::parse(no_query.body)["error"], "user: missing");
}

TEST_F(inspection_routes, explain_delivers_nothing_and_appends_nothing)
{
    fake_stream s{"42", {"orders"}};
    streams_.subscribe(s);
    auto const before = log_.newest();
    auto const answer = handle(
        handler_, request(http::verb::post, "/explain", "",
                          R"({"user":"42","notification":{"name":"orders","type":"t","id":1}})"));
    EXPECT_EQ(answer.status, http::status::ok);
    EXPECT_EQ(nlohmann::json::parse(answer.body)["streams"][0]["receives"], true);
    EXPECT_EQ(s.sent, 0);
    EXPECT_EQ(log_.newest(), before);
    auto const listed = handle(handler_, request(http::verb::get, "/streams?user=42"));
    EXPECT_EQ(listed.status, http::status::ok);
    EXPECT_EQ(nlohmann::json::parse(listed.body).size(), 1u);
    streams_.unsubscribe(s);
}

TEST_F(inspection_routes, the_metrics_port_does_not_serve_them)
{
    for (auto const* target : {"/explain", "/streams?user=1"}) {
        EXPECT_FALSE(health_only_.check_header(request(http::verb::get, target), false))
            << "no token asked where they are not";
        auto const with_body =
            health_only_.check_header(request(http::verb::post, target, "", "{}"), true);
        ASSERT_TRUE(with_body);
        EXPECT_EQ(with_body->status, http::status::not_found);
        EXPECT_EQ(handle(health_only_, request(http::verb::get, target)).status,
                  http::status::not_found);
        EXPECT_EQ(handle(health_only_, request(http::verb::post, target, "", "{}")).status,
                  http::status::not_found);
    }
}

} // namespace
} // namespace sse_server
