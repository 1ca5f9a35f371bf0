// The follower of the bus (SPEC §5) against what production trials did to it: a bus left idle
// until trimming empties it, entries deleted or trimmed under it, the stream re-created behind
// its position, a resume from what a daemon no longer keeps, daemons that trim differently.
#include "support/cluster_fixture.hpp"
#include "support/daemon_process.hpp"

#include "sse_server/event/event_id.hpp"

#include <csignal>

namespace sse_server::test {
namespace {

using cluster_bus_test = cluster_fixture;

std::string resyncs(std::string const& cause)
{
    return R"(sse_server_resyncs_total{cause=")" + cause + R"("})";
}

TEST_F(cluster_bus_test, a_bus_emptied_by_max_age_trimming_while_idle_lost_nothing_on_any_daemon)
{
    auto cfg = daemon_config();
    cfg.replay.max_age = 500ms; // entries leave the stream within about a second
    auto& a = start_daemon(cfg);
    auto& b = start_daemon(cfg);
    auto on_a = open(a, "a", "/events?events=orders");
    auto on_b = open(b, "a", "/events?events=orders");
    auto const first = ids_of(post_notify(a.notify_port(), note("orders", 1, 0)));
    for (auto* s : {&on_a, &on_b})
        ASSERT_EQ(ids_in(next_events(*s, 1)), first);
    ASSERT_TRUE(bus_length_becomes(0)) << "the one entry outlived replay.max_age";
    // The bus stays idle a while, as in production (not a wait for an event: the idle time is
    // the scenario), longer than the reader's once-a-second check while idle.
    std::this_thread::sleep_for(1500ms);

    // The position was the newest id: nothing was lost.
    auto const next = ids_of(post_notify(b.notify_port(), note("orders", 1, 1)));
    for (auto* s : {&on_a, &on_b})
        expect_next_is(*s, next.at(0));
    for (auto* d : {&a, &b})
        EXPECT_EQ(metric_value(d->notify_port(), resyncs("bus_trimmed")), 0.0);
}

TEST_F(cluster_bus_test, deleting_the_newest_entry_loses_nothing_after_it)
{
    auto& d = start_daemon();
    auto s = open(d, "a", "/events?events=orders");
    auto const first = ids_of(post_notify(d.notify_port(), note("orders", 1, 0)));
    ASSERT_EQ(ids_in(next_events(s, 1)), first);
    EXPECT_EQ(redis_.command({"XDEL", "sse:events", first.at(0)}), "1");
    // The bus stays idle a while, as in production (not a wait for an event: the idle time is
    // the scenario), longer than the reader's once-a-second check while idle.
    std::this_thread::sleep_for(1500ms);

    expect_next_is(s, ids_of(post_notify(d.notify_port(), note("orders", 1, 1))).at(0));
}

TEST_F(cluster_bus_test, entries_trimmed_before_a_daemon_read_them_are_one_resync_per_stream_counted_by_cause)
{
    auto& d = start_daemon();
    for (auto const* cause : {"resume", "bus_trimmed", "bus_recreated"})
        EXPECT_EQ(metric_value(d.notify_port(), resyncs(cause)), 0.0) << "there from the start";
    auto orders = open(d, "a", "/events?events=orders");
    auto account = open(d, "b", "/events");
    ids_of(post_notify(d.notify_port(), note("orders", 1, 0)));
    ASSERT_EQ(next_events(orders, 1).size(), 1u);

    // An application appends two entries and trims the stream to one, in one step: the daemon
    // never saw the first.
    auto const kept = redis_.command({"EVAL", R"(
        redis.call('XADD', KEYS[1], '*', 'n', ARGV[1])
        local id = redis.call('XADD', KEYS[1], '*', 'n', ARGV[2])
        redis.call('XTRIM', KEYS[1], 'MAXLEN', 1)
        return id)",
                                      "1", "sse:events", note("orders", 1, 1), note("orders", 1, 2)});
    auto const got = next_events(orders, 2);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].event, "resync");
    EXPECT_EQ(got[1].id, kept);
    auto const resync = account.next_event();
    ASSERT_TRUE(resync);
    EXPECT_EQ(resync->event, "resync");
    EXPECT_TRUE(metric_reaches(d.notify_port(), resyncs("bus_trimmed"), 2));

    auto const after = ids_of(post_notify(d.notify_port(), note("orders", 1, 3)));
    EXPECT_EQ(ids_in(next_events(orders, 1)), after) << "one resync, then live";
    EXPECT_EQ(metric_value(d.notify_port(), resyncs("bus_trimmed")), 2.0) << "one per stream";
    EXPECT_EQ(metric_value(d.notify_port(), resyncs("bus_recreated")), 0.0);
}

