// The sse-server binary itself: command line, configuration, logs, signals.
#include "sse_server/auth/credentials.hpp"
#include "sse_server/ops/process_limits.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <set>
#include <sstream>

namespace sse_server::test {
namespace {

TEST(daemon, version_and_help_exit_zero)
{
    daemon_process version{"", {"--version"}, {}, false};
    EXPECT_EQ(version.wait_exit(10s), 0);
    EXPECT_NE(version.output().find("sse-server "), std::string::npos);
    daemon_process help{"", {"--help"}, {}, false};
    EXPECT_EQ(help.wait_exit(10s), 0);
    EXPECT_NE(help.output().find("--check-config"), std::string::npos);
}

TEST(daemon, check_config_accepts_the_shipped_file)
{
    std::ifstream file(std::string(SSE_SERVER_SOURCE_DIR) + "/config/sse-server.toml");
    std::stringstream text;
    text << file.rdbuf();
    ASSERT_FALSE(text.str().empty());
    daemon_process check{text.str(), {"--check-config"}, {}, false};
    EXPECT_EQ(check.wait_exit(10s), 0) << check.output();
}

TEST(daemon, bad_configuration_stops_the_start_naming_the_key)
{
    daemon_process unknown{"[client]\nhartbeat = \"5s\"\n", {"--check-config"}, {}, false};
    EXPECT_EQ(unknown.wait_exit(10s), 1);
    EXPECT_NE(unknown.output().find("client.hartbeat"), std::string::npos) << unknown.output();

    daemon_process bad_env{"", {"--check-config"}, {{"SSE_SERVER_CLIENT_HEARTBEAT", "often"}},
                           false};
    EXPECT_EQ(bad_env.wait_exit(10s), 1);
    EXPECT_NE(bad_env.output().find("client.heartbeat"), std::string::npos) << bad_env.output();

    // Anyone who can reach an open notification port can push data to every client.
    daemon_process exposed{"[listen]\nnotify = \"0.0.0.0:0\"\n", {}, {}, false};
    EXPECT_EQ(exposed.wait_exit(10s), 1);
    EXPECT_NE(exposed.output().find("notify.token"), std::string::npos) << exposed.output();
}

TEST(daemon, a_taken_port_stops_the_start)
{
    redis_server redis;
    daemon_process first{daemon_config(redis)};
    auto const taken = "[listen]\nclients = \"127.0.0.1:" + std::to_string(first.clients_port()) +
                       "\"\nnotify = \"127.0.0.1:0\"\n";
    daemon_process second{taken, {}, {}, false};
    EXPECT_EQ(second.wait_exit(10s), 1);
    EXPECT_NE(second.output().find("clients"), std::string::npos) << second.output();
}

TEST(daemon, delivers_notifications_with_environment_overrides)
{
    redis_server redis;
    redis.set("apikey:k1", "u1");
    daemon_process d{daemon_config(redis), {}, {{"SSE_SERVER_EVENTS_ACCOUNT", "account"}}};
    sse_stream s{d.clients_port(), "/events", {{"X-API-Key", "k1"}}};
    ASSERT_EQ(s.status(), 200);
    ASSERT_TRUE(s.next_event());
    auto const body = R"({"name":"account","type":"update","id":"u1"})";
    ASSERT_EQ(post_notify(d.notify_port(), body).status, 202);
    auto e = s.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data, body);
}

TEST(daemon, sigterm_with_a_thousand_streams_ends_each_cleanly_and_exits_zero)
{
    // 1 000 streams take 1 000 descriptors in this process and as many in the daemon.
    if (raise_open_file_limit() < 1100)
        GTEST_SKIP() << "the open-file limit of this machine is below 1100";
    redis_server redis;
    for (int u = 0; u < 50; ++u)
        redis.set("sess:s" + std::to_string(u), R"({"userId":)" + std::to_string(u) + "}");
    daemon_process d{daemon_config(redis)};
    std::vector<std::unique_ptr<sse_stream>> streams;
    for (int i = 0; i < 1000; ++i) {
        header_list const cookie{{"Cookie", "sid=s" + std::to_string(i % 50)}};
        streams.push_back(std::make_unique<sse_stream>(d.clients_port(), "/events?events=orders", cookie));
        ASSERT_EQ(streams.back()->status(), 200) << i;
    }
    // Every stream is live (its greeting read) before the signal.
    for (auto& s : streams)
        ASSERT_TRUE(s->next_event_named("connected"));
    d.signal(SIGTERM);
    int clean = 0;
    for (auto& s : streams)
        clean += s->ends_cleanly() ? 1 : 0;
    EXPECT_EQ(clean, 1000);
    EXPECT_EQ(d.wait_exit(20s), 0) << d.output();
    EXPECT_NE(d.output().find("stopping: 1000 streams open"), std::string::npos) << d.output();
    // No new connection is accepted once stopping.
    EXPECT_THROW(tcp_connection{d.clients_port()}, std::runtime_error);
}

TEST(daemon, events_still_queued_at_the_shutdown_deadline_are_counted_in_the_log)
{
    redis_server redis;
    redis.set("sess:s", R"({"userId":1})");
    // The queue may grow large here, so that it outgrows what the kernel buffers.
    daemon_process d{daemon_config(redis, "[client]\nmax_pending_bytes = 1073741824\n"
                                       "[server]\nshutdown_timeout = \"500ms\"\n")};
    // A reader that stopped reading, with events queued for it.
    auto stalled = open_stalled_stream(d.clients_port(), "sid=s");
    ASSERT_TRUE(post_until_backlog(d.notify_port(), 1 << 20));
    d.signal(SIGTERM);
    EXPECT_EQ(d.wait_exit(20s), 0) << d.output();
    auto const out = d.output();
    auto const at = out.find(" queued events were not delivered");
    ASSERT_NE(at, std::string::npos) << out;
    auto const number = out.rfind(' ', at - 1) + 1;
    EXPECT_GT(std::stoi(out.substr(number, at - number)), 0) << out;
}

TEST(daemon, an_id_from_before_a_restart_gets_resync)
{
    redis_server redis;
    redis.set("sess:s", R"({"userId":1})");
    std::string last_seen;
    {
        daemon_process first{daemon_config(redis)};
        sse_stream s{first.clients_port(), "/events?events=orders", {{"Cookie", "sid=s"}}};
        ASSERT_TRUE(s.next_event_named("connected"));
        ASSERT_EQ(post_notify(first.notify_port(), R"({"name":"orders","type":"t","id":1})").status, 202);
        last_seen = s.next_event().value().id;
        first.signal(SIGTERM);
        ASSERT_EQ(first.wait_exit(20s), 0);
    }
    daemon_process second{daemon_config(redis)};
    sse_stream s{second.clients_port(), "/events?events=orders",
                 {{"Cookie", "sid=s"}, {"Last-Event-ID", last_seen}}};
    ASSERT_TRUE(s.next_event_named("connected"));
    auto e = s.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->event, "resync");
}

