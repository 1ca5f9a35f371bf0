#include "sse_server/redis/redis_client.hpp"
#include "support/redis_server.hpp"

#include <chrono>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sse_server {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using kind = redis_reply::kind;

/** Drives the io_context until `done()` holds or the limit passes: it waits for events, it does
    not sleep. */
template <class Done> bool run_until(net::io_context& ioc, Done done, steady::duration limit = 10s)
{
    auto const deadline = steady::now() + limit;
    while (!done() && steady::now() < deadline) {
        if (ioc.stopped())
            ioc.restart();
        ioc.run_for(10ms);
    }
    return done();
}

/** A real Redis, an io_context and a client of it. */
struct rig
{
    explicit rig(milliseconds timeout = 2000ms, std::string password = {})
        : server(std::move(password))
    {
        cfg.url.host = "127.0.0.1";
        cfg.url.port = server.port();
        cfg.timeout = timeout;
        client = std::make_unique<redis_client>(ioc, cfg);
    }

    bool start_connected()
    {
        client->start();
        return run_until(ioc, [&] { return client->connected(); });
    }

    /** Issues one command and runs the io_context until it completes. */
    redis_reply call(std::vector<std::string> const& args)
    {
        std::optional<redis_reply> result;
        client->async_command(args, [&](redis_reply r) { result = std::move(r); });
        run_until(ioc, [&] { return result.has_value(); });
        return result.value_or(redis_reply{kind::unavailable, "<never completed>", {}});
    }

    redis_reply get(std::string const& key) { return call({"GET", key}); }

    test::redis_server server;
    net::io_context ioc;
    redis_config cfg;
    std::unique_ptr<redis_client> client;
};

TEST(redis_client, get_returns_the_value_of_an_existing_key)
{
    rig r;
    r.server.set("greeting", "hello");
    ASSERT_TRUE(r.start_connected());

    auto const reply = r.get("greeting");

    EXPECT_EQ(reply.type, kind::value);
    EXPECT_EQ(reply.text, "hello");
}

TEST(redis_client, get_of_a_missing_key_is_nil_not_unavailable)
{
    rig r;
    ASSERT_TRUE(r.start_connected());

    EXPECT_EQ(r.get("no-such-key").type, kind::nil);
}

TEST(redis_client, integer_status_and_error_replies_keep_their_kind)
{
    rig r;
    ASSERT_TRUE(r.start_connected());

    auto const incr = r.call({"INCR", "counter"});
    auto const ping = r.call({"PING"});
    auto const wrong = r.call({"NOSUCHCOMMAND"});

    EXPECT_EQ(incr.type, kind::value);
    EXPECT_EQ(incr.text, "1");
    EXPECT_EQ(ping.text, "PONG");
    EXPECT_EQ(wrong.type, kind::error);
    EXPECT_NE(wrong.text.find("unknown command"), std::string::npos) << wrong.text;
}

TEST(redis_client, array_replies_keep_their_nested_items)
{
    rig r;
    ASSERT_TRUE(r.start_connected());
    ASSERT_EQ(r.call({"XADD", "s", "5-1", "n", "one"}).text, "5-1");
    ASSERT_EQ(r.call({"XADD", "s", "5-2", "n", "two"}).text, "5-2");

    // [[id, [field, value]], …]
    auto const range = r.call({"XRANGE", "s", "-", "+"});
    ASSERT_EQ(range.type, kind::array);
    ASSERT_EQ(range.elements.size(), 2u);
    auto const& second = range.elements[1];
    ASSERT_EQ(second.elements.size(), 2u);
    EXPECT_EQ(second.elements[0].text, "5-2");
    ASSERT_EQ(second.elements[1].elements.size(), 2u);
    EXPECT_EQ(second.elements[1].elements[0].text, "n");
    EXPECT_EQ(second.elements[1].elements[1].text, "two");

    auto const empty = r.call({"XRANGE", "s", "(5-2", "+"});
    EXPECT_EQ(empty.type, kind::array);
    EXPECT_TRUE(empty.elements.empty());
}

