// Cluster mode under faults (SPEC §5): Redis restarting under a stream of posts, a rolling
// restart of one daemon, the bus on a Redis of its own, and SIGTERM on a cluster daemon.
#include "support/cluster_fixture.hpp"
#include "support/daemon_process.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

namespace sse_server::test {
namespace {

/** An API posting `orders` notifications one after another from a thread of its own. A
    refusal (503, or no answer at all) is retried with the same body until a 202 comes, as an
    application would; it remembers the ids of the 202s and the bodies it had to retry. */
class steady_poster
{
public:
    /** `port_for(seq)`: the notification port the notification numbered `seq` goes to. */
    explicit steady_poster(std::function<std::uint16_t(int)> port_for)
        : port_for_(std::move(port_for)), thread_([this](std::stop_token stop) { run(stop); })
    {
    }

    std::size_t acknowledged() const
    {
        std::lock_guard lock(mutex_);
        return ids_.size();
    }
    /** Waits until at least `n` posts were acknowledged. */
    bool acknowledged_at_least(std::size_t n) { return wait([&] { return ids_.size() >= n; }); }
    /** Waits until at least `n` attempts were refused. */
    bool refused_at_least(std::size_t n) { return wait([&] { return refusals_ >= n; }); }

    /** Stops posting; what was under way is abandoned (it may have been appended). */
    void stop()
    {
        thread_.request_stop();
        if (thread_.joinable())
            thread_.join();
    }

    // After stop():
    std::vector<std::string> const& acknowledged_ids() const { return ids_; }
    std::set<std::string> const& retried_bodies() const { return retried_; }
    std::size_t refusals() const { return refusals_; }
    std::vector<std::string> const& odd_answers() const { return odd_; }

private:
    bool wait(std::function<bool()> const& done)
    {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, 10s, done);
    }

    void run(std::stop_token const& stop)
    {
        for (int seq = 0; !stop.stop_requested(); ++seq) {
            auto const body = note("orders", 1, seq);
            while (!stop.stop_requested()) {
                http_response r;
                try {
                    r = post_notify(port_for_(seq), body);
                } catch (std::exception const&) {
                    r.status = 0; // the daemon is gone: as good as a 503
                }
                std::lock_guard lock(mutex_);
                if (r.status == 202) {
                    auto const ids = ids_of(r);
                    ids_.insert(ids_.end(), ids.begin(), ids.end());
                    changed_.notify_all();
                    break;
                }
                ++refusals_;
                retried_.insert(body);
                if (r.status != 0 && (r.status != 503 || r.header("retry-after") != "1"))
                    odd_.push_back(std::to_string(r.status) + " " + r.body);
                changed_.notify_all();
                // An API waits Retry-After; a shorter pause keeps the test brief.
                std::this_thread::sleep_for(20ms);
            }
        }
    }

    std::function<std::uint16_t(int)> port_for_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::string> ids_;
    std::set<std::string> retried_;
    std::size_t refusals_ = 0;
    std::vector<std::string> odd_;
    std::jthread thread_; // last: it uses the members above
};

/** Reads a stream until the event `last_id` arrives; fewer if the stream ends or stalls. */
std::vector<sse_event> events_until(sse_stream& s, std::string const& last_id)
{
    std::vector<sse_event> out;
    while (out.empty() || out.back().id != last_id) {
        auto e = s.next_event();
        if (!e)
            break;
        out.push_back(std::move(*e));
    }
    return out;
}

/** Every acknowledged id once, in order; anything else is a retried body appended twice. */
void expect_exactly_once_in_order(std::vector<sse_event> const& got, steady_poster const& api)
{
    auto const& acked = api.acknowledged_ids();
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got.back().id, acked.back()) << "the stream stopped after " << got.size();
    std::size_t next = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].event, "db") << "no resync, no other event: " << got[i].data;
        if (i > 0) {
            EXPECT_LT(*event_id::parse(got[i - 1].id), *event_id::parse(got[i].id))
                << "in order, never twice";
        }
        if (next < acked.size() && got[i].id == acked[next])
            ++next;
        else
            EXPECT_TRUE(api.retried_bodies().contains(got[i].data))
                << "an event nobody posted, or one acknowledged out of order: " << got[i].id;
    }
    EXPECT_EQ(next, acked.size()) << "acknowledged but never received: " << acked.at(next);
}