TEST(daemon, api_keys_in_the_query_never_reach_the_log)
{
    redis_server redis;
    redis.set("apikey:Sup3rSecretKey", "7");
    daemon_process d{daemon_config(redis, "[auth.api_key]\nallow_query = true\n"
                                          "[log]\nlevel = \"debug\"\n")};
    sse_stream s{d.clients_port(), "/events?events=orders&api_key=Sup3rSecretKey"};
    ASSERT_EQ(s.status(), 200);
    EXPECT_EQ(sse_stream(d.clients_port(), "/events?api_key=WrongSecretKey").status(), 401);
    d.signal(SIGTERM);
    ASSERT_EQ(d.wait_exit(20s), 0);
    auto const log = d.output();
    EXPECT_NE(log.find("api_key=REDACTED"), std::string::npos) << log;
    EXPECT_EQ(log.find("Sup3rSecretKey"), std::string::npos) << log;
    EXPECT_EQ(log.find("WrongSecretKey"), std::string::npos) << log;
}

TEST(daemon, json_log_format_writes_one_object_per_line)
{
    redis_server redis;
    daemon_process d{daemon_config(redis, "[log]\nformat = \"json\"\n")};
    d.signal(SIGINT); // SIGINT stops it like SIGTERM
    ASSERT_EQ(d.wait_exit(20s), 0);
    std::istringstream lines(d.output());
    std::string line;
    int count = 0;
    while (std::getline(lines, line)) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        ASSERT_TRUE(j.is_object()) << line;
        EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg")) << line;
        ++count;
    }
    EXPECT_GE(count, 3);
}

TEST(daemon, health_asks_the_notification_port_the_configuration_gives)
{
    redis_server redis;
    // A port of its own, not 8081: the probe must follow listen.notify, not assume it.
    auto const notify = "127.0.0.1:" + std::to_string(pick_free_port());
    auto const toml = "[listen]\nclients = \"127.0.0.1:0\"\nnotify = \"" + notify +
                      "\"\n[redis]\nurl = \"" + redis.url() + "\"\n";
    daemon_process d{toml};
    daemon_process healthy{toml, {"--health"}, {}, false};
    EXPECT_EQ(healthy.wait_exit(10s), 0) << healthy.output();
    EXPECT_NE(healthy.output().find("healthy"), std::string::npos);

    d.signal(SIGTERM);
    ASSERT_EQ(d.wait_exit(20s), 0);
    daemon_process gone{toml, {"--health"}, {}, false};
    EXPECT_EQ(gone.wait_exit(10s), 1) << gone.output();
    EXPECT_NE(gone.output().find("unhealthy"), std::string::npos) << gone.output();
}

TEST(daemon, a_misspelt_variable_stops_the_start_naming_it)
{
    // A typo in SSE_SERVER_NOTIFY_TOKEN would otherwise leave /notify open without a word.
    daemon_process check{"", {"--check-config"}, {{"SSE_SERVER_NOTIFY_TOKN", "s3cret"}}, false};
    EXPECT_EQ(check.wait_exit(10s), 1);
    EXPECT_NE(check.output().find("SSE_SERVER_NOTIFY_TOKN: no such setting"), std::string::npos)
        << check.output();
    EXPECT_EQ(check.output().find("s3cret"), std::string::npos) << check.output();
}

