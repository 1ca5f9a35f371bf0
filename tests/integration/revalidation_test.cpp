// Claims change (SPEC §2.4a, §3 POST /revalidate): logout and a lost grant close a user's
// streams at once, new groups apply without closing, and nothing posted after the revalidation
// reaches a stream that lost the right; in cluster mode on every daemon, through the bus.
#include "support/cluster_fixture.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace sse_server::test {
namespace {

constexpr auto alice = R"({"userId":1,"sse":{"grants":["orders"],"groups":["t1"]}})";
constexpr auto alice_without_grant = R"({"userId":1,"sse":{"grants":[],"groups":["t1"]}})";
constexpr auto alice_in_two_groups =
    R"({"userId":1,"sse":{"grants":["orders"],"groups":["t1","t2"]}})";

/** Rights from the session only: nothing is granted to everyone. */
config rights_config(config cfg)
{
    cfg.events.grants = {};
    cfg.auth.session.grants_pointer = "/sse/grants";
    cfg.auth.session.groups_pointer = "/sse/groups";
    return cfg;
}

http_response revalidate(std::uint16_t notify_port, std::string_view body)
{
    return http_request(notify_port, "POST", "/revalidate",
                        {{"Content-Type", "application/json"}}, body);
}

class revalidation_test : public ::testing::Test
{
protected:
    void SetUp() override
    {
        redis_.set("sess:alice", alice);
        server_.emplace(rights_config(test_config(redis_)));
    }

    sse_stream open_orders()
    {
        sse_stream s{server_->clients_port(), "/events?events=orders", session("alice")};
        EXPECT_EQ(s.status(), 200) << s.response().body;
        EXPECT_TRUE(s.next_event_named("connected"));
        return s;
    }

    std::uint16_t notify_port() { return server_->notify_port(); }

