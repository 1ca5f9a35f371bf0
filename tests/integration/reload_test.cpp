// SIGHUP under live streams: what a reload applies, what it leaves for a restart, and what it
// refuses; open streams never notice.
#include "sse_server/auth/credentials.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <memory>

namespace sse_server::test {
namespace {

TEST(reload, sighup_reloads_the_log_level_and_a_secret_under_live_streams)
{
    redis_server redis;
    redis.set("sess:abc", R"({"userId":1})");
    auto const with = [&](std::string const& level, std::string const& secret,
                          std::string const& extra = "") {
        return daemon_config(redis, "[log]\nlevel = \"" + level +
                                        "\"\n[auth.session]\nsecrets = [\"" + secret + "\"]\n" +
                                        extra);
    };
    auto const cookie = [](std::string const& secret) {
        return header_list{{"Cookie", "sid=" + sign_cookie("abc", secret)}};
    };
    daemon_process d{with("info", "old-secret")};
    sse_stream live{d.clients_port(), "/events?events=orders", cookie("old-secret")};
    ASSERT_EQ(live.status(), 200);
    ASSERT_TRUE(live.next_event()); // connected

    std::ofstream(d.config_path(), std::ios::trunc) << with("debug", "new-secret");
    d.signal(SIGHUP);
    ASSERT_TRUE(d.wait_for_output(
        "reloaded the configuration: applied auth.session.secrets, log.level", 10s))
        << d.output();

    // The stream opened before the reload stays open and gets what follows.
    auto const body = R"({"name":"orders","type":"update","id":1})";
    ASSERT_EQ(post_notify(d.notify_port(), body).status, 202);
    auto const e = live.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data, body);
    // New connections see the new secret only; debug lines now appear.
    sse_stream refused{d.clients_port(), "/events", cookie("old-secret")};
    EXPECT_EQ(refused.status(), 401);
    sse_stream accepted{d.clients_port(), "/events", cookie("new-secret")};
    EXPECT_EQ(accepted.status(), 200);
    EXPECT_TRUE(d.wait_for_output(" debug client ", 10s)) << d.output();

    // A key that needs a restart is named; an invalid file is refused and changes nothing.
    std::ofstream(d.config_path(), std::ios::trunc)
        << with("debug", "new-secret", "[client]\npath = \"/stream\"\n");
    d.signal(SIGHUP);
    EXPECT_TRUE(
        d.wait_for_output("reload: client.path changed; it takes effect at the next restart", 10s))
        << d.output();
    std::ofstream(d.config_path(), std::ios::trunc) << "[client]\nhartbeat = \"5s\"\n";
    d.signal(SIGHUP);
    EXPECT_TRUE(d.wait_for_output("reload refused, the running configuration stays: "
                                  "client.hartbeat: unknown key",
                                  10s))
        << d.output();
    sse_stream still{d.clients_port(), "/events", cookie("new-secret")};
    EXPECT_EQ(still.status(), 200) << "the running configuration is kept";
    ASSERT_EQ(post_notify(d.notify_port(), body).status, 202);
    EXPECT_TRUE(live.next_event()) << "the first stream is still open";

    d.signal(SIGTERM);
    EXPECT_EQ(d.wait_exit(20s), 0);
}

TEST(reload, lowered_connection_limits_refuse_new_streams_and_never_close_open_ones)
{
    redis_server redis;
    for (auto const* user : {"a", "b", "c", "d"})
        redis.set(std::string("sess:") + user, std::string(R"({"userId":")") + user + "\"}");
    auto const limits = [&](int total, int per_user) {
        return daemon_config(redis, "[limits]\nmax_connections = " + std::to_string(total) +
                                     "\nmax_connections_per_user = " + std::to_string(per_user) +
                                     "\n");
    };
    auto const open = [](daemon_process const& d, std::string const& user) {
        return std::make_unique<sse_stream>(d.clients_port(), "/events?events=orders",
                                            header_list{{"Cookie", "sid=" + user}});
    };
    auto const reload = [](daemon_process& d, std::string const& text) {
        std::ofstream(d.config_path(), std::ios::trunc) << text;
        d.signal(SIGHUP);
    };
    daemon_process d{limits(10, 5)};
    std::vector<std::unique_ptr<sse_stream>> streams;
    for (auto const* user : {"a", "a", "b"}) {
        streams.push_back(open(d, user));
        ASSERT_EQ(streams.back()->status(), 200);
        ASSERT_TRUE(streams.back()->next_event()); // connected
    }

    // User a already has two streams: one per user is now too many for a, not for a newcomer.
    reload(d, limits(10, 1));
    ASSERT_TRUE(d.wait_for_output(
        "reloaded the configuration: applied limits.max_connections_per_user", 10s))
        << d.output();
    auto const refused_for_user = open(d, "a");
    EXPECT_EQ(refused_for_user->status(), 429);
    EXPECT_NE(refused_for_user->response().body.find("too many connections for this user"),
              std::string::npos)
        << refused_for_user->response().body;
    streams.push_back(open(d, "c"));
    ASSERT_EQ(streams.back()->status(), 200);
    ASSERT_TRUE(streams.back()->next_event());

    // Four streams are open and the total drops to two: nobody new gets in, nobody is put out.
    reload(d, limits(2, 1));
    ASSERT_TRUE(
        d.wait_for_output("reloaded the configuration: applied limits.max_connections\n", 10s))
        << d.output();
    auto const refused = open(d, "d");
    EXPECT_EQ(refused->status(), 429);
    EXPECT_NE(refused->response().body.find("too many connections"), std::string::npos)
        << refused->response().body;

    auto const body = R"({"name":"orders","type":"update","id":1})";
    ASSERT_EQ(post_notify(d.notify_port(), body).status, 202);
    for (auto const& stream : streams) {
        auto const e = stream->next_event();
        ASSERT_TRUE(e) << "a stream opened before the reload was closed";
        EXPECT_EQ(e->data, body);
    }

    // Raised again, the limits let the same clients in at once.
    reload(d, limits(10, 5));
    ASSERT_TRUE(d.wait_for_output("applied limits.max_connections, limits.max_connections_per_user",
                                  10s))
        << d.output();
    EXPECT_EQ(open(d, "d")->status(), 200);

    d.signal(SIGTERM);
    EXPECT_EQ(d.wait_exit(20s), 0);
}

} // namespace
} // namespace sse_server::test