TEST(redis_client, a_blocking_command_may_outlast_the_usual_timeout)
{
    rig r{200ms};
    ASSERT_TRUE(r.start_connected());
    std::optional<redis_reply> read;
    // Blocks 500 ms on an empty stream: longer than redis.timeout, within its own deadline.
    r.client->async_command({"XREAD", "BLOCK", "500", "STREAMS", "s", "0-0"},
                            [&](redis_reply reply) { read = std::move(reply); }, 5000ms);
    ASSERT_TRUE(run_until(r.ioc, [&] { return read.has_value(); }));
    EXPECT_EQ(read->type, kind::nil) << read->text;
    EXPECT_TRUE(r.client->connected()) << "not dropped as a silent connection";
}

TEST(redis_client, a_command_never_completes_inside_the_call_that_issued_it)
{
    rig r;
    ASSERT_TRUE(r.start_connected());
    int calls = 0;

    r.client->async_get("k", [&](redis_reply) { ++calls; });
    r.client->async_command({}, [&](redis_reply) { ++calls; });
    EXPECT_EQ(calls, 0);
    run_until(r.ioc, [&] { return calls == 2; });

    EXPECT_EQ(calls, 2);
}

TEST(redis_client, two_hundred_gets_issued_at_once_complete_in_order_with_their_own_values)
{
    rig r;
    std::vector<std::string> mset = {"MSET"};
    for (int i = 0; i < 200; ++i) {
        mset.push_back("key:" + std::to_string(i));
        mset.push_back("value " + std::to_string(i));
    }
    ASSERT_EQ(r.server.command(mset), "OK");
    ASSERT_TRUE(r.start_connected());

    std::vector<int> order;
    std::vector<std::string> values(200);
    for (int i = 0; i < 200; ++i)
        r.client->async_get("key:" + std::to_string(i), [&, i](redis_reply reply) {
            order.push_back(i);
            values[i] = reply.text;
        });
    run_until(r.ioc, [&] { return order.size() == 200; });

    ASSERT_EQ(order.size(), 200u);
    for (int i = 0; i < 200; ++i) {
        EXPECT_EQ(order[i], i);
        EXPECT_EQ(values[i], "value " + std::to_string(i));
    }
}

TEST(redis_client, batches_over_the_kept_buffer_size_complete_in_full_one_after_the_other)
{
    // Batches of 2 000 GETs of 100-byte keys issued in one turn: about 250 KiB of commands,
    // over the 64 KiB a connection's command buffers keep between writes. Each batch, and the
    // next on the buffers given back, is answered in full, in order, every reply its own.
    rig r;
    auto const key = [](int i) { return std::string(90, 'k') + ":" + std::to_string(i); };
    std::vector<std::string> mset = {"MSET"};
    for (int i = 0; i < 2000; ++i) {
        mset.push_back(key(i));
        mset.push_back(std::to_string(i));
    }
    ASSERT_EQ(r.server.command(mset), "OK");
    ASSERT_TRUE(r.start_connected());

    for (int batch = 0; batch < 3; ++batch) {
        std::vector<int> order;
        bool intact = true;
        for (int i = 0; i < 2000; ++i)
            r.client->async_get(key(i), [&, i](redis_reply reply) {
                intact = intact && reply.text == std::to_string(i);
                order.push_back(i);
            });
        run_until(r.ioc, [&] { return order.size() == 2000; });
        ASSERT_EQ(order.size(), 2000u) << batch;
        EXPECT_TRUE(intact) << batch;
        EXPECT_TRUE(std::is_sorted(order.begin(), order.end())) << batch;
    }
}

TEST(redis_client, a_key_with_spaces_newlines_and_binary_bytes_is_passed_intact)
{
    rig r;
    ASSERT_TRUE(r.start_connected());
    std::string const key("sess:a b\r\nGET x\0\xff%s%b", 20);
    std::string const value("v\0 1\n", 5);

    ASSERT_EQ(r.call({"SET", key, value}).text, "OK");

    EXPECT_EQ(r.server.command({"GET", key}), value);
    EXPECT_EQ(r.server.command({"EXISTS", "sess:a"}), "0");
    auto const reply = r.get(key);
    EXPECT_EQ(reply.type, kind::value);
    EXPECT_EQ(reply.text, value);
}

