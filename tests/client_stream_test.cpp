// A client_stream with no socket: what a transport sees of it (its queue, when it asks to be
// written or cut) and what the registry sees (its subscription for exactly its lifetime).
#include "sse_server/stream/client_stream.hpp"

#include "sse_server/auth/authenticator.hpp"
#include "sse_server/config/config.hpp"
#include "sse_server/http/connection_manager.hpp"
#include "sse_server/log/memory_event_log.hpp"
#include "sse_server/ops/log_limiter.hpp"
#include "sse_server/ops/metrics.hpp"
#include "sse_server/redis/redis_client.hpp"
#include "sse_server/stream/flush_scheduler.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace sse_server {
namespace {

using namespace std::chrono_literals;

/** Records what the stream asks of the connection carrying it. */
class fake_carrier : public stream_carrier
{
public:
    void wake() override { ++wakes; }
    void flush() override {}
    void cut(char const* reason) override { cuts.emplace_back(reason); }
    std::shared_ptr<void> hold() override { return life; }

    int wakes = 0;
    std::vector<std::string> cuts;
    std::shared_ptr<int> life = std::make_shared<int>(0);
};

/** Writes the whole queue as a transport would, HTTP/1.0-style (no chunk framing). */
std::string drain(frame_queue& queue)
{
    queue.set_chunked(false);
    std::string out;
    while (!queue.empty()) {
        queue.start_batch("", false);
        std::size_t bytes = 0;
        for (auto const& b : queue.buffers()) {
            out.append(static_cast<char const*>(b.data()), b.size());
            bytes += b.size();
        }
        queue.written(bytes);
    }
    return out;
}

notification make(std::string name, std::string id)
{
    auto body = R"({"name":")" + name + R"(","type":"update","id":")" + id + R"("})";
    return notification{std::move(name), std::move(id), std::move(body), nullptr};
}

class client_stream_test : public ::testing::Test
{
protected:
    config cfg_ = [] {
        config c;
        c.client.max_pending_bytes = 4096;
        return c;
    }();
    registry subscriptions_{cfg_.events.account};
    memory_event_log log_{cfg_.replay,
                          [this](event const& e) { return subscriptions_.deliver(e); }};
    net::io_context ioc_;
    redis_client redis_{ioc_, cfg_.redis}; // never started: nothing here asks Redis
    authenticator auth_{ioc_.get_executor(), redis_, cfg_.auth};
    metrics stats_;
    log_limiter warnings_{10s};
    log_limiter access_log_{1s, 100};
    connection_manager connections_;
    flush_scheduler flushes_{ioc_};
    std::mt19937_64 random_{17};
    keep_alive_plan keep_alive_; // the tests call keep_alive() themselves
    client_services services_{cfg_,    subscriptions_, log_,         auth_,   stats_,
                              warnings_, access_log_,  connections_, flushes_, random_,
                              keep_alive_};
    fake_carrier carrier_;

