// POST /explain and GET /streams (SPEC §3) against real streams: what the port tells of a
// user's streams, never their credentials, and that asking delivers nothing.
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sse_server::test {
namespace {

constexpr std::string_view session_id = "sid-of-alice-0123";
constexpr std::string_view api_key = "key-of-alice-4567";

class inspection_test : public ::testing::Test
{
protected:
    void SetUp() override
    {
        redis_.set("sess:" + std::string(session_id),
                   R"({"userId":1,"sse":{"groups":["acme","ops"]}})");
        redis_.set("apikey:" + std::string(api_key), R"({"userId":1})");
        redis_.set("sess:bob", R"({"userId":2,"sse":{"groups":["acme"]}})");
        auto cfg = test_config(redis_);
        cfg.auth.session.groups_pointer = "/sse/groups";
        cfg.notify.token = "s3cret";
        cfg.listen.metrics = host_port{"127.0.0.1", 0};
        server_.emplace(std::move(cfg));
    }

    /** Alice's two windows: orders by her session, invoices by her API key. */
    void open_alices_streams()
    {
        by_session_.emplace(server_->clients_port(), "/events?events=orders&origin=window-a",
                            header_list{{"Cookie", "sid=" + std::string(session_id)}});
        by_key_.emplace(server_->clients_port(), "/events?events=invoices&origin=window-b",
                        header_list{{"X-API-Key", std::string(api_key)}});
        // Subscribed before the greeting is queued: once it is here, the port sees the stream.
        ASSERT_TRUE(by_session_->next_event_named("connected"));
        ASSERT_TRUE(by_key_->next_event_named("connected"));
    }

    http_response get_streams(std::string const& user, header_list headers = authorized())
    {
        return http_request(server_->notify_port(), "GET", "/streams?user=" + user, headers);
    }

    http_response explain(std::string const& body, header_list headers = authorized())
    {
        headers.emplace_back("Content-Type", "application/json");
        return http_request(server_->notify_port(), "POST", "/explain", headers, body);
    }

    /** The streams of an /explain answer, by origin. */
    std::map<std::string, nlohmann::json> explained(std::string const& notification)
    {
        auto const r = explain(R"({"user":"1","notification":)" + notification + "}");
        EXPECT_EQ(r.status, 200) << r.body;
        auto const j = nlohmann::json::parse(r.body, nullptr, false);
        EXPECT_EQ(j.value("user", ""), "1") << r.body;
        std::map<std::string, nlohmann::json> by_origin;
        for (auto const& s : j.value("streams", nlohmann::json::array()))
            by_origin[s.value("origin", "")] = s;
        return by_origin;
    }

    void notify(std::string const& body)
    {
        auto const r = post_notify(server_->notify_port(), body, authorized());
        ASSERT_EQ(r.status, 202) << r.body;
    }

    static header_list authorized() { return {{"Authorization", "Bearer s3cret"}}; }

    redis_server redis_;
    std::optional<running_server> server_;
    std::optional<sse_stream> by_session_;
    std::optional<sse_stream> by_key_;
};

TEST_F(inspection_test, streams_lists_a_users_open_streams_without_their_credentials)
{
    open_alices_streams();
    auto bob = sse_stream{server_->clients_port(), "/events?events=orders&origin=bobs",
                          {{"Cookie", "sid=bob"}}};
    ASSERT_TRUE(bob.next_event_named("connected"));

    auto const r = get_streams("1");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.body.find(session_id), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find(api_key), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("bobs"), std::string::npos) << "only the user's streams: " << r.body;
    auto const list = nlohmann::json::parse(r.body);
    ASSERT_TRUE(list.is_array());
    ASSERT_EQ(list.size(), 2u) << r.body;
    std::map<std::string, nlohmann::json> by_origin;
    for (auto const& s : list)
        by_origin[s.at("origin")] = s;
    auto const& a = by_origin.at("window-a");
    EXPECT_EQ(a.at("events"), nlohmann::json::parse(R"(["orders"])"));
    EXPECT_EQ(a.at("groups"), nlohmann::json::parse(R"(["acme","ops"])"));
    EXPECT_EQ(a.at("credential_kind"), "session");
    EXPECT_TRUE(a.at("unsent_bytes").is_number_unsigned());
    auto const opened = a.at("opened_at").get<std::string>();
    EXPECT_EQ(opened.size(), 24u) << opened; // 2026-12-07T00:43:31.123Z
    EXPECT_TRUE(opened.ends_with("Z")) << opened;
    auto const& b = by_origin.at("window-b");
    EXPECT_EQ(b.at("events"), nlohmann::json::parse(R"(["invoices"])"));
    EXPECT_EQ(b.at("groups"), nlohmann::json::array());
    EXPECT_EQ(b.at("credential_kind"), "api_key");

    auto const nobody = get_streams("3");
    EXPECT_EQ(nobody.status, 200);
    EXPECT_EQ(nobody.body, "[]");
}

TEST_F(inspection_test, explain_says_who_would_receive_it_and_why_not_and_delivers_nothing)
{
    open_alices_streams();

    auto for_acme = explained(
        R"({"name":"orders","type":"t","id":5,"audience":{"groups":["acme"]}})");
    ASSERT_EQ(for_acme.size(), 2u);
    EXPECT_EQ(for_acme["window-a"].at("receives"), true);
    EXPECT_EQ(for_acme["window-a"].at("why"), "");
    EXPECT_EQ(for_acme["window-a"].at("events"), nlohmann::json::parse(R"(["orders"])"));
    EXPECT_EQ(for_acme["window-a"].at("groups"), nlohmann::json::parse(R"(["acme","ops"])"));
    EXPECT_EQ(for_acme["window-b"].at("receives"), false);
    EXPECT_EQ(for_acme["window-b"].at("why"), "not subscribed");

    auto for_bob = explained(R"({"name":"orders","type":"t","id":6,"audience":{"users":[2]}})");
    EXPECT_EQ(for_bob["window-a"].at("receives"), false);
    EXPECT_EQ(for_bob["window-a"].at("why"), "audience");

    auto bobs_account = explained(R"({"name":"user","type":"t","id":2})");
    EXPECT_EQ(bobs_account["window-a"].at("why"), "not its account");
    EXPECT_EQ(bobs_account["window-b"].at("why"), "not its account");
    auto own_account = explained(R"({"name":"user","type":"t","id":"1"})");
    EXPECT_EQ(own_account["window-b"].at("receives"), true);

    auto const none =
        explain(R"({"user":"3","notification":{"name":"orders","type":"t","id":1}})");
    EXPECT_EQ(none.status, 200);
    EXPECT_EQ(nlohmann::json::parse(none.body),
              nlohmann::json::parse(R"({"user":"3","streams":[]})"));

    // Had anything been delivered, it would come before these.
    notify(R"({"name":"orders","type":"t","id":99})");
    notify(R"({"name":"invoices","type":"t","id":100})");
    auto const a = by_session_->next_event();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->data, R"({"name":"orders","type":"t","id":99})");
    auto const b = by_key_->next_event();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->data, R"({"name":"invoices","type":"t","id":100})");
}

