// What the daemon says about its Redis servers (issue: production trials): a master demoted
// under it is not healthy, and a bus on a Redis of its own has a gauge and log lines of its own.
#include "support/cluster_fixture.hpp"
#include "support/daemon_process.hpp"

namespace sse_server::test {
namespace {

std::string cluster_section(std::string const& bus_url = {})
{
    std::string text = "[cluster]\nmode = \"redis\"\n";
    if (!bus_url.empty())
        text += "redis_url = \"" + bus_url + "\"\n";
    return text;
}

constexpr char const* sessions_up = "sse_server_redis_up{role=\"sessions\"}";
constexpr char const* bus_up = "sse_server_redis_up{role=\"bus\"}";

TEST(redis_health, a_master_demoted_to_replica_makes_the_bus_unready_until_it_is_master_again)
{
    redis_server redis;
    redis.set("sess:a", R"({"userId":1})");
    daemon_process d{daemon_config(redis, cluster_section())};
    ASSERT_TRUE(readyz_becomes(d.notify_port(), 200));
    EXPECT_EQ(metric_value(d.notify_port(), bus_up), 1.0);
    sse_stream s{d.clients_port(), "/events?events=orders", session("a")};
    ASSERT_TRUE(s.next_event_named("connected"));

    // An operator (or a failover gone wrong) turns the daemon's Redis into a replica of a
    // master that is not there: it still answers, but refuses every write.
    redis.command({"REPLICAOF", "127.0.0.1", std::to_string(pick_free_port())});
    auto const refused = post_notify(d.notify_port(), note("orders", 1, 0));
    EXPECT_EQ(refused.status, 503) << refused.body;
    EXPECT_EQ(refused.header("retry-after"), "1");

    // From then on it is not ready, the gauge says so, and the log says why.
    EXPECT_TRUE(readyz_becomes(d.notify_port(), 503)) << "a replica looked healthy";
    EXPECT_TRUE(metric_becomes(d.notify_port(), bus_up, 0));
    EXPECT_EQ(metric_value(d.notify_port(), sessions_up), 1.0)
        << "sessions are only read: a replica serves them";
    EXPECT_TRUE(d.wait_for_output("read-only replica", 10s)) << d.output();
    EXPECT_EQ(post_notify(d.notify_port(), note("orders", 1, 1)).status, 503);

    // Promoted again: the daemon reconnects by itself and the open stream gets what follows.
    redis.command({"REPLICAOF", "NO", "ONE"});
    ASSERT_TRUE(readyz_becomes(d.notify_port(), 200));
    EXPECT_TRUE(metric_becomes(d.notify_port(), bus_up, 1));
    auto const posted = ids_of(post_notify(d.notify_port(), note("orders", 1, 2)));
    auto const got = s.next_event();
    ASSERT_TRUE(got);
    EXPECT_EQ(got->id, posted.at(0));
    EXPECT_EQ(got->event, "db");
}

TEST(redis_health, a_bus_redis_of_its_own_that_goes_down_shows_in_its_own_gauge_and_log_lines)
{
    redis_server sessions;
    redis_server bus;
    sessions.set("sess:a", R"({"userId":1})");
    daemon_process d{daemon_config(sessions, cluster_section(bus.url()))};
    ASSERT_TRUE(readyz_becomes(d.notify_port(), 200));
    EXPECT_EQ(metric_value(d.notify_port(), sessions_up), 1.0);
    EXPECT_EQ(metric_value(d.notify_port(), bus_up), 1.0);
    auto const bus_address = "127.0.0.1:" + std::to_string(bus.port());
    EXPECT_NE(d.output().find("redis connected to " + bus_address + " (bus)"), std::string::npos)
        << d.output();

    bus.stop();
    EXPECT_TRUE(metric_becomes(d.notify_port(), bus_up, 0)) << "the bus is down";
    EXPECT_EQ(metric_value(d.notify_port(), sessions_up), 1.0) << "sessions are not";
    EXPECT_TRUE(d.wait_for_output("redis " + bus_address + " unavailable for bus", 10s))
        << d.output();
    EXPECT_TRUE(readyz_becomes(d.notify_port(), 503));
    // Streams can still be opened: their sessions are on the other Redis.
    sse_stream s{d.clients_port(), "/events?events=orders", session("a")};
    EXPECT_EQ(s.status(), 200);

    bus.start();
    EXPECT_TRUE(metric_becomes(d.notify_port(), bus_up, 1, 20s));
    EXPECT_TRUE(readyz_becomes(d.notify_port(), 200));
}

TEST(redis_health, standalone_mode_has_no_bus_gauge)
{
    redis_server redis;
    daemon_process d{daemon_config(redis)};
    ASSERT_TRUE(readyz_becomes(d.notify_port(), 200));
    EXPECT_EQ(metric_value(d.notify_port(), sessions_up), 1.0);
    EXPECT_FALSE(metric_value(d.notify_port(), bus_up)) << "no bus, no gauge claiming one";
}

} // namespace
} // namespace sse_server::test