    stream_start start(std::optional<event_id> catch_up_from = std::nullopt)
    {
        return stream_start{.user_id = "42",
                            .events = {"orders"},
                            .groups = {},
                            .cred = {credential_kind::api_key, "secret-key"},
                            .origin = stream_origin("tab-1"),
                            .greeting = "retry: 3000\n\n",
                            .catch_up_from = catch_up_from};
    }
    std::size_t publish(std::string name, std::string id)
    {
        return log_.append({make(std::move(name), std::move(id))}, nullptr)->recipients.value();
    }
};

TEST_F(client_stream_test, is_subscribed_for_exactly_its_lifetime_and_starts_with_its_greeting)
{
    {
        client_stream stream(services_, carrier_, start());
        EXPECT_EQ(subscriptions_.size(), 1u);
        EXPECT_EQ(publish("orders", "1"), 1u);
        EXPECT_EQ(publish("invoices", "2"), 0u) << "not subscribed to it";
        EXPECT_EQ(carrier_.wakes, 1) << "one frame queued, one wake";
        auto const written = drain(stream.queue());
        EXPECT_TRUE(written.starts_with("retry: 3000\n\n"));
        EXPECT_NE(written.find("\"id\":\"1\""), std::string::npos);
        EXPECT_EQ(written.find("invoices"), std::string::npos);
    }
    EXPECT_EQ(subscriptions_.size(), 0u) << "a destroyed stream is no longer in the registry";
    EXPECT_NE(stats_.render().find(R"(sse_server_connections_closed_total{reason="client_gone"} 1)"),
              std::string::npos);
}

TEST_F(client_stream_test, a_client_that_cannot_keep_up_is_cut_not_buffered)
{
    client_stream stream(services_, carrier_, start());
    std::size_t published = 0;
    while (carrier_.cuts.empty() && published < 1000)
        publish("orders", std::to_string(++published));
    ASSERT_EQ(carrier_.cuts, std::vector<std::string>{"slow_consumer"});
    EXPECT_LE(stream.queue().pending_bytes(), cfg_.client.max_pending_bytes);
    EXPECT_FALSE(stream.open());
    EXPECT_EQ(publish("orders", "late"), 0u) << "a cut stream takes nothing more";
    EXPECT_STREQ(stream.end_reason(), "slow_consumer");
}

TEST_F(client_stream_test, catching_up_reads_the_backlog_in_order_then_goes_live)
{
    publish("orders", "1");
    auto const resumed_from = log_.newest();
    publish("orders", "2");
    publish("invoices", "3");
    client_stream stream(services_, carrier_, start(resumed_from));
    EXPECT_EQ(publish("orders", "4"), 0u) << "while catching up, the log holds live events";
    EXPECT_EQ(drain(stream.queue()), "retry: 3000\n\n");

    ASSERT_TRUE(stream.refill()) << "the memory log answers at once";
    EXPECT_EQ(publish("orders", "5"), 1u) << "the backlog is read: the stream is live";
    auto const written = drain(stream.queue());
    auto const two = written.find("\"id\":\"2\"");
    auto const four = written.find("\"id\":\"4\"");
    auto const five = written.find("\"id\":\"5\"");
    ASSERT_NE(two, std::string::npos);
    ASSERT_NE(four, std::string::npos);
    ASSERT_NE(five, std::string::npos);
    EXPECT_LT(two, four);
    EXPECT_LT(four, five);
    EXPECT_EQ(written.find("\"id\":\"1\""), std::string::npos) << "the client had it";
    EXPECT_EQ(written.find("invoices"), std::string::npos);
}

TEST_F(client_stream_test, a_heartbeat_goes_out_only_after_quiet_for)
{
    client_stream stream(services_, carrier_, start());
    heartbeat const beat{std::make_shared<std::string const>(":\n\n"), nullptr};
    auto const t0 = std::chrono::steady_clock::now();
    stream.keep_alive(beat, t0, 15s); // the greeting is queued: that counts as a write
    drain(stream.queue());
    stream.keep_alive(beat, t0 + 14s, 15s);
    EXPECT_TRUE(stream.queue().empty());
    EXPECT_EQ(carrier_.wakes, 0);
    stream.keep_alive(beat, t0 + 16s, 15s);
    EXPECT_EQ(drain(stream.queue()), ":\n\n");
    EXPECT_EQ(carrier_.wakes, 1);
}

TEST_F(client_stream_test, a_live_stream_heartbeat_carries_the_cursor_one_catching_up_does_not)
{
    publish("orders", "1");
    auto const resumed_from = log_.newest();
    publish("invoices", "2");
    heartbeat const beat{std::make_shared<std::string const>(":\n\n"),
                         std::make_shared<std::string const>("id: 9-9\n\n")};
    auto const t0 = std::chrono::steady_clock::now();

    client_stream live(services_, carrier_, start());
    drain(live.queue());
    live.keep_alive(beat, t0 + 16s, 15s);
    EXPECT_EQ(drain(live.queue()), "id: 9-9\n\n");

    client_stream catching_up(services_, carrier_, start(resumed_from));
    drain(catching_up.queue());
    catching_up.keep_alive(beat, t0 + 16s, 15s);
    EXPECT_EQ(drain(catching_up.queue()), ":\n\n")
        << "its backlog is not written yet: its client must not skip past it";
}

TEST_F(client_stream_test, finishing_for_a_shutdown_queues_a_later_retry_and_takes_nothing_more)
{
    std::optional<client_stream> stream(std::in_place, services_, carrier_, start());
    drain(stream->queue());
    stream->finish("shutdown");
    EXPECT_TRUE(stream->finishing());
    EXPECT_EQ(carrier_.wakes, 1);
    EXPECT_EQ(publish("orders", "1"), 0u);
    auto const last = drain(stream->queue());
    ASSERT_TRUE(last.starts_with("retry: ")) << last;
    auto const retry = std::stoll(last.substr(7));
    EXPECT_GE(retry, cfg_.client.retry.count());
    EXPECT_LE(retry, 2 * cfg_.client.retry.count());
    stream.reset();
    EXPECT_NE(stats_.render().find(R"(sse_server_connections_closed_total{reason="shutdown"} 1)"),
              std::string::npos);
}

TEST_F(client_stream_test, tells_its_operator_which_kind_of_credential_never_which_one)
{
    client_stream stream(services_, carrier_, start());
    auto const info = stream.info();
    EXPECT_EQ(info.origin, "tab-1");
    EXPECT_EQ(info.credential_kind, "api_key");
    EXPECT_EQ(info.unsent_bytes, std::string("retry: 3000\n\n").size());
}

} // namespace
} // namespace sse_server
