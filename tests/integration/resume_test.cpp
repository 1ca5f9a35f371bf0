// Resuming after a lost connection (SPEC §2.5): no event lost, none twice, explicit resync.
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

namespace sse_server::test {
namespace {

using namespace std::chrono_literals;


class resume_test : public ::testing::Test
{
protected:
    void SetUp() override { redis_.set("sess:s42", R"({"userId":42})"); }

    void start(std::size_t capacity = 10000)
    {
        auto cfg = test_config(redis_);
        cfg.replay.capacity = capacity;
        server_.emplace(std::move(cfg));
    }

    sse_stream open(std::string const& target, header_list headers = {})
    {
        headers.emplace_back("Cookie", "sid=s42");
        return sse_stream{server_->clients_port(), target, headers};
    }

    void post(std::string const& body)
    {
        auto r = post_notify(server_->notify_port(), body);
        ASSERT_EQ(r.status, 202) << r.body;
    }

    /** A stream on `orders` that received one event and lost its connection: the id it saw. */
    std::string id_seen_before_a_drop()
    {
        auto s = open("/events?events=orders");
        EXPECT_TRUE(s.next_event_named("connected"));
        post(note("orders", 0, 0));
        auto e = s.next_event();
        EXPECT_TRUE(e);
        return e ? e->id : std::string{};
    }

    static std::string note(std::string const& name, int id, int seq)
    {
        return R"({"name":")" + name + R"(","type":"update","id":)" + std::to_string(id) +
               R"(,"seq":)" + std::to_string(seq) + "}";
    }

    redis_server redis_;
    std::optional<running_server> server_;
};

TEST_F(resume_test, reconnect_with_last_event_id_receives_exactly_what_was_missed_then_live)
{
    start();
    auto const last_seen = id_seen_before_a_drop();

    // 50 changes while it is away: for it (orders, its account) and not (others).
    std::vector<std::string> expected;
    for (int i = 1; i <= 50; ++i) {
        std::string body;
        switch (i % 4) {
        case 0: body = note("orders", i, i); break;
        case 1: body = note("invoices", i, i); break;
        case 2: body = note("user", 42, i); break;
        default: body = note("user", 7, i); break;
        }
        post(body);
        if (i % 4 == 0 || i % 4 == 2)
            expected.push_back(body);
    }

    auto s = open("/events?events=orders", {{"Last-Event-ID", last_seen}});
    ASSERT_EQ(s.status(), 200);
    auto hello = s.next_event();
    ASSERT_TRUE(hello);
    EXPECT_EQ(hello->event, "connected");
    for (auto const& body : expected) {
        auto e = s.next_event();
        ASSERT_TRUE(e) << "missing " << body;
        EXPECT_EQ(e->event, "db");
        EXPECT_EQ(e->data, body);
    }
    // Then live, with no duplicate at the seam.
    post(note("orders", 99, 99));
    auto live = s.next_event();
    ASSERT_TRUE(live);
    EXPECT_EQ(live->data, note("orders", 99, 99));
}

TEST_F(resume_test, query_parameter_resumes_like_the_header)
{
    start();
    auto const last_seen = id_seen_before_a_drop();
    post(note("orders", 2, 2));
    auto s = open("/events?events=orders&lastEventId=" + last_seen);
    ASSERT_TRUE(s.next_event_named("connected"));
    auto e = s.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data, note("orders", 2, 2));
}

TEST_F(resume_test, the_connected_event_carries_a_resumable_position)
{
    start();
    std::string position;
    {
        auto s = open("/events?events=orders");
        auto hello = s.next_event();
        ASSERT_TRUE(hello);
        position = hello->id;
        ASSERT_FALSE(position.empty());
    } // dropped before any event
    post(note("orders", 1, 1));
    auto s = open("/events?events=orders", {{"Last-Event-ID", position}});
    ASSERT_TRUE(s.next_event_named("connected"));
    auto e = s.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->event, "db") << "no resync: nothing was lost";
    EXPECT_EQ(e->data, note("orders", 1, 1));
}

TEST_F(resume_test, a_too_old_id_gets_resync_then_live_events)
{
    start(10);
    auto const last_seen = id_seen_before_a_drop();
    for (int i = 1; i <= 50; ++i)
        post(note("orders", i, i)); // only the last 10 are kept

    auto s = open("/events?events=orders", {{"Last-Event-ID", last_seen}});
    ASSERT_TRUE(s.next_event_named("connected"));
    auto resync = s.next_event();
    ASSERT_TRUE(resync);
    EXPECT_EQ(resync->event, "resync");
    EXPECT_EQ(nlohmann::json::parse(resync->data), nlohmann::json::parse(R"({"reason":"history-lost"})"));
    post(note("orders", 51, 51));
    auto live = s.next_event();
    ASSERT_TRUE(live);
    EXPECT_EQ(live->data, note("orders", 51, 51)) << "no partial replay after a resync";
}

