// Large entries on the bus (SPEC §5, §2.6): what a program XADDs or the API POSTs in a burst
// costs every daemon bounded bytes per read and bounded work per loop turn, and the payload of
// an entry too large to deliver never leaves Redis.
#include "support/cluster_fixture.hpp"
#include "support/daemon_process.hpp"

#include <algorithm>

namespace sse_server::test {
namespace {

using cluster_large_entries_test = cluster_fixture;
using std::chrono::steady_clock;

constexpr std::size_t mib = 1024 * 1024;

TEST_F(cluster_large_entries_test, an_oversized_entry_is_skipped_counted_and_logged_and_its_payload_never_leaves_redis)
{
    auto cfg = daemon_config();
    cfg.notify.max_body_bytes = 64 * 1024;
    auto& a = start_daemon(cfg);
    daemon_process b{test::daemon_config(redis_, "[cluster]\nmode = \"redis\"\n"
                                           "[notify]\nmax_body_bytes = 65536\n")};
    ASSERT_TRUE(readyz_becomes(b.notify_port(), 200));
    auto on_a = open(a, "a", "/events?events=orders");
    sse_stream on_b{b.clients_port(), "/events?events=orders", session("a")};
    ASSERT_TRUE(on_b.next_event_named("connected"));
    auto const before = bytes_sent_by_redis();

    // A program appends 4 MiB directly; then a notification comes through the API.
    redis_.command({"XADD", "sse:events", "*", "n", large_note("orders", 0, 4 * mib)});
    auto const next = ids_of(post_notify(a.notify_port(), note("orders", 1, 1)));
    for (auto* s : {&on_a, &on_b})
        expect_next_is(*s, next.at(0));
    auto const oversized = R"(sse_server_cluster_entries_total{result="oversized"})";
    EXPECT_TRUE(metric_reaches(a.notify_port(), oversized, 1));
    EXPECT_TRUE(metric_reaches(b.notify_port(), oversized, 1));
    EXPECT_TRUE(b.wait_for_output("larger than notify.max_body_bytes", 10s)) << b.output();
    EXPECT_LT(bytes_sent_by_redis() - before, mib) << "the 4 MiB went to no daemon";
}

TEST_F(cluster_large_entries_test, a_burst_of_large_posts_is_accepted_delivered_and_sent_to_each_reader_once)
{
    auto cfg = daemon_config();
    cfg.client.max_pending_bytes = 64 * mib; // the test reads the stream after posting
    auto& a = start_daemon(cfg);
    auto& b = start_daemon(cfg);
    auto s = open(b, "a", "/events?events=orders");
    auto const before = bytes_sent_by_redis();

    constexpr int count = 20;
    constexpr std::size_t size = 900 * 1024;
    std::vector<std::string> posted;
    for (int i = 0; i < count; ++i) {
        auto const r = post_notify(a.notify_port(), large_note("orders", i, size));
        ASSERT_EQ(r.status, 202) << r.body;
        posted.push_back(ids_of(r).at(0));
    }
    auto const small = ids_of(post_notify(a.notify_port(), note("orders", 1, count)));
    posted.push_back(small.at(0));
    EXPECT_EQ(ids_in(next_events(s, posted.size())), posted);

    // Two readers, each sent every entry once, plus little besides.
    auto const sent = bytes_sent_by_redis() - before;
    EXPECT_LT(sent, 2 * count * size * 5 / 4) << "bytes Redis sent for " << 2 * count * size;
    EXPECT_TRUE(metric_reaches(b.notify_port(),
                               R"(sse_server_cluster_entries_total{result="delivered"})", count + 1));
    EXPECT_EQ(metric_value(b.notify_port(), "sse_server_cluster_lag_seconds"), 0.0);

    // The read script is sent to Redis at most once per daemon (Redis caches it), then named.
    auto const calls = [&](std::string const& command) {
        auto const stats = redis_.command({"INFO", "commandstats"});
        auto const at = stats.find("cmdstat_" + command + ":calls=");
        return at == std::string::npos ? 0ull
                                       : std::stoull(stats.substr(at + command.size() + 15));
    };
    EXPECT_LE(calls("eval"), 2u);
    EXPECT_GE(calls("evalsha"), static_cast<unsigned long long>(count));
}

TEST_F(cluster_large_entries_test, health_answers_within_a_second_while_a_backlog_is_validated_and_the_lag_shows_it)
{
    auto& d = start_daemon();
    auto s = open(d, "a", "/events?events=orders");
    // Entries of a megabyte that the fast scanner gives up on at their last byte, so that the
    // full parser reads each again: slow to validate, and invalid. Appended in one step.
    constexpr int count = 60;
    auto const slow = large_note("orders", 0, 1000 * 1000) + " x";
    redis_.command({"EVAL", "for i = 1, tonumber(ARGV[2]) do redis.call('XADD', KEYS[1], '*', 'n', ARGV[1]) end",
                    "1", "sse:events", slow, std::to_string(count)});
    auto const last = redis_.command({"XADD", "sse:events", "*", "n", note("orders", 1, 1)});

    auto worst = steady_clock::duration::zero();
    bool lag_seen = false;
    std::optional<sse_event> got;
    auto const deadline = steady_clock::now() + 60s;
    while (!got && steady_clock::now() < deadline) {
        auto const asked = steady_clock::now();
        EXPECT_EQ(http_request(d.notify_port(), "GET", "/healthz").status, 200);
        worst = std::max(worst, steady_clock::now() - asked);
        lag_seen = lag_seen || metric_value(d.notify_port(), "sse_server_cluster_lag_seconds") > 0.0;
        got = s.next_event(20ms);
    }
    ASSERT_TRUE(got) << "the entry after the backlog never came";
    EXPECT_EQ(got->id, last);
    EXPECT_LT(worst, 1s) << "longest /healthz: "
                         << std::chrono::duration_cast<milliseconds>(worst).count() << " ms";
    EXPECT_TRUE(lag_seen) << "the lag said 0 while entries waited";
    EXPECT_EQ(metric_value(d.notify_port(), R"(sse_server_cluster_entries_total{result="invalid"})"),
              static_cast<double>(count));
    EXPECT_EQ(metric_value(d.notify_port(), "sse_server_cluster_lag_seconds"), 0.0);
}

TEST_F(cluster_large_entries_test, resumes_over_large_entries_read_each_from_redis_once_while_posts_go_on)
{
    auto cfg = daemon_config();
    auto& first = start_daemon(cfg);
    auto const seen = ids_of(post_notify(first.notify_port(), note("orders", 1, 0)));
    constexpr int count = 20;
    constexpr std::size_t size = 900 * 1024;
    std::vector<std::string> missed;
    for (int i = 0; i < count; ++i)
        missed.push_back(ids_of(post_notify(first.notify_port(), large_note("orders", i, size))).at(0));

    // A daemon started after them reads them back from the stream, for five clients at once,
    // while the API goes on posting to it.
    auto& late = start_daemon(cfg);
    auto const before = bytes_sent_by_redis();
    std::vector<sse_stream> resumed;
    for (int i = 0; i < 5; ++i)
        resumed.push_back(open(late, "a", "/events?events=orders", {{"Last-Event-ID", seen.at(0)}}));
    std::vector<std::string> live;
    auto slowest = steady_clock::duration::zero();
    for (auto& r : resumed) {
        auto const asked = steady_clock::now();
        auto const post = post_notify(late.notify_port(), note("orders", 1, 1000));
        slowest = std::max(slowest, steady_clock::now() - asked);
        ASSERT_EQ(post.status, 202) << post.body;
        live.push_back(ids_of(post).at(0));
        EXPECT_EQ(ids_in(next_events(r, count)), missed);
    }
    EXPECT_LT(slowest, 1s) << "a POST waited behind the read-back";
    for (auto& r : resumed)
        EXPECT_EQ(ids_in(next_events(r, live.size())), live) << "then live";
    auto const sent = bytes_sent_by_redis() - before;
    EXPECT_LT(sent, 5 * count * size * 5 / 4) << "bytes Redis sent for " << 5 * count * size;
}

} // namespace
} // namespace sse_server::test