TEST(daemon, check_config_prints_the_settings_in_force_with_secrets_redacted)
{
    daemon_process check{"[redis]\nurl = \"redis://:pa55word@127.0.0.1:6379/0\"\n"
                         "[notify]\ntoken = \"tok3n-value\"\n",
                         {"--check-config"},
                         {{"SSE_SERVER_CLIENT_HEARTBEAT", "20s"},
                          {"SSE_SERVER_AUTH_SESSION_SECRETS", R"(["hmac-secret"])"}},
                         false};
    EXPECT_EQ(check.wait_exit(10s), 0) << check.output();
    auto const out = check.output();
    EXPECT_NE(out.find("[client]\n"), std::string::npos) << out;
    EXPECT_NE(out.find("heartbeat = \"20s\"\n"), std::string::npos) << "the override in force\n"
                                                                   << out;
    EXPECT_NE(out.find("url = \"redis://:<redacted>@127.0.0.1:6379/0\""), std::string::npos) << out;
    EXPECT_NE(out.find("token = \"<redacted>\""), std::string::npos) << out;
    for (auto const* secret : {"pa55word", "tok3n-value", "hmac-secret"})
        EXPECT_EQ(out.find(secret), std::string::npos) << secret << " shown in\n" << out;
}

TEST(daemon, warns_at_start_when_max_connections_exceeds_the_open_file_limit)
{
    redis_server redis;
    daemon_process d{
        daemon_config(redis, "[limits]\nmax_connections = 5000\n"), {}, {}, true, 1024};
    EXPECT_TRUE(d.wait_for_output("limits.max_connections is 5000", 10s)) << d.output();
    d.signal(SIGTERM);
    EXPECT_EQ(d.wait_exit(20s), 0);
}

TEST(daemon, a_redis_outage_logs_one_warning_and_a_count_not_one_line_per_refused_client)
{
    redis_server redis;
    redis.set("apikey:k1", "u1");
    daemon_process d{daemon_config(redis)};
    redis.stop();
    constexpr int clients = 40;
    for (int i = 0; i < clients; ++i) {
        sse_stream refused{d.clients_port(), "/events", {{"X-API-Key", "k1"}}};
        ASSERT_EQ(refused.status(), 503);
    }
    // The rest of the window's refusals come as one summary when the 10 s window ends.
    ASSERT_TRUE(d.wait_for_output("streams refused: authentication unavailable (×" +
                                      std::to_string(clients - 1) + " more in the last 10 s)",
                                  30s))
        << d.output();
    auto const out = d.output();
    std::size_t lines = 0;
    for (auto at = out.find("authentication unavailable: "); at != std::string::npos;
         at = out.find("authentication unavailable: ", at + 1))
        ++lines;
    EXPECT_EQ(lines, 1u) << out;
    d.signal(SIGTERM);
    EXPECT_EQ(d.wait_exit(20s), 0);
}

TEST(daemon, sigterm_ends_streams_spread_over_the_drain_period_each_with_its_own_last_retry)
{
    redis_server redis;
    redis.set("sess:s", R"({"userId":1})");
    daemon_process d{daemon_config(redis, "[server]\ndrain_period = \"1s\"\n"
                                          "[client]\nretry = \"1s\"\n"
                                          "[limits]\nmax_connections_per_user = 100\n")};
    constexpr int count = 20;
    std::vector<std::unique_ptr<sse_stream>> streams;
    for (int i = 0; i < count; ++i) {
        streams.push_back(std::make_unique<sse_stream>(d.clients_port(), "/events",
                                                       header_list{{"Cookie", "sid=s"}}));
        ASSERT_EQ(streams.back()->status(), 200);
        ASSERT_TRUE(streams.back()->next_event_named("connected"));
    }
    d.signal(SIGTERM);
    // The notification port answers until the last stream is closed: the open streams are
    // seen going down one by one, not from 20 straight to none.
    bool seen_between = false;
    for (auto open = count; open > 0;) {
        std::string text;
        try {
            text = http_request(d.notify_port(), "GET", "/metrics").body;
        } catch (std::exception const&) {
            break; // the port closed with the last stream
        }
        std::string_view const gauge = "\nsse_server_connections ";
        auto const at = text.find(gauge);
        if (at == std::string::npos)
            break;
        open = std::stoi(text.substr(at + gauge.size()));
        seen_between = seen_between || (open > 0 && open < count);
    }
    EXPECT_TRUE(seen_between) << d.output();
    std::set<long> retries;
    for (auto& s : streams) {
        while (s->next_event()) {
        }
        ASSERT_TRUE(s->retry_ms());
        EXPECT_GE(*s->retry_ms(), 1000) << "the last retry: is at least client.retry";
        EXPECT_LE(*s->retry_ms(), 2000) << "and at most twice it";
        retries.insert(*s->retry_ms());
        EXPECT_TRUE(s->ends_cleanly());
    }
    EXPECT_GT(retries.size(), 1u) << "each stream draws its own";
    EXPECT_EQ(d.wait_exit(20s), 0) << d.output();
}

} // namespace
} // namespace sse_server::test
