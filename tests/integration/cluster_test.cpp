// Several daemons, one Redis (SPEC §5): the Redis stream is the bus, ids are its entry ids,
// and a stream resumes on any daemon.
#include "support/cluster_fixture.hpp"

#include <sstream>
#include <thread>

namespace sse_server::test {
namespace {

using cluster_test = cluster_fixture;

TEST_F(cluster_test, three_daemons_deliver_every_post_once_with_the_same_ids_and_order)
{
    for (int i = 0; i < 3; ++i)
        start_daemon();
    std::vector<sse_stream> orders;
    std::vector<sse_stream> accounts;
    for (auto& d : daemons_) {
        orders.push_back(open(*d, "a", "/events?events=orders"));
        accounts.push_back(open(*d, "b", "/events"));
    }

    // Three API threads, each posting to its own daemon at once, then a batch.
    std::vector<std::vector<std::string>> posted(3);
    std::vector<std::thread> apis;
    for (int t = 0; t < 3; ++t)
        apis.emplace_back([&, t] {
            for (int i = 0; i < 10; ++i) {
                auto r = post_notify(daemons_[t]->notify_port(), note("orders", 1, t * 100 + i));
                auto ids = ids_of(r);
                posted[t].insert(posted[t].end(), ids.begin(), ids.end());
            }
        });
    for (auto& api : apis)
        api.join();
    auto const batch = ids_of(post_notify(daemons_[1]->notify_port(), batch_of(1000, 5)));
    ASSERT_EQ(batch.size(), 5u);

    std::vector<std::vector<sse_event>> got;
    for (auto& s : orders)
        got.push_back(next_events(s, 35));
    ASSERT_EQ(got[0].size(), 35u);
    for (std::size_t d = 1; d < 3; ++d)
        EXPECT_EQ(ids_in(got[d]), ids_in(got[0])) << "the same ids in the same order on daemon " << d;
    for (std::size_t d = 0; d < 3; ++d)
        for (std::size_t i = 0; i < got[d].size(); ++i)
            EXPECT_EQ(got[d][i].data, got[0][i].data);

    // Every id a 202 gave arrives once; each API thread's posts keep their order; a batch
    // arrives whole and in order.
    auto const received = ids_in(got[0]);
    for (int t = 0; t < 3; ++t) {
        std::size_t at = 0;
        for (auto const& id : posted[t]) {
            auto const it = std::find(received.begin() + static_cast<long>(at), received.end(), id);
            ASSERT_NE(it, received.end()) << id;
            at = static_cast<std::size_t>(it - received.begin());
        }
    }
    EXPECT_EQ(std::vector<std::string>(received.end() - 5, received.end()), batch);
    for (std::size_t i = 1; i < received.size(); ++i)
        EXPECT_LT(*event_id::parse(received[i - 1]), *event_id::parse(received[i]));

    // The account rule across daemons: user 2's change, posted to daemon 0, reaches user 2 on
    // every daemon and nobody else.
    auto const change = ids_of(post_notify(daemons_[0]->notify_port(), note("user", 2, 0)));
    auto const marker = ids_of(post_notify(daemons_[2]->notify_port(), note("orders", 1, 9999)));
    for (std::size_t d = 0; d < 3; ++d) {
        auto const mine = accounts[d].next_event();
        ASSERT_TRUE(mine);
        EXPECT_EQ(mine->id, change.at(0));
        auto const next = orders[d].next_event();
        ASSERT_TRUE(next);
        EXPECT_EQ(next->id, marker.at(0)) << "user 1 never sees user 2's change";
    }
}

TEST_F(cluster_test, a_stream_resumes_on_another_daemon_even_one_started_after_the_events)
{
    auto& first = start_daemon();
    auto& second = start_daemon();
    auto s = open(first, "a", "/events?events=orders");
    auto const seen = ids_of(post_notify(first.notify_port(), note("orders", 1, 0)));
    ASSERT_EQ(next_events(s, 1).size(), 1u);
    s.connection().close(); // the connection is lost here

    // Missed while away: more than one page of the stream, and events it does not want.
    std::vector<std::string> missed;
    for (int i = 0; i < 3; ++i) {
        auto ids = ids_of(post_notify(second.notify_port(), batch_of(i * 50, 50)));
        missed.insert(missed.end(), ids.begin(), ids.end());
        ids_of(post_notify(second.notify_port(), note("invoices", 1, i)));
    }

    // On a daemon that read them live, and on one started after them: the same replay.
    auto& late = start_daemon();
    for (auto* d : {&second, &late}) {
        auto r = open(*d, "a", "/events?events=orders", {{"Last-Event-ID", seen.at(0)}});
        auto const replayed = next_events(r, missed.size());
        EXPECT_EQ(ids_in(replayed), missed);
        // Then live, with no gap and no duplicate at the seam.
        auto const live = ids_of(post_notify(first.notify_port(), note("orders", 1, 777)));
        auto const next = r.next_event();
        ASSERT_TRUE(next);
        EXPECT_EQ(next->id, live.at(0));
        missed.push_back(live.at(0));
    }
}

TEST_F(cluster_test, a_heartbeat_carries_the_newest_id_on_the_bus_whichever_daemon_took_it)
{
    // SPEC §2.3 in cluster mode: the newest id is the bus's, not the daemon's own; an idle
    // stream's cursor then resumes on another daemon with nothing to replay and no resync.
    auto cfg = daemon_config();
    cfg.client.heartbeat = std::chrono::milliseconds(200);
    auto& quiet = start_daemon(cfg);
    auto& busy = start_daemon();
    auto s = open(quiet, "a", "/events?events=orders");
    auto const other = ids_of(post_notify(busy.notify_port(), note("invoices", 1, 1)));
    ASSERT_EQ(other.size(), 1u);
    ASSERT_TRUE(s.await_last_event_id(other.at(0))) << "the heartbeat carries the bus's newest id";
    s.connection().close();

    auto r = open(busy, "a", "/events?events=orders", {{"Last-Event-ID", s.last_event_id()}});
    auto const live = ids_of(post_notify(quiet.notify_port(), note("orders", 1, 2)));
    auto const next = r.next_event();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->event, "db") << "no resync, nothing replayed";
    EXPECT_EQ(next->id, live.at(0));
}

TEST_F(cluster_test, trimmed_unknown_and_malformed_ids_get_resync)
{
    auto cfg = daemon_config();
    cfg.cluster.max_len = 10;
    cfg.replay.capacity = 5; // this daemon's memory forgets too: the stream decides
    auto& d = start_daemon(cfg);
    auto const oldest = ids_of(post_notify(d.notify_port(), note("orders", 1, 0)));
    std::string newest;
    for (int i = 0; i < 3; ++i)
        newest = ids_of(post_notify(d.notify_port(), batch_of(i * 100, 100))).back();

    for (auto const& id : {oldest.at(0), std::string("1-0"), std::string("garbage")}) {
        sse_stream s{d.clients_port(), "/events?events=orders",
                     {{"Cookie", "sid=a"}, {"Last-Event-ID", id}}};
        ASSERT_TRUE(s.next_event_named("connected")) << id;
        auto const e = s.next_event();
        ASSERT_TRUE(e) << id;
        EXPECT_EQ(e->event, "resync") << id;
    }
    EXPECT_EQ(metric_value(d.notify_port(), R"(sse_server_resyncs_total{cause="resume"})"), 3.0);
    auto s = open(d, "a", "/events?events=orders", {{"Last-Event-ID", newest}});
    auto const live = ids_of(post_notify(d.notify_port(), note("orders", 1, 1)));
    expect_next_is(s, live.at(0)); // the newest id lost nothing
}

TEST_F(cluster_test, entries_appended_by_the_application_are_validated_like_a_post)
{
    auto& d = start_daemon();
    auto s = open(d, "a", "/events?events=orders");
    auto const valid = redis_.command({"XADD", "sse:events", "*", "n", note("orders", 1, 1)});
    auto const e = s.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->id, valid);
    EXPECT_EQ(e->data, note("orders", 1, 1));

