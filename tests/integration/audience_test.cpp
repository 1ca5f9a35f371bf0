// Who a notification is for (SPEC §2.4a): an audience narrows delivery, replay and the count
// of recipients, and is never forwarded.
#include "support/cluster_fixture.hpp"
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

class audience_across_daemons : public cluster_fixture
{
protected:
    static constexpr auto for_a = R"({"users":[1]})";
    static constexpr auto public_note = R"({"name":"orders","type":"update","id":9})";
};

TEST_F(audience_across_daemons, a_posted_audience_travels_in_the_entry_and_is_never_forwarded)
{
    auto& one = start_daemon();
    auto& two = start_daemon();
    auto a = open(two, "a", "/events?events=orders");
    auto b = open(two, "b", "/events?events=orders");
    auto const ids = ids_of(post_notify(
        one.notify_port(),
        R"([{"name":"orders","type":"update","id":1,"audience":{"users":[1]}},
            {"name":"orders","type":"update","id":2,"audience":{"users":["2"],"groups":[]}},
            {"name":"orders","type":"update","id":3}])"));
    ASSERT_EQ(ids.size(), 3u);
    auto const entry = redis_.command({"XRANGE", "sse:events", ids[0], ids[0]});
    EXPECT_NE(entry.find(R"({"users":["1"],"groups":[]})"), std::string::npos)
        << "field a, compact: " << entry;

    auto const got_a = next_events(a, 2);
    ASSERT_EQ(got_a.size(), 2u);
    EXPECT_EQ(got_a[0].data, R"({"name":"orders","type":"update","id":1})");
    EXPECT_EQ(got_a[1].id, ids[2]);
    auto const got_b = next_events(b, 2);
    ASSERT_EQ(got_b.size(), 2u);
    EXPECT_EQ(got_b[0].data, R"({"name":"orders","type":"update","id":2})");
    EXPECT_EQ(got_b[1].id, ids[2]);
}

TEST_F(audience_across_daemons, an_entry_an_application_writes_may_carry_it_in_field_a)
{
    auto& one = start_daemon();
    auto a = open(one, "a", "/events?events=orders");
    auto b = open(one, "b", "/events?events=orders");
    auto const meant_for_a = redis_.command(
        {"XADD", "sse:events", "*", "n", R"({"name":"orders","type":"update","id":1})", "a",
         for_a});
    // Invalid: skipped and counted, delivered to nobody (never to everyone).
    redis_.command({"XADD", "sse:events", "*", "n", R"({"name":"orders","type":"update","id":2})",
                    "a", R"({"users":1})"});
    auto const last = ids_of(post_notify(one.notify_port(), public_note));
    ASSERT_EQ(last.size(), 1u);
    expect_next_is(a, meant_for_a);
    expect_next_is(a, last[0]);
    expect_next_is(b, last[0]);
    EXPECT_EQ(
        metric_value(one.notify_port(), R"(sse_server_cluster_entries_total{result="invalid"})"),
        1);
}

TEST_F(audience_across_daemons, a_resume_on_a_daemon_started_later_reads_back_only_what_it_may)
{
    auto& one = start_daemon();
    auto b = open(one, "b", "/events?events=orders");
    auto const seen = ids_of(post_notify(one.notify_port(), public_note));
    ASSERT_EQ(seen.size(), 1u);
    expect_next_is(b, seen[0]);
    auto const later = ids_of(post_notify(
        one.notify_port(),
        R"([{"name":"orders","type":"update","id":1,"audience":{"users":[1]}},
            {"name":"orders","type":"update","id":2,"audience":{"users":[2]}}])"));
    ASSERT_EQ(later.size(), 2u);

    // Started after those entries: the resume is read back from the stream, not from memory.
    auto& two = start_daemon();
    auto again = open(two, "b", "/events?events=orders", {{"Last-Event-ID", seen[0]}});
    expect_next_is(again, later[1]);
    auto const fresh = ids_of(post_notify(two.notify_port(), public_note));
    ASSERT_EQ(fresh.size(), 1u);
    expect_next_is(again, fresh[0]);
}

} // namespace
} // namespace sse_server::test