TEST_F(cluster_bus_test, a_stream_recreated_behind_the_readers_position_gets_resync_and_is_read_from_its_start)
{
    auto& d = start_daemon();
    auto s = open(d, "a", "/events?events=orders");
    // An entry with a future id (an application chose it), then the stream is deleted, as by a
    // Redis restart without persistence: every id of the new stream is below the position.
    auto const future = std::to_string(event_id_generator::now_ms() + 3'600'000) + "-0";
    EXPECT_EQ(redis_.command({"XADD", "sse:events", future, "n", note("orders", 1, 0)}), future);
    ASSERT_EQ(ids_in(next_events(s, 1)), std::vector<std::string>{future});
    redis_.del("sse:events");

    auto const after = ids_of(post_notify(d.notify_port(), batch_of(1, 2)));
    auto const got = next_events(s, 3);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].event, "resync");
    EXPECT_EQ(ids_in({got.begin() + 1, got.end()}), after);
    EXPECT_TRUE(metric_reaches(d.notify_port(), resyncs("bus_recreated"), 1));
    EXPECT_EQ(metric_value(d.notify_port(), "sse_server_cluster_lag_seconds"), 0.0);
    EXPECT_EQ(http_request(d.notify_port(), "GET", "/readyz").status, 200);
}

TEST_F(cluster_bus_test, a_resume_from_ids_this_daemon_no_longer_keeps_is_replayed_from_the_stream)
{
    // Entries from before the daemon started, then more than its memory keeps.
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i)
        ids.push_back(redis_.command({"XADD", "sse:events", "*", "n", note("orders", 1, i)}));
    auto cfg = daemon_config();
    cfg.replay.capacity = 5;
    auto& d = start_daemon(cfg);
    auto const posted = ids_of(post_notify(d.notify_port(), batch_of(3, 30)));
    ids.insert(ids.end(), posted.begin(), posted.end());

    auto const commands = [&] {
        auto const info = redis_.command({"INFO", "stats"});
        return std::stoull(info.substr(info.find("total_commands_processed:") + 25));
    };
    auto const before = commands();
    // From before the daemon started; from what it read, then forgot.
    for (std::size_t from : {0u, 10u}) {
        auto r = open(d, "a", "/events?events=orders", {{"Last-Event-ID", ids[from]}});
        std::vector<std::string> const missed(ids.begin() + static_cast<long>(from) + 1, ids.end());
        EXPECT_EQ(ids_in(next_events(r, missed.size())), missed) << "resumed from " << from;
        auto const live = ids_of(post_notify(d.notify_port(), note("orders", 1, 100)));
        EXPECT_EQ(ids_in(next_events(r, 1)), live) << "then live";
        ids.push_back(live.at(0));
    }
    EXPECT_LT(commands() - before, 200u) << "a page of history per round trip, no spinning";
    EXPECT_EQ(metric_value(d.notify_port(), resyncs("resume")), 0.0);
    EXPECT_EQ(metric_value(d.notify_port(), "sse_server_slow_consumer_closes_total"), 0.0);
}

TEST_F(cluster_bus_test, daemons_that_trim_differently_say_so_in_a_gauge_and_the_log)
{
    auto cfg = daemon_config();
    cfg.replay.max_age = 4s; // settings refreshed every second, gone 3 s after the last refresh
    auto& a = start_daemon(cfg);
    auto const gauge = std::string("sse_server_cluster_trim_settings_mismatch");
    EXPECT_EQ(metric_value(a.notify_port(), gauge), 0.0);
    start_daemon(cfg); // the same settings: no mismatch

    // One more daemon keeps only 500 entries: every append it takes trims them all to that.
    auto b = std::make_unique<daemon_process>(test::daemon_config(
        redis_, "[cluster]\nmode = \"redis\"\nmax_len = 500\n[replay]\nmax_age = \"4s\"\n"));
    EXPECT_TRUE(b->wait_for_output("trim settings differ", 10s)) << b->output();
    EXPECT_TRUE(metric_reaches(a.notify_port(), gauge, 1));
    EXPECT_TRUE(metric_reaches(b->notify_port(), gauge, 1));
    // Published beside the stream: one field per distinct setting, however many daemons and
    // restarts, and the key expires unless refreshed.
    for (int i = 0; i < 3; ++i)
        start_daemon(cfg);
    EXPECT_EQ(redis_.command({"HLEN", "sse:events:settings"}), "2");
    EXPECT_GT(std::stol(redis_.command({"PTTL", "sse:events:settings"})), 0);

    // The odd daemon goes: the others see agreement again once its entry expires.
    b->signal(SIGTERM);
    EXPECT_EQ(b->wait_exit(10s), 0);
    EXPECT_TRUE(metric_becomes(a.notify_port(), gauge, 0));
    EXPECT_EQ(redis_.command({"HLEN", "sse:events:settings"}), "1");
}

} // namespace
} // namespace sse_server::test