class redis_restart_test : public cluster_fixture
{
protected:
    redis_restart_test() : cluster_fixture(redis_server::durability::append_fsync_always) {}
};

TEST_F(redis_restart_test, every_acknowledged_post_reaches_every_stream_once_across_a_restart)
{
    auto& a = start_daemon();
    auto& b = start_daemon();
    auto on_a = open(a, "a", "/events?events=orders");
    auto on_b = open(b, "a", "/events?events=orders");
    steady_poster api{[&](int seq) { return (seq % 2 ? b : a).notify_port(); }};
    ASSERT_TRUE(api.acknowledged_at_least(20));

    redis_.stop();
    ASSERT_TRUE(readyz_becomes(a.notify_port(), 503));
    ASSERT_TRUE(readyz_becomes(b.notify_port(), 503));
    auto const down = post_notify(b.notify_port(), note("orders", 1, -1));
    EXPECT_EQ(down.status, 503) << down.body;
    EXPECT_EQ(down.header("retry-after"), "1");
    ASSERT_TRUE(api.refused_at_least(1));

    redis_.start(); // same port, same directory: the stream comes back from the append-only file
    ASSERT_TRUE(readyz_becomes(a.notify_port(), 200));
    ASSERT_TRUE(readyz_becomes(b.notify_port(), 200));
    ASSERT_TRUE(api.acknowledged_at_least(api.acknowledged() + 20));
    api.stop();
    EXPECT_TRUE(api.odd_answers().empty()) << api.odd_answers().front();

    // Both streams stayed open throughout (one connection each, never ended).
    for (auto* s : {&on_a, &on_b})
        expect_exactly_once_in_order(events_until(*s, api.acknowledged_ids().back()), api);
}

using cluster_faults_test = cluster_fixture;

TEST_F(cluster_faults_test, a_rolling_restart_loses_nothing_and_delivers_nothing_twice)
{
    auto& a = start_daemon();
    auto& b = start_daemon();
    auto s = open(a, "a", "/events?events=orders");
    steady_poster api{[&](int) { return b.notify_port(); }};
    ASSERT_TRUE(api.acknowledged_at_least(10));

    // A goes down gracefully while posts keep coming; its stream ends cleanly.
    std::jthread stopping{[&] { a.stop(); }};
    std::vector<sse_event> got;
    while (auto e = s.next_event())
        got.push_back(std::move(*e));
    EXPECT_TRUE(s.ends_cleanly());

    // The browser reconnects, through the load balancer, to B with the last id it saw.
    auto resumed = open(b, "a", "/events?events=orders", {{"Last-Event-ID", s.last_event_id()}});
    ASSERT_TRUE(api.acknowledged_at_least(api.acknowledged() + 10));
    api.stop();
    EXPECT_EQ(api.refusals(), 0u);
    auto const rest = events_until(resumed, api.acknowledged_ids().back());
    got.insert(got.end(), rest.begin(), rest.end());
    EXPECT_EQ(ids_in(got), api.acknowledged_ids()) << "none lost, none twice, in order";
    for (auto const& e : got)
        EXPECT_EQ(e.event, "db");
}

TEST_F(cluster_faults_test, the_bus_may_live_on_a_redis_of_its_own)
{
    redis_server bus;
    auto cfg = daemon_config();
    cfg.cluster.url = parse_redis_url(bus.url());
    ASSERT_TRUE(cfg.cluster.url);
    auto& a = start_daemon(cfg);
    auto& b = start_daemon(cfg);
    auto s = open(b, "a", "/events?events=orders"); // the session is found on redis.url
    auto const posted = ids_of(post_notify(a.notify_port(), batch_of(0, 5)));
    EXPECT_EQ(ids_in(next_events(s, 5)), posted);
    EXPECT_EQ(bus.command({"XLEN", "sse:events"}), "5");
    EXPECT_EQ(redis_.command({"EXISTS", "sse:events"}), "0") << "nothing of the bus on redis.url";

    // Readiness and posts follow the bus's Redis.
    bus.stop();
    EXPECT_TRUE(readyz_becomes(a.notify_port(), 503));
    EXPECT_EQ(post_notify(a.notify_port(), note("orders", 1, 9)).status, 503);
    EXPECT_EQ(redis_.command({"PING"}), "PONG");
}