    redis_.command({"XADD", "sse:events", "*", "other", note("orders", 1, 2)});
    redis_.command({"XADD", "sse:events", "*", "n", "not json"});
    redis_.command({"XADD", "sse:events", "*", "n", "[" + note("orders", 1, 3) + "]"});
    redis_.command({"XADD", "sse:events", "*", "n", R"({"name":"orders","id":1})"});
    auto const after = redis_.command({"XADD", "sse:events", "*", "n", note("orders", 1, 4)});
    auto const next = s.next_event();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->id, after) << "the invalid ones are skipped, reading goes on";
    EXPECT_TRUE(metric_reaches(d.notify_port(), R"(sse_server_cluster_entries_total{result="invalid"})", 4));
    EXPECT_TRUE(metric_reaches(d.notify_port(), R"(sse_server_cluster_entries_total{result="delivered"})", 2));
}

TEST_F(cluster_test, a_key_of_the_wrong_type_keeps_readyz_at_503_until_it_is_fixed)
{
    redis_.set("sse:events", "not a stream");
    auto cfg = daemon_config();
    cfg.server.ready_timeout = 0ms; // readiness is the subject, not the clients port
    daemons_.push_back(std::make_unique<running_server>(cfg));
    auto const port = daemons_.back()->notify_port();
    // Not ready at first for want of a position; then for the fault that keeps it so, told
    // in generic words (the key's name and Redis's text are for the log).
    auto const deadline = std::chrono::steady_clock::now() + 10s;
    http_response r;
    do {
        r = http_request(port, "GET", "/readyz");
        if (r.body == "event bus unavailable")
            break;
        std::this_thread::sleep_for(20ms); // pace the polling
    } while (std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.body, "event bus unavailable");
    redis_.del("sse:events");
    EXPECT_TRUE(readyz_becomes(port, 200));
}