TEST(redis_client, a_paused_redis_fails_the_lookup_after_the_timeout_and_works_again_after_resume)
{
    rig r(200ms);
    r.server.set("k", "v");
    ASSERT_TRUE(r.start_connected());
    r.server.pause();

    int calls = 0;
    std::optional<redis_reply> result;
    auto const issued = steady::now();
    r.client->async_get("k", [&](redis_reply reply) {
        ++calls;
        result = std::move(reply);
    });
    ASSERT_TRUE(run_until(r.ioc, [&] { return result.has_value(); }));
    auto const waited = steady::now() - issued;

    EXPECT_EQ(result->type, kind::unavailable);
    EXPECT_EQ(result->text, "redis timeout");
    EXPECT_GE(waited, 200ms);
    EXPECT_LT(waited, 5s);
    EXPECT_FALSE(r.client->connected());

    r.server.resume();
    ASSERT_TRUE(run_until(r.ioc, [&] { return r.client->connected(); }));
    EXPECT_EQ(r.get("k").text, "v");
    EXPECT_EQ(calls, 1); // Redis answered the first GET late: that reply went nowhere
}

TEST(redis_client, a_hung_redis_is_not_reported_connected_while_it_stays_hung)
{
    rig r(100ms);
    std::vector<bool> states;
    r.client->on_state_change([&](bool up) { states.push_back(up); });
    ASSERT_TRUE(r.start_connected());
    r.server.pause();
    EXPECT_EQ(r.get("k").text, "redis timeout");

    // The kernel still accepts connections for the stopped process: each new attempt must wait
    // for its PING to be answered, which never happens, before counting as connected.
    r.ioc.run_for(1s);

    EXPECT_EQ(states, (std::vector<bool>{true, false}));
    EXPECT_FALSE(r.client->connected());
    EXPECT_EQ(r.client->last_error(), "timeout");
}

TEST(redis_client, a_killed_redis_fails_pending_commands_as_unavailable)
{
    rig r(5000ms);
    ASSERT_TRUE(r.start_connected());
    r.server.pause(); // keeps the commands pending until the kill
    std::vector<redis_reply> replies;
    for (int i = 0; i < 3; ++i)
        r.client->async_get("k", [&](redis_reply reply) { replies.push_back(std::move(reply)); });
    r.ioc.poll(); // sent

    r.server.stop();
    ASSERT_TRUE(run_until(r.ioc, [&] { return replies.size() == 3; }));

    for (auto const& reply : replies) {
        EXPECT_EQ(reply.type, kind::unavailable);
        EXPECT_EQ(reply.text, "redis connection lost"); // not the 5 s timeout
    }
    EXPECT_FALSE(r.client->connected());
    EXPECT_EQ(r.client->last_error(), "connection lost");
}

TEST(redis_client, a_restarted_redis_is_reconnected_without_help)
{
    rig r;
    std::vector<bool> states;
    r.client->on_state_change([&](bool up) { states.push_back(up); });
    ASSERT_TRUE(r.start_connected());

    r.server.stop();
    ASSERT_TRUE(run_until(r.ioc, [&] { return !r.client->connected(); }));
    r.server.start();
    r.server.set("k", "back");
    ASSERT_TRUE(run_until(r.ioc, [&] { return r.client->connected() && states.size() == 3; }));

    EXPECT_EQ(states, (std::vector<bool>{true, false, true}));
    EXPECT_EQ(r.get("k").text, "back");
}