TEST_F(resume_test, an_idle_stream_heartbeat_moves_its_cursor_so_it_resumes_past_max_age)
{
    // SPEC §2.3: once an event was issued, a heartbeat is `id: <newest>` with no data. A client
    // idle while other events were issued, then longer than replay.max_age, resumes from that
    // id with no resync; from the last event it received it could not (what followed is gone).
    auto cfg = test_config(redis_);
    cfg.client.heartbeat = std::chrono::milliseconds(200);
    cfg.replay.max_age = std::chrono::milliseconds(300);
    server_.emplace(std::move(cfg));
    auto const last_seen = id_seen_before_a_drop();
    auto s = open("/events?events=orders", {{"Last-Event-ID", last_seen}});
    ASSERT_TRUE(s.next_event_named("connected"));

    auto const other = post_notify(server_->notify_port(), note("invoices", 1, 1));
    ASSERT_EQ(other.status, 202) << other.body;
    auto const newest = nlohmann::json::parse(other.body).at("ids").at(0).get<std::string>();
    ASSERT_TRUE(s.await_last_event_id(newest)) << "the heartbeat carries the newest id";

    // Both events leave the history once older than replay.max_age (the sweep expires it).
    auto const deadline = std::chrono::steady_clock::now() + 20s;
    while (metric_value(server_->notify_port(), "sse_server_replay_bytes") != 0.0) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the history never expired";
        std::this_thread::sleep_for(50ms); // polling the gauge for the expiry
    }
    auto from_cursor = open("/events?events=orders", {{"Last-Event-ID", s.last_event_id()}});
    auto hello = from_cursor.next_event();
    ASSERT_TRUE(hello);
    EXPECT_EQ(hello->event, "connected");
    post(note("orders", 2, 2));
    auto next = from_cursor.next_event();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->event, "db") << "no resync: the cursor is the newest id";

    auto from_last_event = open("/events?events=orders", {{"Last-Event-ID", last_seen}});
    EXPECT_TRUE(from_last_event.next_event_named("resync")) << "the invoices event is gone";
}

TEST_F(resume_test, unknown_or_malformed_ids_get_resync)
{
    start();
    post(note("orders", 1, 1));
    for (auto const* id : {"garbage", "1-0", "99999999999999-0"}) {
        auto s = open("/events?events=orders", {{"Last-Event-ID", id}});
        ASSERT_TRUE(s.next_event_named("connected")) << id;
        auto e = s.next_event();
        ASSERT_TRUE(e) << id;
        EXPECT_EQ(e->event, "resync") << id;
    }
    auto const metrics = http_request(server_->notify_port(), "GET", "/metrics").body;
    EXPECT_NE(metrics.find("sse_server_replay_total{result=\"resync\"} 3"), std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find("sse_server_resyncs_total{cause=\"resume\"} 3"), std::string::npos)
        << metrics;
}

TEST_F(resume_test, a_long_replay_arrives_whole_and_in_order_behind_a_small_queue)
{
    // The backlog is far larger than one connection may have pending: it is read from the
    // replay buffer as the socket drains, not queued at once.
    auto cfg = test_config(redis_);
    cfg.client.max_pending_bytes = 4096;
    server_.emplace(std::move(cfg));
    auto const last_seen = id_seen_before_a_drop();
    std::string const padding(200, 'p');
    std::string batch = "[";
    for (int i = 1; i <= 2000; ++i) {
        batch += (batch.size() > 1 ? "," : "") + std::string(R"({"name":"orders","type":"t","id":)") +
                 std::to_string(i) + R"(,"pad":")" + padding + R"("})";
        if (i % 500 == 0) {
            post(batch + "]");
            batch = "[";
        }
    }
    auto s = open("/events?events=orders", {{"Last-Event-ID", last_seen}});
    ASSERT_TRUE(s.next_event_named("connected"));
    for (int i = 1; i <= 2000; ++i) {
        auto e = s.next_event();
        ASSERT_TRUE(e) << i;
        ASSERT_EQ(nlohmann::json::parse(e->data)["id"], i);
    }
}

} // namespace
} // namespace sse_server::test
