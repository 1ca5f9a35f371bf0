// Who a notification is for (SPEC §2.4a): an audience narrows delivery, replay and the count
// of recipients, and is never forwarded.
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sse_server::test {
namespace {

class audience_test : public ::testing::Test
{
protected:
    void SetUp() override
    {
        redis_.set("sess:alice", R"({"userId":1})");
        redis_.set("sess:bob", R"({"userId":2})");
        server_.emplace(test_config(redis_));
    }

    sse_stream open(std::string const& sid, header_list headers = {})
    {
        headers.emplace_back("Cookie", "sid=" + sid);
        return sse_stream{server_->clients_port(), "/events?events=orders", headers};
    }

    nlohmann::json post(std::string const& body)
    {
        auto const r = post_notify(server_->notify_port(), body);
        EXPECT_EQ(r.status, 202) << r.body;
        return nlohmann::json::parse(r.body, nullptr, false);
    }

    redis_server redis_;
    std::optional<running_server> server_;
};

TEST_F(audience_test, only_the_users_named_receive_it_without_the_audience_member)
{
    auto alice = open("alice");
    auto bob = open("bob");
    ASSERT_TRUE(alice.next_event_named("connected"));
    ASSERT_TRUE(bob.next_event_named("connected"));

    auto const answer =
        post(R"({"name":"orders","type":"update","id":7,"audience":{"users":[1]}})");
    EXPECT_EQ(answer["recipients"], 1);
    auto const e = alice.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data, R"({"name":"orders","type":"update","id":7})");

    // Bob's next event is the one meant for everyone, not Alice's.
    post(R"({"name":"orders","type":"update","id":8})");
    auto const next = bob.next_event();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->data, R"({"name":"orders","type":"update","id":8})");
}

TEST_F(audience_test, an_empty_audience_reaches_nobody_and_a_malformed_one_is_refused)
{
    auto alice = open("alice");
    ASSERT_TRUE(alice.next_event_named("connected"));
    EXPECT_EQ(post(R"({"name":"orders","type":"update","id":1,"audience":{}})")["recipients"],
              0);
    auto const refused =
        post_notify(server_->notify_port(),
                    R"({"name":"orders","type":"update","id":1,"audience":{"users":[true]}})");
    EXPECT_EQ(refused.status, 400);
    EXPECT_NE(refused.body.find("audience.users[0]: must be a string or an integer"),
              std::string::npos)
        << refused.body;
    post(R"({"name":"orders","type":"update","id":2})");
    auto const e = alice.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data, R"({"name":"orders","type":"update","id":2})") << "nothing before it";
}

TEST_F(audience_test, a_resume_replays_only_what_the_audience_allows)
{
    auto first = open("bob");
    ASSERT_TRUE(first.next_event_named("connected"));
    post(R"({"name":"orders","type":"update","id":0})");
    auto const seen = first.next_event();
    ASSERT_TRUE(seen);

    post(R"({"name":"orders","type":"update","id":1,"audience":{"users":[1]}})");
    post(R"({"name":"orders","type":"update","id":2,"audience":{"users":["2"]}})");
    post(R"([{"name":"orders","type":"update","id":3,"audience":{"users":[1]}},
             {"name":"orders","type":"update","id":4}])");

    auto again = open("bob", {{"Last-Event-ID", seen->id}});
    ASSERT_TRUE(again.next_event_named("connected"));
    auto const a = again.next_event();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->data, R"({"name":"orders","type":"update","id":2})");
    auto const b = again.next_event();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->data, R"({"name":"orders","type":"update","id":4})");
}

TEST(audience_in_cluster_mode, is_refused_until_the_bus_carries_it_never_delivered_to_all)
{
    redis_server redis;
    redis.set("sess:alice", R"({"userId":1})");
    auto cfg = test_config(redis);
    cfg.cluster.mode = cluster_mode::redis;
    running_server server{cfg};
    auto const refused = post_notify(
        server.notify_port(),
        R"([{"name":"orders","type":"t","id":1},{"name":"orders","type":"t","id":2,"audience":{}}])");
    EXPECT_EQ(refused.status, 400);
    EXPECT_NE(refused.body.find("[1].audience: not supported in cluster mode yet"),
              std::string::npos)
        << refused.body;
}

} // namespace
} // namespace sse_server::test