TEST_F(cluster_test, posts_answer_503_with_retry_after_when_the_bus_is_down)
{
    auto& d = start_daemon();
    redis_.stop();
    ASSERT_TRUE(readyz_becomes(d.notify_port(), 503));
    auto const r = post_notify(d.notify_port(), note("orders", 1, 0));
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.header("retry-after"), "1");
}

TEST_F(cluster_test, a_killed_reader_connection_reads_on_after_the_last_entry_delivered)
{
    auto& reading = start_daemon();
    auto& posting = start_daemon();
    auto s = open(reading, "a", "/events?events=orders");
    std::vector<std::string> posted;
    auto post = [&](int seq) {
        auto ids = ids_of(post_notify(posting.notify_port(), note("orders", 1, seq)));
        posted.insert(posted.end(), ids.begin(), ids.end());
    };
    for (int i = 0; i < 20; ++i)
        post(i);
    ASSERT_EQ(ids_in(next_events(s, posted.size())), posted);
    // Kill both daemons' readers (the connections that track the stream's key) and what
    // wakes them (the connections subscribed to the invalidations); the posting ones stay.
    std::istringstream clients(redis_.command({"CLIENT", "LIST"}));
    int readers = 0;
    int wakeups = 0;
    for (std::string line; std::getline(clients, line);) {
        bool const reader = line.find(" redir=-1") == std::string::npos;
        bool const wakeup = line.find(" sub=1 ") != std::string::npos;
        if (reader || wakeup) {
            auto const id = line.substr(3, line.find(' ') - 3);
            redis_.command({"CLIENT", "KILL", "ID", id});
            readers += reader ? 1 : 0;
            wakeups += wakeup ? 1 : 0;
        }
    }
    EXPECT_EQ(readers, 2);
    EXPECT_EQ(wakeups, 2);
    posted.clear();
    for (int i = 20; i < 60; ++i)
        post(i);
    EXPECT_EQ(ids_in(next_events(s, posted.size())), posted) << "nothing lost, nothing twice";
}

} // namespace
} // namespace sse_server::test