    redis_server redis_;
    std::optional<running_server> server_;
};

TEST_F(revalidation_test, a_logout_closes_the_users_streams_within_a_second)
{
    auto first = open_orders();
    auto second = open_orders();
    redis_.command({"DEL", "sess:alice"});
    auto const answer = revalidate(notify_port(), R"({"users":[1]})");
    EXPECT_EQ(answer.status, 202);
    EXPECT_EQ(answer.body, R"({"users":1})");
    EXPECT_TRUE(first.closed_within(1s)) << "every window of the user";
    EXPECT_TRUE(second.closed_within(1s));
    EXPECT_TRUE(metric_becomes(notify_port(),
                               R"(sse_server_connections_closed_total{reason="revalidation"})", 2));
    sse_stream again{server_->clients_port(), "/events?events=orders", session("alice")};
    EXPECT_EQ(again.status(), 401);
}

TEST_F(revalidation_test, a_lost_grant_closes_the_stream_and_nothing_posted_after_reaches_it)
{
    auto s = open_orders();
    redis_.set("sess:alice", alice_without_grant);
    ASSERT_EQ(revalidate(notify_port(), R"({"users":["1"]})").status, 202);
    // Posted once the revalidation is answered: the stream must not get it.
    ASSERT_EQ(post_notify(notify_port(), R"({"name":"orders","type":"update","id":5})").status,
              202);
    EXPECT_FALSE(s.next_event(2s)) << "the stream ends with nothing after the revalidation";
    EXPECT_TRUE(s.closed_within(1s));
    EXPECT_TRUE(metric_becomes(notify_port(),
                               R"(sse_server_connections_closed_total{reason="revoked"})", 1));
    EXPECT_TRUE(metric_becomes(notify_port(),
                               R"(sse_server_revalidations_total{outcome="revoked"})", 1));
    sse_stream again{server_->clients_port(), "/events?events=orders", session("alice")};
    EXPECT_EQ(again.status(), 403);
    EXPECT_EQ(again.response().body, "events: \"orders\" is not granted\n");
}

TEST_F(revalidation_test, a_new_group_opens_deliveries_without_closing_the_stream)
{
    auto s = open_orders();
    auto const for_t2 = R"({"name":"orders","type":"update","id":1,"audience":{"groups":["t2"]}})";
    EXPECT_EQ(nlohmann::json::parse(post_notify(notify_port(), for_t2).body)["recipients"], 0);

    redis_.set("sess:alice", alice_in_two_groups);
    ASSERT_EQ(revalidate(notify_port(), R"({"users":[1]})").status, 202);
    EXPECT_EQ(nlohmann::json::parse(post_notify(notify_port(), for_t2).body)["recipients"], 1);
    auto const e = s.next_event();
    ASSERT_TRUE(e) << "the same connection, still open";
    EXPECT_EQ(e->data, R"({"name":"orders","type":"update","id":1})");
    EXPECT_EQ(metric_value(notify_port(), "sse_server_connections"), 1);
}

TEST_F(revalidation_test, other_users_streams_are_not_checked)
{
    redis_.set("sess:bob", R"({"userId":2,"sse":{"grants":["orders"]}})");
    sse_stream bob{server_->clients_port(), "/events?events=orders", session("bob")};
    ASSERT_TRUE(bob.next_event_named("connected"));
    redis_.command({"DEL", "sess:bob"}); // logged out, but only alice is revalidated
    ASSERT_EQ(revalidate(notify_port(), R"({"users":[1]})").status, 202);
    post_notify(notify_port(), R"({"name":"orders","type":"update","id":9})");
    auto const e = bob.next_event();
    ASSERT_TRUE(e) << "bob's stream stays until its own revalidation";
    EXPECT_EQ(metric_value(notify_port(), R"(sse_server_revalidations_total{outcome="gone"})"),
              0);
}

TEST(periodic_revalidation, re_reads_the_claims_and_closes_a_stream_that_lost_a_grant)
{
    redis_server redis;
    redis.set("sess:alice", alice);
    auto cfg = rights_config(test_config(redis));
    cfg.auth.revalidate_interval = milliseconds(200);
    running_server server{cfg};
    sse_stream s{server.clients_port(), "/events?events=orders", session("alice")};
    ASSERT_TRUE(s.next_event_named("connected"));
    redis.set("sess:alice", alice_without_grant);
    EXPECT_TRUE(s.closed_within(5s));
    EXPECT_TRUE(metric_becomes(server.notify_port(),
                               R"(sse_server_connections_closed_total{reason="revoked"})", 1));
}

TEST(periodic_revalidation, in_slices_reaches_every_stream_round_after_round)
{
    // Two checks at most in flight: seven users' nine streams take several slices, and user 7's
    // three streams, more than a slice holds, are checked together in one of their own.
    redis_server redis;
    for (int user = 1; user <= 7; ++user)
        redis.set("sess:u" + std::to_string(user), R"({"userId":)" + std::to_string(user) + "}");
    auto cfg = test_config(redis);
    cfg.auth.revalidate_interval = milliseconds(200);
    cfg.auth.revalidate_in_flight = 2;
    running_server server{cfg};
    std::vector<std::unique_ptr<sse_stream>> streams;
    for (auto const user : {1, 2, 3, 4, 5, 6, 7, 7, 7}) {
        streams.push_back(std::make_unique<sse_stream>(
            server.clients_port(), "/events?events=orders", session("u" + std::to_string(user))));
        ASSERT_TRUE(streams.back()->next_event_named("connected"));
    }
    for (auto const user : {2, 5, 7})
        redis.del("sess:u" + std::to_string(user));
    for (auto const i : {1, 4, 6, 7, 8})
        EXPECT_TRUE(streams[i]->ends_cleanly(10s)) << "stream " << i;
    // Rounds go on after the first: the four kept streams are found valid again and again.
    EXPECT_TRUE(metric_reaches(server.notify_port(),
                               R"(sse_server_revalidations_total{outcome="valid"})", 3 * 4, 20s));
    auto const body = R"({"name":"orders","type":"create","id":1})";
    ASSERT_EQ(post_notify(server.notify_port(), body).status, 202);
    for (auto const i : {0, 2, 3, 5}) {
        auto e = streams[i]->next_event();
        ASSERT_TRUE(e) << "stream " << i;
        EXPECT_EQ(e->data, body);
    }
    EXPECT_TRUE(metric_becomes(server.notify_port(),
                               R"(sse_server_connections_closed_total{reason="revalidation"})", 5));
}

class revalidation_across_daemons : public cluster_fixture
{
protected:
    revalidation_across_daemons() { redis_.set("sess:alice", alice); }
};

TEST_F(revalidation_across_daemons, reaches_every_daemon_in_order_with_the_events)
{
    auto& a = start_daemon(rights_config(daemon_config()));
    auto& b = start_daemon(rights_config(daemon_config()));
    auto on_b = open(b, "alice", "/events?events=orders");
    auto const before = ids_of(post_notify(a.notify_port(), note("orders", 1, 1)));
    ASSERT_EQ(before.size(), 1u);
    expect_next_is(on_b, before[0]);

    redis_.set("sess:alice", alice_without_grant);
    auto const answer = revalidate(a.notify_port(), R"({"users":[1]})");
    EXPECT_EQ(answer.status, 202) << answer.body;
    // Appended after the revalidation: daemon b checks alice's stream before it reads this.
    ASSERT_EQ(post_notify(a.notify_port(), note("orders", 1, 2)).status, 202);
    EXPECT_FALSE(on_b.next_event(2s)) << "nothing after the revalidation";
    EXPECT_TRUE(on_b.closed_within(1s));
    EXPECT_TRUE(metric_becomes(b.notify_port(),
                               R"(sse_server_connections_closed_total{reason="revoked"})", 1));
}

TEST_F(revalidation_across_daemons, a_logout_closes_the_stream_on_another_daemon_within_a_second)
{
    auto& a = start_daemon(rights_config(daemon_config()));
    auto& b = start_daemon(rights_config(daemon_config()));
    auto on_b = open(b, "alice", "/events?events=orders");
    redis_.command({"DEL", "sess:alice"});
    ASSERT_EQ(revalidate(a.notify_port(), R"({"users":[1]})").status, 202);
    EXPECT_TRUE(on_b.closed_within(1s));
}

TEST_F(revalidation_across_daemons, a_new_group_reaches_the_stream_on_another_daemon_without_closing)
{
    auto& a = start_daemon(rights_config(daemon_config()));
    auto& b = start_daemon(rights_config(daemon_config()));
    auto on_b = open(b, "alice", "/events?events=orders");
    auto const for_t2 = R"({"name":"orders","type":"update","id":1,"audience":{"groups":["t2"]}})";
    redis_.set("sess:alice", alice_in_two_groups);
    ASSERT_EQ(revalidate(a.notify_port(), R"({"users":[1]})").status, 202);
    // The bus carries the revalidation before the notification: b regroups, then delivers.
    auto const ids = ids_of(post_notify(a.notify_port(), for_t2));
    ASSERT_EQ(ids.size(), 1u);
    expect_next_is(on_b, ids[0]);
    EXPECT_EQ(metric_value(b.notify_port(), "sse_server_connections"), 1) << "still open";
}

TEST_F(revalidation_across_daemons, an_invalid_revalidation_entry_is_skipped_and_counted)
{
    auto& a = start_daemon(rights_config(daemon_config()));
    auto on_a = open(a, "alice", "/events?events=orders");
    redis_.command({"XADD", "sse:events", "*", "r", R"({"users":"1"})"});
    auto const after = ids_of(post_notify(a.notify_port(), note("orders", 1, 1)));
    ASSERT_EQ(after.size(), 1u);
    expect_next_is(on_a, after[0]);
    EXPECT_EQ(metric_value(a.notify_port(), R"(sse_server_cluster_entries_total{result="invalid"})"),
              1);
}

} // namespace
} // namespace sse_server::test
