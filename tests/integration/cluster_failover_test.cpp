// What a Sentinel failover leaves on the bus (SPEC §6), made on one Redis so that it happens
// the same way every run: the stream set back to an entry a daemon already delivered, as on a
// replica that had not received the newest entries when it was promoted.
#include "support/cluster_fixture.hpp"

namespace sse_server::test {
namespace {

using cluster_failover_test = cluster_fixture;

std::string resyncs(std::string const& cause)
{
    return R"(sse_server_resyncs_total{cause=")" + cause + R"("})";
}

TEST_F(cluster_failover_test,
       a_stream_set_back_below_what_was_delivered_is_one_resync_and_nothing_twice)
{
    auto& d = start_daemon();
    auto s = open(d, "a", "/events?events=orders");
    auto const posted = ids_of(post_notify(d.notify_port(), batch_of(0, 10)));
    ASSERT_EQ(posted.size(), 10U);
    ASSERT_EQ(ids_in(next_events(s, 10)), posted);

    // The stream as the promoted replica has it: its first six entries, ids and bodies kept,
    // made in one step so that the daemon never sees the key missing.
    std::vector<std::string> args = {"EVAL", R"(
        local kept = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', ARGV[1])
        redis.call('DEL', KEYS[1])
        for _, e in ipairs(kept) do redis.call('XADD', KEYS[1], e[1], unpack(e[2])) end
        return #kept)",
                                     "1", "sse:events", "6"};
    ASSERT_EQ(redis_.command(args), "6");

    // The daemon says history was lost (whatever it had not read may have gone with the
    // rest), then delivers what comes after the switch, and none of the ten twice.
    auto const resync = s.next_event();
    ASSERT_TRUE(resync);
    EXPECT_EQ(resync->event, "resync");
    auto const after = ids_of(post_notify(d.notify_port(), batch_of(10, 3)));
    EXPECT_EQ(ids_in(next_events(s, 3)), after);
    EXPECT_TRUE(metric_reaches(d.notify_port(), resyncs("bus_trimmed"), 1));
    EXPECT_EQ(metric_value(d.notify_port(), resyncs("bus_recreated")), 0.0);
    EXPECT_EQ(http_request(d.notify_port(), "GET", "/readyz").status, 200);
}

} // namespace
} // namespace sse_server::test