TEST(redis_client, commands_while_redis_is_down_complete_at_once_as_unavailable)
{
    rig r;
    r.server.stop();
    r.client->start();
    ASSERT_TRUE(run_until(r.ioc, [&] { return !r.client->last_error().empty(); }));
    EXPECT_EQ(r.client->last_error(), "connection refused");

    std::optional<redis_reply> result;
    r.client->async_get("k", [&](redis_reply reply) { result = std::move(reply); });
    EXPECT_FALSE(result.has_value());
    r.ioc.poll(); // only what is ready now: no waiting for a timeout

    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->type, kind::unavailable);
    EXPECT_EQ(result->text, "redis not connected: connection refused")
        << "the refusal says why, as /readyz shows it";
}

TEST(redis_client, stop_fails_pending_commands_and_lets_run_return)
{
    rig r(5000ms);
    ASSERT_TRUE(r.start_connected());
    r.server.pause();
    std::optional<redis_reply> result;
    r.client->async_get("k", [&](redis_reply reply) { result = std::move(reply); });
    r.ioc.poll();

    r.client->stop();
    auto const stopped_at = steady::now();
    r.ioc.restart();
    r.ioc.run_for(10s);

    EXPECT_TRUE(r.ioc.stopped()); // ran out of work, did not hit the 10 s
    EXPECT_LT(steady::now() - stopped_at, 4s);
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->type, kind::unavailable);
    EXPECT_EQ(result->text, "redis client stopped");
    EXPECT_FALSE(r.client->connected());
}

TEST(redis_client, destroying_the_client_fails_its_pending_commands)
{
    rig r(5000ms);
    ASSERT_TRUE(r.start_connected());
    r.server.pause();
    std::optional<redis_reply> result;
    r.client->async_get("k", [&](redis_reply reply) { result = std::move(reply); });
    r.ioc.poll();

    r.client.reset();
    run_until(r.ioc, [&] { return result.has_value(); });

    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->type, kind::unavailable);
}

TEST(redis_client, a_client_never_started_fails_its_commands_and_leaves_no_work_behind)
{
    rig r;
    std::optional<redis_reply> result;
    r.client->async_get("k", [&](redis_reply reply) { result = std::move(reply); });
    r.client.reset();
    // Nothing of the client keeps the loop alive (a timer or a socket would): it runs dry.
    r.ioc.run_for(5s);
    EXPECT_TRUE(r.ioc.stopped());
    ASSERT_TRUE(result.has_value()) << "a command is answered, never dropped";
    EXPECT_EQ(result->type, kind::unavailable);
}

TEST(redis_client, a_host_name_is_resolved_without_blocking_the_loop)
{
    rig r;
    r.cfg.url.host = "localhost";
    r.server.set("k", "v");
    ASSERT_TRUE(r.start_connected());

    EXPECT_EQ(r.get("k").text, "v");
}

TEST(redis_client, the_right_password_authenticates)
{
    rig r(2000ms, "s3cret pass");
    r.cfg.url.password = "s3cret pass";
    r.server.set("k", "v");
    ASSERT_TRUE(r.start_connected());

    EXPECT_EQ(r.get("k").text, "v");
}

TEST(redis_client, a_wrong_password_never_gets_connected)
{
    rig r(2000ms, "s3cret");
    r.cfg.url.password = "wrong";
    std::vector<bool> states;
    r.client->on_state_change([&](bool up) { states.push_back(up); });
    r.client->start();

    ASSERT_TRUE(run_until(r.ioc, [&] { return !r.client->last_error().empty(); }));
    EXPECT_EQ(r.client->last_error(), "authentication failed");
    EXPECT_FALSE(r.client->connected());
    EXPECT_TRUE(states.empty());
    EXPECT_EQ(r.get("k").type, kind::unavailable);
}

TEST(redis_client, the_database_in_the_url_is_selected)
{
    rig r;
    r.cfg.url.db = 2;
    r.server.set("k", "in db 0");
    ASSERT_TRUE(r.start_connected());

    EXPECT_EQ(r.get("k").type, kind::nil);
    ASSERT_EQ(r.call({"SET", "k", "in db 2"}).text, "OK");
    EXPECT_EQ(r.server.command({"GET", "k"}), "in db 0");
}

} // namespace
} // namespace sse_server