TEST_F(inspection_test, a_malformed_request_is_refused_naming_the_member)
{
    auto const audience = explain(R"({"user":"1","notification":{"name":"a","type":"t","id":1,)"
                                  R"("audience":{"users":[true]}}})");
    EXPECT_EQ(audience.status, 400);
    EXPECT_EQ(nlohmann::json::parse(audience.body).at("error"),
              "notification.audience.users[0]: must be a string or an integer");
    auto const user = explain(R"({"user":1,"notification":{"name":"a","type":"t","id":1}})");
    EXPECT_EQ(user.status, 400);
    EXPECT_EQ(nlohmann::json::parse(user.body).at("error"), "user: must be a string");
    EXPECT_EQ(explain("{").status, 400);
    EXPECT_TRUE(metric_reaches(server_->notify_port(),
                               R"(sse_server_notify_requests_refused_total{status="400"})", 3));
}

TEST_F(inspection_test, both_need_the_token)
{
    open_alices_streams();
    auto const body = R"({"user":"1","notification":{"name":"orders","type":"t","id":1}})";
    EXPECT_EQ(explain(body, {}).status, 401);
    EXPECT_EQ(explain(body, {{"Authorization", "Bearer wrong"}}).status, 401);
    EXPECT_EQ(get_streams("1", {}).status, 401);
    auto const refused = get_streams("1", {{"Authorization", "Bearer wrong"}});
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(refused.header("www-authenticate"), "Bearer");
    EXPECT_EQ(refused.body.find("window-a"), std::string::npos);
    EXPECT_EQ(explain(body).status, 200);
    EXPECT_EQ(get_streams("1").status, 200);
    EXPECT_TRUE(metric_reaches(server_->notify_port(),
                               R"(sse_server_notify_requests_refused_total{status="401"})", 4));
}

TEST_F(inspection_test, get_streams_takes_no_body)
{
    auto const r = http_request(server_->notify_port(), "GET", "/streams?user=1",
                                {{"Authorization", "Bearer s3cret"}}, "{}");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(nlohmann::json::parse(r.body).at("error"), "this request takes no body");
}

TEST_F(inspection_test, the_metrics_port_serves_neither)
{
    open_alices_streams();
    auto const port = *server_->metrics_port();
    auto const streams = http_request(port, "GET", "/streams?user=1", authorized());
    EXPECT_EQ(streams.status, 404);
    EXPECT_EQ(streams.body.find("window-a"), std::string::npos);
    auto const explained =
        http_request(port, "POST", "/explain", authorized(),
                     R"({"user":"1","notification":{"name":"orders","type":"t","id":1}})");
    EXPECT_EQ(explained.status, 404);
}

} // namespace
} // namespace sse_server::test
