// The daemon behind Redis Sentinel (SPEC §6): one primary, one replica and three sentinels,
// real processes. A failover under a steady flow of posts; a dead sentinel first in the list;
// a master name the sentinels do not know.
#include "support/cluster_fixture.hpp"
#include "support/daemon_process.hpp"

#include <atomic>
#include <functional>
#include <mutex>
#include <set>

namespace sse_server::test {
namespace {

using clock = std::chrono::steady_clock;

/** Polls `done` until it holds or `timeout` passes. Processes tell these facts only when
    asked (replication, what a sentinel knows): polling is how they are awaited. */
bool becomes_true(std::function<bool()> const& done, milliseconds timeout)
{
    auto const deadline = clock::now() + timeout;
    while (!done()) {
        if (clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(20ms); // pace the polling
    }
    return true;
}

redis_server_options replica_options(std::uint16_t primary_port)
{
    redis_server_options options;
    options.replica_of = primary_port;
    return options;
}

redis_server_options sentinel_options(std::uint16_t primary_port, int quorum = 2)
{
    redis_server_options options;
    options.sentinel_of = primary_port;
    options.sentinel_quorum = quorum;
    return options;
}

std::string address(redis_server const& r)
{
    return "127.0.0.1:" + std::to_string(r.port());
}

/** A primary with a session in it, its replica, and three sentinels: the replica in sync and
    known to the first sentinel, so that a failover can start. */
struct sentinel_group
{
    sentinel_group()
    {
        primary.set("sess:a", R"({"userId":1})");
        for (int i = 0; i < 3; ++i)
            sentinels.push_back(std::make_unique<redis_server>(sentinel_options(primary.port())));
        EXPECT_TRUE(becomes_true(
            [&] {
                return replica.command({"INFO", "replication"}).find("master_link_status:up") !=
                       std::string::npos;
            },
            20s));
        auto const replica_port = std::to_string(replica.port());
        EXPECT_TRUE(becomes_true(
            [&] {
                auto const known = sentinels[0]->command({"SENTINEL", "replicas", "mymaster"});
                return known.find(replica_port) != std::string::npos &&
                       known.find("master-link-status\nok") != std::string::npos;
            },
            20s));
    }

    std::string url(std::string const& master = "mymaster") const
    {
        std::string hosts;
        for (auto const& s : sentinels)
            hosts += (hosts.empty() ? "" : ",") + address(*s);
        return "redis+sentinel://" + hosts + "/" + master + "/0";
    }

    redis_server primary;
    redis_server replica{replica_options(primary.port())};
    std::vector<std::unique_ptr<redis_server>> sentinels;
};

std::string daemon_on(std::string const& url, std::string const& extra = "")
{
    return "[listen]\nclients = \"127.0.0.1:0\"\nnotify = \"127.0.0.1:0\"\n[redis]\nurl = \"" +
           url + "\"\ntimeout = \"1s\"\n" + extra;
}

/** What one stream received: the notifications' ids in order, and whether it got resync. */
struct received
{
    std::vector<std::string> ids;
    bool resync = false;
};

received read_until(sse_stream& s, std::string const& last_id)
{
    received got;
    while (got.ids.empty() || got.ids.back() != last_id) {
        auto const e = s.next_event();
        if (!e)
            break;
        if (e->event == "resync")
            got.resync = true;
        else if (e->event == "db")
            got.ids.push_back(e->id);
    }
    return got;
}

TEST(sentinel, a_failover_under_posts_keeps_the_streams_and_loses_nothing_silently)
{
    sentinel_group group;
    daemon_process d{daemon_on(group.url(), "[cluster]\nmode = \"redis\"\n")};
    ASSERT_TRUE(readyz_becomes(d.notify_port(), 200));
    std::vector<std::unique_ptr<sse_stream>> streams;
    for (int i = 0; i < 3; ++i) {
        streams.push_back(
            std::make_unique<sse_stream>(d.clients_port(), "/events?events=orders", session("a")));
        ASSERT_EQ(streams.back()->status(), 200);
        ASSERT_TRUE(streams.back()->next_event_named("connected"));
    }

    // A steady flow of posts, and of authentications beside them, through the switch.
    std::mutex mutex;
    std::vector<std::string> accepted; // the ids of every 202, in order
    std::vector<clock::time_point> accepted_at;
    std::vector<std::string> wrong; // any answer but 202/503 to a post, 200/503 to a stream
    std::atomic<bool> posting{true};
    std::thread poster([&] {
        for (int seq = 0; posting; ++seq) {
            auto const posted = post_notify(d.notify_port(), note("orders", 1, seq));
            sse_stream probe{d.clients_port(), "/events", session("a")};
            std::lock_guard const lock(mutex);
            if (posted.status == 202) {
                accepted.push_back(ids_of(posted).at(0));
                accepted_at.push_back(clock::now());
            } else if (posted.status != 503 || posted.header("retry-after").empty())
                wrong.push_back("post: " + std::to_string(posted.status) + " " + posted.body);
            if (probe.status() == 503 ? probe.response().header("retry-after").empty()
                                      : probe.status() != 200)
                wrong.push_back("stream: " + std::to_string(probe.status()));
            std::this_thread::sleep_for(5ms); // the pace of the flow, not a wait for anything
        }
    });
    auto const accepted_count = [&] {
        std::lock_guard const lock(mutex);
        return accepted.size();
    };
    EXPECT_TRUE(becomes_true([&] { return accepted_count() >= 20; }, 10s));

    auto const failover_at = clock::now();
    EXPECT_TRUE(becomes_true(
        [&] {
            return group.sentinels[0]->command({"SENTINEL", "FAILOVER", "mymaster"}) == "OK";
        },
        10s));
    // The replica is the primary now, and the daemon appends there: posts are accepted again,
    // on it, within the sentinels' failover timeout (5 s).
    EXPECT_TRUE(d.wait_for_output("redis connected to " + group.url() + " (master " +
                                      address(group.replica) + ") (bus)",
                                  10s))
        << d.output();
    auto const before = accepted_count();
    EXPECT_TRUE(becomes_true([&] { return accepted_count() >= before + 20; }, 10s));
    EXPECT_LT(clock::now() - failover_at, 10s);
    posting = false;
    poster.join();
    ASSERT_FALSE(accepted.empty());
    EXPECT_EQ(group.replica.command({"XRANGE", "sse:events", accepted.back(), accepted.back()})
                  .find(accepted.back()),
              0U)
        << "the last accepted post is on the new primary";
    EXPECT_TRUE(wrong.empty()) << wrong.front();
    // The longest time without a 202: what the switch cost the API (README, Sentinel).
    clock::duration outage{};
    for (std::size_t i = 1; i < accepted_at.size(); ++i)
        outage = std::max(outage, accepted_at[i] - accepted_at[i - 1]);
    RecordProperty("posts_refused_ms",
                   static_cast<int>(std::chrono::duration_cast<milliseconds>(outage).count()));
    EXPECT_TRUE(readyz_becomes(d.notify_port(), 200));
    // Sessions are read from the new primary too: one written there after the switch is known.
    ASSERT_TRUE(d.wait_for_output("redis connected to " + group.url() + " (master " +
                                      address(group.replica) + ") (sessions)",
                                  10s))
        << d.output();
    group.replica.set("sess:new", R"({"userId":3})");
    EXPECT_EQ(sse_stream(d.clients_port(), "/events", session("new")).status(), 200);

    // Every stream is still open and got every accepted notification once, in order; or, if
    // entries the old primary had accepted were lost in the switch, it was told so (resync).
    int resynced = 0;
    std::size_t missing = 0; // accepted, then lost in the switch (the resync said so)
    for (auto& s : streams) {
        auto const got = read_until(*s, accepted.back());
        resynced += got.resync ? 1 : 0;
        ASSERT_FALSE(got.ids.empty());
        EXPECT_EQ(got.ids.back(), accepted.back()) << "the stream stayed open";
        std::set<std::string> const unique(got.ids.begin(), got.ids.end());
        EXPECT_EQ(unique.size(), got.ids.size()) << "never a notification twice";
        for (auto const& id : accepted) {
            if (!got.resync) {
                EXPECT_EQ(unique.count(id), 1U) << id << " lost without a resync";
            }
            missing += unique.count(id) == 0 ? 1 : 0;
        }
    }
    RecordProperty("streams_resynced", resynced);
    RecordProperty("accepted_posts_lost", static_cast<int>(missing / streams.size()));
    auto const out = d.output();
    EXPECT_NE(out.find("the master moved from " + address(group.primary) + " to " +
                       address(group.replica)),
              std::string::npos)
        << out;
}

TEST(sentinel, a_dead_sentinel_first_in_the_list_is_skipped)
{
    redis_server primary;
    primary.set("sess:a", R"({"userId":1})");
    redis_server sentinel{sentinel_options(primary.port(), 1)};
    auto const dead = pick_free_port(); // nothing listens there
    auto const url = "redis+sentinel://127.0.0.1:" + std::to_string(dead) + "," +
                     address(sentinel) + "/mymaster/0";
    daemon_process d{daemon_on(url)};
    sse_stream s{d.clients_port(), "/events", session("a")};
    EXPECT_EQ(s.status(), 200);
    EXPECT_EQ(sse_stream(d.clients_port(), "/events", session("nobody")).status(), 401);
    EXPECT_TRUE(d.wait_for_output(
        "redis connected to " + url + " (master " + address(primary) + ") (sessions)", 10s))
        << d.output();
    EXPECT_TRUE(
        d.wait_for_output("listening for +switch-master on sentinel " + address(sentinel), 10s))
        << d.output();
}

TEST(sentinel, a_master_the_sentinels_do_not_know_is_named_in_the_log_and_readyz)
{
    redis_server primary;
    redis_server sentinel{sentinel_options(primary.port(), 1)};
    // With a password in the URL: a sentinel without one lets the daemon in all the same.
    auto const url = "redis+sentinel://:sekrit@" + address(sentinel) + "/elsewhere/0";
    daemon_process d{daemon_on(url, "[server]\nready_timeout = \"0s\"\n")};
    auto const why =
        "no sentinel knows the master elsewhere (" + address(sentinel) + ": does not know it)";
    EXPECT_TRUE(d.wait_for_output("redis redis+sentinel://" + address(sentinel) +
                                      "/elsewhere/0 unavailable for sessions (" + why + ")",
                                  10s))
        << d.output();
    EXPECT_EQ(http_request(d.notify_port(), "GET", "/readyz").status, 503);
    ASSERT_TRUE(d.wait_for_output("not ready (redis unavailable): ", 10s)) << d.output();
    auto const out = d.output();
    auto const line = out.substr(out.find("not ready (redis unavailable): "));
    EXPECT_NE(line.substr(0, line.find('\n')).find(why), std::string::npos) << out;
    EXPECT_EQ(sse_stream(d.clients_port(), "/events", session("a")).status(), 503);
    EXPECT_EQ(d.output().find("sekrit"), std::string::npos) << "never the password";
    EXPECT_EQ(d.output().find("authentication failed"), std::string::npos)
        << "a sentinel without a password takes the URL's";
}

} // namespace
} // namespace sse_server::test
