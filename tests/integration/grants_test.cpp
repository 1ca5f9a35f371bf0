// Who may subscribe to what (SPEC §2.4a): events.grants for everyone, the grants and groups a
// session or an API key carries, 403 naming the name, fail-closed claims.
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

namespace sse_server::test {
namespace {

class grants_test : public ::testing::Test
{
protected:
    void SetUp() override
    {
        redis_.set("sess:alice",
                   R"({"userId":1,"sse":{"grants":["inbox:{user}"],"groups":["acme"]}})");
        redis_.set("sess:mallory", R"({"userId":6,"sse":{"grants":"inbox:6","groups":"acme"}})");
        redis_.set("apikey:k2", R"({"userId":2,"sse":{"grants":["inbox:{user}"]}})");
        auto cfg = test_config(redis_);
        cfg.events.grants = {"public:*", "team:{group}:*"};
        cfg.auth.session.grants_pointer = "/sse/grants";
        cfg.auth.session.groups_pointer = "/sse/groups";
        cfg.auth.api_key.grants_pointer = "/sse/grants";
        server_.emplace(std::move(cfg));
    }

    sse_stream open(std::string const& events, header_list headers)
    {
        return sse_stream{server_->clients_port(), "/events?events=" + events, headers};
    }

    static header_list session(std::string const& sid) { return {{"Cookie", "sid=" + sid}}; }

    redis_server redis_;
    std::optional<running_server> server_;
};

TEST_F(grants_test, a_name_no_pattern_grants_is_refused_with_403_naming_it)
{
    auto s = open("public:news,orders", session("alice"));
    EXPECT_EQ(s.status(), 403);
    EXPECT_EQ(s.response().body, "events: \"orders\" is not granted\n");
    EXPECT_TRUE(metric_becomes(server_->notify_port(),
                               R"(sse_server_client_requests_refused_total{status="403"})", 1));
}

TEST_F(grants_test, everyones_patterns_and_the_users_own_open_what_they_name)
{
    auto s = open("public:news,inbox:1,team:acme:orders", session("alice"));
    ASSERT_EQ(s.status(), 200);
    ASSERT_TRUE(s.next_event_named("connected"));
    EXPECT_EQ(open("inbox:2", session("alice")).status(), 403) << "another user's inbox";
    EXPECT_EQ(open("team:globex:orders", session("alice")).status(), 403)
        << "another group's names";
    EXPECT_EQ(open("", session("alice")).status(), 200) << "the account event needs no grant";
}

TEST_F(grants_test, claims_that_are_not_arrays_of_strings_grant_nothing)
{
    EXPECT_EQ(open("inbox:6", session("mallory")).status(), 403);
    EXPECT_EQ(open("team:acme:orders", session("mallory")).status(), 403);
    auto s = open("public:news", session("mallory"));
    EXPECT_EQ(s.status(), 200) << "what every user may, it may";
}

TEST_F(grants_test, an_api_keys_json_value_carries_claims_too)
{
    EXPECT_EQ(open("inbox:2", {{"X-API-Key", "k2"}}).status(), 200);
    EXPECT_EQ(open("inbox:1", {{"X-API-Key", "k2"}}).status(), 403);
}

TEST_F(grants_test, a_notification_for_a_group_reaches_its_members_only)
{
    auto alice = open("public:news", session("alice"));
    auto mallory = open("public:news", session("mallory"));
    ASSERT_TRUE(alice.next_event_named("connected"));
    ASSERT_TRUE(mallory.next_event_named("connected"));
    auto const r = post_notify(
        server_->notify_port(),
        R"({"name":"public:news","type":"t","id":1,"audience":{"groups":["acme"]}})");
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_NE(r.body.find(R"("recipients":1)"), std::string::npos) << r.body;
    auto const e = alice.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data, R"({"name":"public:news","type":"t","id":1})");
}

} // namespace
} // namespace sse_server::test