TEST_F(cluster_faults_test, a_redis_restart_without_persistence_is_one_resync_then_live)
{
    auto& d = start_daemon();
    auto s = open(d, "a", "/events?events=orders");
    ids_of(post_notify(d.notify_port(), note("orders", 1, 0)));
    ASSERT_EQ(next_events(s, 1).size(), 1u);

    redis_.stop();
    ASSERT_TRUE(readyz_becomes(d.notify_port(), 503));
    redis_.start(); // empty: the stream and the daemon's position in it are gone
    ASSERT_TRUE(readyz_becomes(d.notify_port(), 200));
    auto const after = ids_of(post_notify(d.notify_port(), note("orders", 1, 1)));
    auto const got = next_events(s, 2);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].event, "resync");
    EXPECT_EQ(got[1].event, "db") << "one resync, not one per check";
    EXPECT_EQ(got[1].id, after.at(0));
}

std::string cluster_daemon_config(redis_server const& redis)
{
    // Room for a backlog larger than what the kernel buffers, and time to look around.
    return daemon_config(redis, "[cluster]\nmode = \"redis\"\n"
                                "[client]\nmax_pending_bytes = 1073741824\n"
                                "[server]\nshutdown_timeout = \"30s\"\n");
}

/** Reads one answer from a keep-alive connection. */
http_response read_answer(tcp_connection& c)
{
    std::string buf;
    auto const deadline = std::chrono::steady_clock::now() + 10s;
    auto remaining = [&] {
        return std::max(0ms, std::chrono::duration_cast<milliseconds>(
                                 deadline - std::chrono::steady_clock::now()));
    };
    while (buf.find("\r\n\r\n") == std::string::npos)
        if (c.read_some(buf, remaining()) <= 0)
            return {};
    http_response r;
    r.status = std::stoi(buf.substr(9, 3));
    auto const head_end = buf.find("\r\n\r\n");
    std::string head = buf.substr(0, head_end);
    std::transform(head.begin(), head.end(), head.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (head.find("connection: close") != std::string::npos)
        r.headers["connection"] = "close";
    auto const at = head.find("content-length:");
    std::size_t const length = at == std::string::npos ? 0 : std::stoul(head.substr(at + 15));
    while (buf.size() < head_end + 4 + length && c.read_some(buf, remaining()) > 0) {
    }
    r.body = buf.substr(head_end + 4, length);
    return r;
}

TEST(cluster_daemon, sigterm_answers_readyz_503_at_once_while_the_streams_close)
{
    redis_server redis;
    redis.set("sess:s", R"({"userId":1})");
    daemon_process d{cluster_daemon_config(redis)};
    ASSERT_TRUE(readyz_becomes(d.notify_port(), 200));
    std::string const readyz = "GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n";
    tcp_connection kept{d.notify_port()};
    kept.send(readyz);
    EXPECT_EQ(read_answer(kept).status, 200);
    // A reader that stopped reading with events queued: the shutdown waits for it.
    auto stalled = open_stalled_stream(d.clients_port(), "sid=s");
    ASSERT_TRUE(post_until_backlog(d.notify_port(), 1 << 20));

    d.signal(SIGTERM);
    ASSERT_TRUE(d.wait_for_output("stopping: 1 streams open", 10s)) << d.output();
    kept.send(readyz);
    auto const on_kept = read_answer(kept);
    EXPECT_EQ(on_kept.status, 503);
    EXPECT_EQ(on_kept.body, "shutting down");
    EXPECT_EQ(on_kept.header("connection"), "close");
    EXPECT_TRUE(kept.closed_within(10s));
    auto const fresh = http_request(d.notify_port(), "GET", "/readyz");
    EXPECT_EQ(fresh.status, 503);
    EXPECT_EQ(fresh.body, "shutting down");
    EXPECT_EQ(http_request(d.notify_port(), "GET", "/healthz").status, 200);
    auto const post = post_notify(d.notify_port(), note("orders", 1, 0));
    EXPECT_EQ(post.status, 503) << post.body;
    EXPECT_EQ(post.header("retry-after"), "1");
    EXPECT_THROW(tcp_connection{d.clients_port()}, std::runtime_error);

    // The last stream gone, the daemon exits (long before server.shutdown_timeout).
    stalled.close();
    EXPECT_EQ(d.wait_exit(10s), 0) << d.output();
}

} // namespace
} // namespace sse_server::test
