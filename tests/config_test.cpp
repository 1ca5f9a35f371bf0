#include "sse_server/config/config.hpp"

#include <array>
#include <cstdlib>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <sstream>
#include <string>
#include <toml++/toml.h>

namespace sse_server {
namespace {

using namespace std::chrono_literals;
using env_map = std::map<std::string, std::string>;

// The SPEC §4 table (and auth.revalidate_in_flight, which the README adds), as tests and
// tooling rely on it.
constexpr std::array<std::string_view, 73> documented_keys = {
    "listen.clients",
    "listen.notify",
    "listen.metrics",
    "listen.reuse_port",
    "listen.trusted_proxies",
    "redis.url",
    "redis.password_file",
    "redis.username",
    "redis.timeout",
    "redis.tls_ca_file",
    "redis.tls_cert_file",
    "redis.tls_key_file",
    "redis.tls_server_name",
    "auth.revalidate_interval",
    "auth.revalidate_in_flight",
    "auth.methods",
    "auth.session.cookie",
    "auth.session.secrets",
    "auth.session.secrets_file",
    "auth.session.key_prefix",
    "auth.session.user_id_pointer",
    "auth.session.grants_pointer",
    "auth.session.groups_pointer",
    "auth.api_key.key_prefix",
    "auth.api_key.user_id_pointer",
    "auth.api_key.grants_pointer",
    "auth.api_key.groups_pointer",
    "auth.api_key.allow_query",
    "auth.api_key.hash",
    "auth.jwt.key_file",
    "auth.jwt.secret_file",
    "auth.jwt.cookie",
    "auth.jwt.issuer",
    "auth.jwt.audience",
    "auth.jwt.leeway",
    "auth.jwt.user_claim",
    "auth.jwt.grants_claim",
    "auth.jwt.groups_claim",
    "auth.hook.url",
    "auth.hook.timeout",
    "auth.hook.cache_ttl",
    "auth.hook.max_inflight",
    "events.account",
    "events.grants",
    "client.path",
    "client.max_lifetime",
    "client.retry",
    "client.heartbeat",
    "client.max_pending_bytes",
    "client.send_timeout",
    "client.header_timeout",
    "client.cors_origins",
    "limits.max_subscriptions",
    "limits.max_connections",
    "limits.max_connections_per_user",
    "replay.capacity",
    "replay.max_age",
    "replay.max_bytes",
    "notify.token",
    "notify.token_file",
    "notify.max_body_bytes",
    "notify.idle_timeout",
    "notify.max_connections",
    "log.level",
    "log.format",
    "log.access",
    "server.shutdown_timeout",
    "server.drain_period",
    "server.ready_timeout",
    "cluster.mode",
    "cluster.stream",
    "cluster.max_len",
    "cluster.redis_url",
};

env_lookup env_of(env_map variables)
{
    return
        [variables = std::move(variables)](std::string const& name) -> std::optional<std::string> {
            auto const found = variables.find(name);
            if (found == variables.end())
                return std::nullopt;
            return found->second;
        };
}

// EXPECT_THROW, keeping the message so the caller can check which key it names.
std::string refusal(std::string_view text, env_map env = {})
{
    std::string message = "<accepted>";
    EXPECT_THROW(
        {
            try {
                parse_config(text, env_of(std::move(env)));
            } catch (config_error const& error) {
                message = error.what();
                throw;
            }
        },
        config_error)
        << text;
    return message;
}

::testing::AssertionResult names(std::string const& message, std::string_view part)
{
    if (message.find(part) != std::string::npos)
        return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "\"" << message << "\" does not name \"" << part << "\"";
}

std::string text_of(host_port const& address)
{
    return address.host + " " + std::to_string(address.port);
}

std::string text_of(redis_url const& url)
{
    return url.host + " " + std::to_string(url.port) + " " + url.user + " " + url.password + " " +
           std::to_string(url.db);
}

std::string text_of(std::vector<std::string> const& items)
{
    std::string result;
    for (auto const& item : items)
        result += "[" + item + "]";
    return result;
}

// Every field, one per line, so that two configs compare with a readable diff.
std::string dump(config const& c)
{
    std::ostringstream out;
    out << "listen " << text_of(c.listen.clients) << " / " << text_of(c.listen.notify) << " / "
        << (c.listen.metrics ? text_of(*c.listen.metrics) : "-") << " " << c.listen.reuse_port
        << "\n"
        << "redis " << text_of(c.redis.url) << " " << c.redis.timeout.count() << "\n"
        << "auth " << c.auth.revalidate_interval.count() << " " << c.auth.revalidate_in_flight
        << "\n"
        << "session " << c.auth.session.cookie << " " << text_of(c.auth.session.secrets) << " "
        << c.auth.session.key_prefix << " " << c.auth.session.user_id_pointer << "\n"
        << "api_key " << c.auth.api_key.key_prefix << " " << c.auth.api_key.user_id_pointer << " "
        << c.auth.api_key.allow_query << " " << static_cast<int>(c.auth.api_key.hash) << "\n"
        << "events " << c.events.account << "\n"
        << "client " << c.client.path << " " << c.client.max_lifetime.count() << " "
        << c.client.retry.count() << " " << c.client.heartbeat.count() << " "
        << c.client.max_pending_bytes << " " << c.client.send_timeout.count() << " "
        << c.client.header_timeout.count() << " " << text_of(c.client.cors_origins) << "\n"
        << "limits " << c.limits.max_subscriptions << " " << c.limits.max_connections << " "
        << c.limits.max_connections_per_user << "\n"
        << "replay " << c.replay.capacity << " " << c.replay.max_age.count() << " "
        << c.replay.max_bytes << "\n"
        << "notify " << c.notify.token << " " << c.notify.max_body_bytes << " "
        << c.notify.idle_timeout.count() << "\n"
        << "log " << c.log.level << " " << static_cast<int>(c.log.format) << "\n"
        << "server " << c.server.shutdown_timeout.count() << "\n"
        << "cluster " << static_cast<int>(c.cluster.mode) << " " << c.cluster.stream << " "
        << c.cluster.max_len << " " << (c.cluster.url ? text_of(*c.cluster.url) : "-") << "\n";
    return out.str();
}

std::size_t count_values(toml::table const& table)
{
    std::size_t values = 0;
    for (auto const& [key, node] : table)
        values += node.is_table() ? count_values(*node.as_table()) : 1;
    return values;
}

std::filesystem::path shipped_config()
{
    return std::filesystem::path{SSE_SERVER_SOURCE_DIR} / "config" / "sse-server.toml";
}

TEST(config, empty_text_gives_the_spec_defaults)
{
    auto const c = parse_config("");
    EXPECT_EQ(text_of(c.listen.clients), "0.0.0.0 8080");
    EXPECT_EQ(text_of(c.listen.notify), "127.0.0.1 8081");
    EXPECT_FALSE(c.listen.reuse_port);
    EXPECT_TRUE(c.listen.trusted_proxies.empty());
    EXPECT_EQ(c.redis.url.host, "127.0.0.1");
    EXPECT_EQ(c.redis.url.port, 6379);
    EXPECT_EQ(c.redis.url.db, 0);
    EXPECT_EQ(c.redis.url.password, "");
    EXPECT_EQ(c.redis.timeout, 2s);
    EXPECT_EQ(c.auth.revalidate_interval, 60s);
    EXPECT_EQ(c.auth.revalidate_in_flight, 1000u);
    EXPECT_EQ(c.auth.session.cookie, "sid");
    EXPECT_TRUE(c.auth.session.secrets.empty());
    EXPECT_EQ(c.auth.session.key_prefix, "sess:");
    EXPECT_EQ(c.auth.session.user_id_pointer, "/userId");
    EXPECT_EQ(c.auth.api_key.key_prefix, "apikey:");
    EXPECT_EQ(c.auth.api_key.user_id_pointer, "/userId");
    EXPECT_FALSE(c.auth.api_key.allow_query);
    EXPECT_EQ(c.auth.api_key.hash, key_hash::none);
    EXPECT_EQ(c.events.account, "user");
    EXPECT_EQ(text_of(c.events.grants), "[*]") << "every name, as the seed";
    EXPECT_EQ(c.auth.session.grants_pointer, "");
    EXPECT_EQ(c.auth.session.groups_pointer, "");
    EXPECT_EQ(c.auth.api_key.grants_pointer, "");
    EXPECT_EQ(c.auth.api_key.groups_pointer, "");
    EXPECT_EQ(c.client.path, "/events");
    EXPECT_EQ(c.client.max_lifetime, 0ms);
    EXPECT_EQ(c.client.retry, 3s);
    EXPECT_EQ(c.client.heartbeat, 15s);
    EXPECT_EQ(c.client.max_pending_bytes, 1048576u);
    EXPECT_EQ(c.client.send_timeout, 30s);
    EXPECT_EQ(c.client.header_timeout, 10s);
    EXPECT_TRUE(c.client.cors_origins.empty());
    EXPECT_EQ(c.limits.max_subscriptions, 64u);
    EXPECT_EQ(c.limits.max_connections, 100000u);
    EXPECT_EQ(c.limits.max_connections_per_user, 32u);
    EXPECT_EQ(c.replay.capacity, 10000u);
    EXPECT_EQ(c.replay.max_age, 5min);
    EXPECT_EQ(c.replay.max_bytes, 67108864u);
    EXPECT_EQ(c.notify.token, "");
    EXPECT_EQ(c.notify.max_body_bytes, 1048576u);
    EXPECT_EQ(c.notify.max_connections, 256u);
    EXPECT_EQ(c.log.level, "info");
    EXPECT_EQ(c.log.format, log_format::text);
    EXPECT_TRUE(c.log.access);
    EXPECT_EQ(c.server.shutdown_timeout, 10s);
    EXPECT_EQ(c.server.ready_timeout, 30s);
    EXPECT_EQ(c.cluster.mode, cluster_mode::standalone);
    EXPECT_EQ(c.cluster.stream, "sse:events");
    EXPECT_EQ(c.cluster.max_len, 100000u);
    EXPECT_FALSE(c.cluster.url);
}

TEST(config, shipped_file_parses_to_the_defaults)
{
    EXPECT_EQ(dump(load_config(shipped_config())), dump(config{}));
}

TEST(config, rights_keys_are_read)
{
    auto const c = parse_config(R"(
        [auth.session]
        grants_pointer = "/sse/grants"
        groups_pointer = "/sse/groups"
        [auth.api_key]
        groups_pointer = "/teams"
        [events]
        grants = ["announcements", "team:{group}:*", "inbox:{user}"]
    )");
    EXPECT_EQ(c.auth.session.grants_pointer, "/sse/grants");
    EXPECT_EQ(c.auth.session.groups_pointer, "/sse/groups");
    EXPECT_EQ(c.auth.api_key.grants_pointer, "");
    EXPECT_EQ(c.auth.api_key.groups_pointer, "/teams");
    EXPECT_EQ(text_of(c.events.grants), "[announcements][team:{group}:*][inbox:{user}]");
    EXPECT_TRUE(parse_config("events.grants = []").events.grants.empty())
        << "none for everyone: only each user's own grants";
}

TEST(config, shipped_file_lists_every_key_and_nothing_else)
{
    auto const file = toml::parse_file(shipped_config().string());
    for (auto const key : documented_keys)
        EXPECT_TRUE(file.at_path(key)) << key;
    EXPECT_EQ(count_values(file), documented_keys.size());
}

TEST(config, every_key_is_known_and_checks_its_type)
{
    for (auto const key : documented_keys) {
        auto const message = refusal(std::string{key} + " = { wrong = 1 }");
        EXPECT_TRUE(names(message, std::string{key} + ": expected "));
        EXPECT_FALSE(names(message, "unknown"));
    }
}

TEST(config, unknown_key_is_refused_with_its_full_path)
{
    EXPECT_TRUE(names(refusal("[client]\nhartbeat = \"5s\"\n"), "client.hartbeat: unknown key"));
    EXPECT_TRUE(
        names(refusal("[auth.session]\ncokie = \"sid\"\n"), "auth.session.cokie: unknown key"));
    EXPECT_TRUE(names(refusal("debug = true\n"), "debug: unknown key"));
    EXPECT_TRUE(names(refusal("\"client.path\" = \"/x\"\n"), "\"client.path\": unknown key"));
}

TEST(config, unknown_section_is_refused_with_its_name)
{
    EXPECT_TRUE(names(refusal("[clients]\npath = \"/x\"\n"), "clients: unknown section"));
    EXPECT_TRUE(names(refusal("[auth.sessions]\n"), "auth.sessions: unknown section"));
}

TEST(config, a_section_written_as_a_value_is_refused)
{
    EXPECT_TRUE(names(refusal("client = 5\n"), "client: expected a section"));
    EXPECT_TRUE(names(refusal("[auth]\nsession = \"sid\"\n"), "auth.session: expected a section"));
}

TEST(config, wrong_type_names_the_key_and_the_expected_type)
{
    EXPECT_TRUE(names(refusal("[client]\nheartbeat = 15\n"),
                      R"(client.heartbeat: expected a duration like "15s", got 15)"));
    EXPECT_TRUE(names(refusal("[limits]\nmax_connections = \"100\"\n"),
                      "limits.max_connections: expected an integer, got \"100\""));
    EXPECT_TRUE(names(refusal("[limits]\nmax_connections = 1.5\n"),
                      "limits.max_connections: expected an integer"));
    EXPECT_TRUE(names(refusal("[auth.api_key]\nallow_query = \"yes\"\n"),
                      "auth.api_key.allow_query: expected a boolean"));
    EXPECT_TRUE(names(refusal("[listen]\nclients = 8080\n"), "listen.clients: expected a string"));
    EXPECT_TRUE(names(refusal("[client]\ncors_origins = \"https://a.example\"\n"),
                      "client.cors_origins: expected an array of strings"));
    EXPECT_TRUE(names(refusal("[client]\ncors_origins = [\"https://a.example\", 1]\n"),
                      "client.cors_origins: expected an array of strings"));
}

TEST(config, syntax_error_gives_line_and_column)
{
    auto const message = refusal("[client]\nheartbeat = \n");
    EXPECT_TRUE(names(message, "line 2, column"));
    EXPECT_TRUE(names(message, "invalid TOML"));
}

TEST(config, counts_below_their_minimum_are_refused)
{
    EXPECT_TRUE(names(refusal("[limits]\nmax_connections = 0\n"),
                      "limits.max_connections: must be at least 1"));
    EXPECT_TRUE(names(refusal("[limits]\nmax_subscriptions = 0\n"), "limits.max_subscriptions"));
    EXPECT_TRUE(names(refusal("[limits]\nmax_connections_per_user = 0\n"),
                      "limits.max_connections_per_user"));
    EXPECT_TRUE(names(refusal("[client]\nmax_pending_bytes = 1023\n"),
                      "client.max_pending_bytes: must be at least 1024"));
    EXPECT_TRUE(names(refusal("[notify]\nmax_body_bytes = 0\n"), "notify.max_body_bytes"));
    EXPECT_TRUE(names(refusal("[notify]\nmax_connections = 0\n"), "notify.max_connections"));
    EXPECT_TRUE(
        names(refusal("[replay]\ncapacity = -1\n"), "replay.capacity: must not be negative"));
    EXPECT_EQ(parse_config("[replay]\ncapacity = 0\n").replay.capacity, 0u);
    EXPECT_TRUE(
        names(refusal("[replay]\nmax_bytes = 0\n"), "replay.max_bytes: must be at least 1"));
    EXPECT_EQ(parse_config("[replay]\nmax_bytes = 1\n").replay.max_bytes, 1u);
    EXPECT_EQ(parse_config("[client]\nmax_pending_bytes = 1024\n").client.max_pending_bytes, 1024u);
    EXPECT_TRUE(names(refusal("[auth]\nrevalidate_in_flight = 0\n"),
                      "auth.revalidate_in_flight: must be at least 1"));
    EXPECT_EQ(parse_config("[auth]\nrevalidate_in_flight = 1\n").auth.revalidate_in_flight, 1u);
}

TEST(config, zero_durations_are_refused_where_zero_makes_no_sense)
{
    for (auto const key : {"client.heartbeat", "client.send_timeout", "client.header_timeout",
                           "redis.timeout", "server.shutdown_timeout", "replay.max_age"})
        EXPECT_TRUE(names(refusal(std::string{key} + " = \"0s\"\n"),
                          std::string{key} + ": must be greater than 0s"));
    EXPECT_EQ(parse_config("auth.revalidate_interval = \"0s\"").auth.revalidate_interval, 0ms);
    EXPECT_EQ(parse_config("client.retry = \"0ms\"").client.retry, 0ms);
}

TEST(config, malformed_duration_names_the_key_and_the_value)
{
    EXPECT_TRUE(
        names(refusal("client.heartbeat = \"15\""), "client.heartbeat: expected a duration"));
    EXPECT_TRUE(names(refusal("redis.timeout = \"1.5s\""), "\"1.5s\""));
}

TEST(config, a_duration_longer_than_365_days_names_the_key_and_the_bound)
{
    auto const message = refusal("client.header_timeout = \"3000000h\"");
    EXPECT_TRUE(names(message, "client.header_timeout: expected a duration"));
    EXPECT_TRUE(names(message, "at most 365 days"));
    EXPECT_TRUE(names(message, "\"3000000h\""));
    EXPECT_TRUE(names(refusal("", {{"SSE_SERVER_CLIENT_RETRY", "8761h"}}),
                      "client.retry (from SSE_SERVER_CLIENT_RETRY): expected a duration"));
    EXPECT_EQ(parse_config("client.retry = \"8760h\"").client.retry, 8760h);
}

TEST(config, text_values_outside_their_grammar_are_refused)
{
    EXPECT_TRUE(names(refusal("log.level = \"verbose\""), "log.level: expected one of"));
    EXPECT_TRUE(names(refusal("log.format = \"xml\""), "log.format"));
    EXPECT_TRUE(names(refusal("auth.api_key.hash = \"md5\""), "auth.api_key.hash"));
    EXPECT_TRUE(names(refusal("events.account = \"my account\""), "events.account"));
    EXPECT_TRUE(
        names(refusal("events.account = \"" + std::string(129, 'a') + "\""), "events.account"));
    EXPECT_TRUE(names(refusal("client.path = \"events\""), "client.path"));
    EXPECT_TRUE(names(refusal("client.path = \"/events?x=1\""), "client.path"));
    EXPECT_TRUE(names(refusal("auth.session.cookie = \"\""), "auth.session.cookie"));
    EXPECT_TRUE(names(refusal("auth.session.cookie = \"a;b\""), "auth.session.cookie"));
    EXPECT_TRUE(names(refusal("auth.session.user_id_pointer = \"userId\""),
                      "auth.session.user_id_pointer"));
    EXPECT_TRUE(
        names(refusal("auth.api_key.user_id_pointer = \"/a~2\""), "auth.api_key.user_id_pointer"));
    EXPECT_TRUE(names(refusal("client.cors_origins = [\"https://a.example/\"]"),
                      "client.cors_origins: item 0"));
    EXPECT_TRUE(names(refusal("client.cors_origins = [\"https://a.example\", \"\"]"),
                      "client.cors_origins: item 1"));
    EXPECT_TRUE(names(refusal("client.cors_origins = [\"null\"]"), "client.cors_origins"));
    EXPECT_TRUE(names(refusal("events.grants = [\"orders:*\", \"or*ders\"]"),
                      "events.grants: item 1"));
    EXPECT_TRUE(names(refusal("events.grants = [\"t:{group}:{group}\"]"), "events.grants"));
    EXPECT_TRUE(names(refusal("auth.session.groups_pointer = \"groups\""),
                      "auth.session.groups_pointer"));
    EXPECT_TRUE(names(refusal("auth.session.secrets = [\"\"]"), "auth.session.secrets: item 0"));
    EXPECT_TRUE(names(refusal("listen.clients = \"0.0.0.0\""), "listen.clients"));
    EXPECT_TRUE(names(refusal("redis.url = \"http://127.0.0.1\""), "redis.url"));
}

TEST(config, text_values_inside_their_grammar_are_kept)
{
    auto const c = parse_config(R"(
        [auth.session]
        cookie = "connect.sid"
        secrets = ["new", "old"]
        key_prefix = ""
        user_id_pointer = "/passport/user"
        [auth.api_key]
        user_id_pointer = ""
        hash = "sha256"
        [events]
        account = "acct:user.v1"
        [client]
        cors_origins = ["https://app.example.com", "http://localhost:3000"]
        [log]
        level = "debug"
        format = "json"
    )");
    EXPECT_EQ(c.auth.session.cookie, "connect.sid");
    EXPECT_EQ(text_of(c.auth.session.secrets), "[new][old]");
    EXPECT_EQ(c.auth.session.key_prefix, "");
    EXPECT_EQ(c.auth.session.user_id_pointer, "/passport/user");
    EXPECT_EQ(c.auth.api_key.user_id_pointer, "");
    EXPECT_EQ(c.auth.api_key.hash, key_hash::sha256);
    EXPECT_EQ(c.events.account, "acct:user.v1");
    EXPECT_EQ(text_of(c.client.cors_origins), "[https://app.example.com][http://localhost:3000]");
    EXPECT_EQ(c.log.level, "debug");
    EXPECT_EQ(c.log.format, log_format::json);
}

TEST(config, log_format_journal_is_accepted)
{
    EXPECT_EQ(parse_config("[log]\nformat = \"journal\"\n").log.format, log_format::journal);
    EXPECT_EQ(parse_config("", [](std::string const& name) -> std::optional<std::string> {
                  if (name == "SSE_SERVER_LOG_FORMAT")
                      return "journal";
                  return std::nullopt;
              }).log.format,
              log_format::journal);
}

TEST(config, bad_redis_url_is_refused_without_echoing_the_password)
{
    auto const message = refusal("redis.url = \"redis://:hunter2@host:99999/0\"");
    EXPECT_TRUE(names(message, "redis.url"));
    EXPECT_FALSE(names(message, "hunter2"));
}

TEST(config, notify_on_a_public_address_without_token_is_refused)
{
    EXPECT_TRUE(names(refusal("listen.notify = \"0.0.0.0:8081\""), "notify.token: must be set"));
    EXPECT_TRUE(names(refusal("listen.notify = \"[::]:8081\""), "notify.token"));
    EXPECT_TRUE(names(refusal("listen.notify = \"10.0.0.5:8081\""), "notify.token"));
    EXPECT_TRUE(names(refusal("", {{"SSE_SERVER_LISTEN_NOTIFY", "0.0.0.0:8081"}}), "notify.token"));
}

TEST(config, notify_on_a_public_address_with_token_is_accepted)
{
    auto const c = parse_config("listen.notify = \"0.0.0.0:8081\"\nnotify.token = \"s3cret\"");
    EXPECT_EQ(text_of(c.listen.notify), "0.0.0.0 8081");
    EXPECT_EQ(c.notify.token, "s3cret");
}

TEST(config, notify_on_loopback_needs_no_token)
{
    for (auto const address : {"127.0.0.1:0", "127.0.0.2:8081", "[::1]:8081", "localhost:8081"})
        EXPECT_NO_THROW(parse_config("listen.notify = \"" + std::string{address} + "\""))
            << address;
}

TEST(config, token_with_spaces_is_refused_without_echoing_it)
{
    auto const message = refusal("notify.token = \"my token\"");
    EXPECT_TRUE(names(message, "notify.token"));
    EXPECT_FALSE(names(message, "my token"));
}

TEST(config, cluster_keys_are_read_from_the_file)
{
    auto const c = parse_config(R"(
        [cluster]
        mode = "redis"
        stream = "app:sse events"
        max_len = 500
        redis_url = "redis://:pw@bus.internal:6380/3"
    )");
    EXPECT_EQ(c.cluster.mode, cluster_mode::redis);
    EXPECT_EQ(c.cluster.stream, "app:sse events");
    EXPECT_EQ(c.cluster.max_len, 500u);
    ASSERT_TRUE(c.cluster.url);
    EXPECT_EQ(text_of(*c.cluster.url), "bus.internal 6380  pw 3");
    EXPECT_EQ(parse_config("cluster.mode = \"standalone\"").cluster.mode, cluster_mode::standalone);
}

TEST(config, the_bus_uses_redis_url_unless_cluster_redis_url_is_set)
{
    auto const shared = parse_config("redis.url = \"redis://:pw@cache:6390/2\"\n"
                                     "redis.timeout = \"500ms\"\n"
                                     "cluster.redis_url = \"\"\n");
    EXPECT_EQ(text_of(bus_redis_config(shared).url), "cache 6390  pw 2");
    EXPECT_EQ(bus_redis_config(shared).timeout, 500ms);

    auto const own = parse_config("redis.url = \"redis://:pw@cache:6390/2\"\n"
                                  "redis.timeout = \"500ms\"\n"
                                  "cluster.redis_url = \"redis://bus\"\n");
    EXPECT_EQ(text_of(bus_redis_config(own).url), "bus 6379   0");
    EXPECT_EQ(bus_redis_config(own).timeout, 500ms);
    EXPECT_EQ(text_of(own.redis.url), "cache 6390  pw 2") << "sessions stay on redis.url";
}

TEST(config, bad_cluster_values_are_refused_with_the_key_named)
{
    EXPECT_TRUE(names(refusal("cluster.mode = \"raft\""),
                      R"(cluster.mode: expected one of "standalone", "redis", got "raft")"));
    EXPECT_TRUE(names(refusal("cluster.stream = \"\""), "cluster.stream: must not be empty"));
    EXPECT_TRUE(names(refusal("cluster.stream = \"sse:events\\n\""),
                      "cluster.stream: must not contain control characters"));
    EXPECT_TRUE(names(refusal("cluster.stream = \"sse\\u007fevents\""), "cluster.stream"));
    EXPECT_TRUE(names(refusal("cluster.max_len = 0"), "cluster.max_len: must be at least 1"));
    EXPECT_TRUE(
        names(refusal("cluster.max_len = \"1000\""), "cluster.max_len: expected an integer"));
    EXPECT_TRUE(names(refusal("cluster.redis_url = \"http://bus:6379\""), "cluster.redis_url"));
    auto const hidden = refusal("cluster.redis_url = \"redis://:hunter2@bus:99999/0\"");
    EXPECT_TRUE(names(hidden, "cluster.redis_url: expected redis://"));
    EXPECT_FALSE(names(hidden, "hunter2"));
    EXPECT_TRUE(names(refusal("[cluster]\nmax_length = 10\n"), "cluster.max_length: unknown key"));
}

TEST(config, max_lifetime_is_a_duration_where_zero_means_off)
{
    EXPECT_EQ(parse_config("client.max_lifetime = \"1h\"").client.max_lifetime, 1h);
    EXPECT_EQ(parse_config("client.max_lifetime = \"300ms\"").client.max_lifetime, 300ms);
    EXPECT_EQ(parse_config("client.max_lifetime = \"0s\"").client.max_lifetime, 0ms);
    EXPECT_TRUE(names(refusal("client.max_lifetime = 3600"),
                      R"(client.max_lifetime: expected a duration like "15s", got 3600)"));
    auto const too_long = refusal("client.max_lifetime = \"8761h\"");
    EXPECT_TRUE(names(too_long, "client.max_lifetime: expected a duration"));
    EXPECT_TRUE(names(too_long, "at most 365 days"));
}

TEST(config, reuse_port_is_a_boolean_off_by_default)
{
    EXPECT_TRUE(parse_config("listen.reuse_port = true").listen.reuse_port);
    EXPECT_FALSE(parse_config("listen.reuse_port = false").listen.reuse_port);
    EXPECT_TRUE(names(refusal("listen.reuse_port = \"true\""),
                      "listen.reuse_port: expected a boolean (true or false)"));
}

TEST(config, trusted_proxies_are_addresses_or_cidr_networks_of_either_family)
{
    auto const c = parse_config(
        R"([listen]
trusted_proxies = ["10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "::1"]
)");
    ASSERT_EQ(c.listen.trusted_proxies.size(), 4u);
    EXPECT_EQ(to_string(c.listen.trusted_proxies[0]), "10.0.0.0/8");
    EXPECT_EQ(to_string(c.listen.trusted_proxies[1]), "192.168.1.7/32");
    EXPECT_EQ(to_string(c.listen.trusted_proxies[2]), "2001:db8::/32");
    EXPECT_EQ(to_string(c.listen.trusted_proxies[3]), "::1/128");
    EXPECT_EQ(parse_config("", env_of({{"SSE_SERVER_LISTEN_TRUSTED_PROXIES", R"(["127.0.0.1"])"}}))
                  .listen.trusted_proxies.size(),
              1u);
}

TEST(config, a_bad_trusted_proxy_is_refused_naming_the_key_and_the_item)
{
    auto const message = refusal(R"(listen.trusted_proxies = ["10.0.0.0/8", "10.0.0.1/8"])");
    EXPECT_TRUE(names(message, "listen.trusted_proxies: item 1: expected an address or a network"))
        << message;
    EXPECT_TRUE(names(message, "\"10.0.0.1/8\"")) << message;
    for (auto const* bad : {"10.0.0.0/33", "example.com", "", "10.0.0.0/8 ", "[::1]"})
        EXPECT_TRUE(names(refusal(std::string(R"(listen.trusted_proxies = [")") + bad + "\"]"),
                          "listen.trusted_proxies: item 0"))
            << bad;
    EXPECT_TRUE(names(refusal("listen.trusted_proxies = \"10.0.0.0/8\""),
                      "listen.trusted_proxies: expected an array of strings"));
}

TEST(config, access_log_and_ready_timeout_are_read)
{
    auto const c = parse_config("log.access = false\nserver.ready_timeout = \"0s\"\n");
    EXPECT_FALSE(c.log.access);
    EXPECT_EQ(c.server.ready_timeout, 0ms);
    EXPECT_TRUE(names(refusal("log.access = \"no\""), "log.access: expected a boolean"));
    EXPECT_TRUE(names(refusal("server.ready_timeout = 30"),
                      "server.ready_timeout: expected a duration"));
}

TEST(config, env_overrides_the_cluster_keys_reuse_port_and_max_lifetime)
{
    auto const c = parse_config("cluster.stream = \"from:file\"\n",
                                env_of({
                                    {"SSE_SERVER_CLUSTER_MODE", "redis"},
                                    {"SSE_SERVER_CLUSTER_STREAM", "from:env"},
                                    {"SSE_SERVER_CLUSTER_MAX_LEN", "2000"},
                                    {"SSE_SERVER_CLUSTER_REDIS_URL", "redis://bus:6381/1"},
                                    {"SSE_SERVER_LISTEN_REUSE_PORT", "true"},
                                    {"SSE_SERVER_CLIENT_MAX_LIFETIME", "1h"},
                                }));
    EXPECT_EQ(c.cluster.mode, cluster_mode::redis);
    EXPECT_EQ(c.cluster.stream, "from:env");
    EXPECT_EQ(c.cluster.max_len, 2000u);
    EXPECT_EQ(text_of(bus_redis_config(c).url), "bus 6381   1");
    EXPECT_TRUE(c.listen.reuse_port);
    EXPECT_EQ(c.client.max_lifetime, 1h);

    // An empty variable sets the empty value: the bus goes back to redis.url.
    auto const shared = parse_config("cluster.redis_url = \"redis://bus\"\n",
                                     env_of({{"SSE_SERVER_CLUSTER_REDIS_URL", ""}}));
    EXPECT_FALSE(shared.cluster.url);
    EXPECT_TRUE(names(refusal("", {{"SSE_SERVER_CLUSTER_MODE", "Redis"}}),
                      "cluster.mode (from SSE_SERVER_CLUSTER_MODE): expected one of"));
    EXPECT_TRUE(names(refusal("", {{"SSE_SERVER_CLUSTER_MAX_LEN", "0"}}),
                      "SSE_SERVER_CLUSTER_MAX_LEN): must be at least 1"));
}

TEST(config, env_overrides_a_string_an_integer_a_duration_a_boolean_and_arrays)
{
    auto const c =
        parse_config("", env_of({
                             {"SSE_SERVER_AUTH_SESSION_COOKIE", "connect.sid"},
                             {"SSE_SERVER_AUTH_API_KEY_KEY_PREFIX", "keys:"},
                             {"SSE_SERVER_LIMITS_MAX_CONNECTIONS", "500"},
                             {"SSE_SERVER_CLIENT_HEARTBEAT", "5s"},
                             {"SSE_SERVER_AUTH_API_KEY_ALLOW_QUERY", "true"},
                             {"SSE_SERVER_CLIENT_CORS_ORIGINS", R"(["https://a.example"])"},
                             {"SSE_SERVER_AUTH_SESSION_SECRETS", R"([ "k1", "k2" ])"},
                             {"SSE_SERVER_REDIS_URL", "redis://:pw@redis:6380/2"},
                             {"SSE_SERVER_LOG_FORMAT", "json"},
                             {"SSE_SERVER_REPLAY_MAX_BYTES", "1048576"},
                         }));
    EXPECT_EQ(c.auth.session.cookie, "connect.sid");
    EXPECT_EQ(c.auth.api_key.key_prefix, "keys:");
    EXPECT_EQ(c.limits.max_connections, 500u);
    EXPECT_EQ(c.client.heartbeat, 5s);
    EXPECT_TRUE(c.auth.api_key.allow_query);
    EXPECT_EQ(text_of(c.client.cors_origins), "[https://a.example]");
    EXPECT_EQ(text_of(c.auth.session.secrets), "[k1][k2]");
    EXPECT_EQ(c.redis.url.host, "redis");
    EXPECT_EQ(c.redis.url.password, "pw");
    EXPECT_EQ(c.log.format, log_format::json);
    EXPECT_EQ(c.replay.max_bytes, 1048576u);
}

TEST(config, env_wins_over_the_file)
{
    auto const text = "[client]\nheartbeat = \"20s\"\nretry = \"1s\"\n[notify]\ntoken = \"file\"\n";
    auto const c = parse_config(
        text, env_of({{"SSE_SERVER_CLIENT_HEARTBEAT", "5s"}, {"SSE_SERVER_NOTIFY_TOKEN", ""}}));
    EXPECT_EQ(c.client.heartbeat, 5s);
    EXPECT_EQ(c.notify.token, "");
    EXPECT_EQ(c.client.retry, 1s); // not overridden: the file's value stays
}

TEST(config, bad_env_value_names_the_variable_and_the_key)
{
    auto const integer = refusal("", {{"SSE_SERVER_LIMITS_MAX_CONNECTIONS", "12x"}});
    EXPECT_TRUE(names(integer, "limits.max_connections"));
    EXPECT_TRUE(names(integer, "SSE_SERVER_LIMITS_MAX_CONNECTIONS"));
    EXPECT_TRUE(names(refusal("", {{"SSE_SERVER_LIMITS_MAX_CONNECTIONS", "-3"}}),
                      "SSE_SERVER_LIMITS_MAX_CONNECTIONS): must not be negative"));
    EXPECT_TRUE(names(refusal("", {{"SSE_SERVER_LIMITS_MAX_CONNECTIONS", ""}}),
                      "SSE_SERVER_LIMITS_MAX_CONNECTIONS"));
    EXPECT_TRUE(names(refusal("", {{"SSE_SERVER_AUTH_API_KEY_ALLOW_QUERY", "yes"}}),
                      "SSE_SERVER_AUTH_API_KEY_ALLOW_QUERY"));
    EXPECT_TRUE(
        names(refusal("", {{"SSE_SERVER_CLIENT_HEARTBEAT", "5"}}), "SSE_SERVER_CLIENT_HEARTBEAT"));
    EXPECT_TRUE(names(refusal("", {{"SSE_SERVER_CLIENT_CORS_ORIGINS", "https://a.example"}}),
                      "SSE_SERVER_CLIENT_CORS_ORIGINS"));
    EXPECT_TRUE(
        names(refusal("", {{"SSE_SERVER_CLIENT_CORS_ORIGINS", "[\"https://a.example\"]\nx = 1"}}),
              "SSE_SERVER_CLIENT_CORS_ORIGINS"));
    EXPECT_TRUE(names(refusal("", {{"SSE_SERVER_CLIENT_CORS_ORIGINS", "[1]"}}),
                      "SSE_SERVER_CLIENT_CORS_ORIGINS"));
    auto const secrets = refusal("", {{"SSE_SERVER_AUTH_SESSION_SECRETS", "[\"k1\""}});
    EXPECT_TRUE(names(secrets, "SSE_SERVER_AUTH_SESSION_SECRETS"));
    EXPECT_FALSE(names(secrets, "k1"));
}

TEST(config, process_environment_reads_the_real_environment)
{
    ASSERT_EQ(setenv("SSE_SERVER_CONFIG_TEST_PROBE", "here", 1), 0);
    auto const env = process_environment();
    EXPECT_EQ(env("SSE_SERVER_CONFIG_TEST_PROBE"), "here");
    ASSERT_EQ(unsetenv("SSE_SERVER_CONFIG_TEST_PROBE"), 0);
    EXPECT_EQ(env("SSE_SERVER_CONFIG_TEST_PROBE"), std::nullopt);
}

TEST(config, missing_file_is_refused_with_its_path)
{
    auto const path = std::filesystem::path{::testing::TempDir()} / "no-such-sse-server.toml";
    try {
        load_config(path);
        ADD_FAILURE() << "loaded a missing file";
    } catch (config_error const& error) {
        EXPECT_TRUE(names(error.what(), path.string()));
    }
}

TEST(config, file_syntax_error_names_the_file_and_the_line)
{
    auto const path = std::filesystem::path{::testing::TempDir()} / "sse-server-broken.toml";
    std::ofstream{path} << "[client]\npath = \"/events\"\nheartbeat = \"5s\n";
    try {
        load_config(path);
        ADD_FAILURE() << "loaded a broken file";
    } catch (config_error const& error) {
        EXPECT_TRUE(names(error.what(), path.string()));
        EXPECT_TRUE(names(error.what(), "line 3"));
    }
    std::filesystem::remove(path);
}

TEST(duration, units_ms_s_m_h_are_parsed)
{
    EXPECT_EQ(parse_duration("250ms"), 250ms);
    EXPECT_EQ(parse_duration("15s"), 15s);
    EXPECT_EQ(parse_duration("5m"), 5min);
    EXPECT_EQ(parse_duration("1h"), 1h);
    EXPECT_EQ(parse_duration("0s"), 0ms);
    EXPECT_EQ(parse_duration("007s"), 7s);
}

TEST(duration, up_to_365_days_in_any_unit_is_accepted)
{
    for (auto const text : {"8760h", "525600m", "31536000s", "31536000000ms"})
        EXPECT_EQ(parse_duration(text), milliseconds{31536000000}) << text;
}

TEST(duration, anything_longer_than_365_days_is_refused)
{
    for (auto const text : {"31536000001ms", "31536001s", "525601m", "8761h", "3000000h",
                            "9223372036854775807ms", "9223372036854775807h"})
        EXPECT_EQ(parse_duration(text), std::nullopt) << text;
}

TEST(duration, malformed_forms_are_refused)
{
    for (auto const text : {"", "15", "s", "-5s", "+5s", "1.5s", "5 s", " 5s", "5s ", "5S", "5sec",
                            "1h30m", "5d", "99999999999999999999ms"})
        EXPECT_EQ(parse_duration(text), std::nullopt) << text;
}

TEST(host_port, ipv4_names_and_bracketed_ipv6_are_parsed)
{
    EXPECT_EQ(text_of(parse_host_port("0.0.0.0:8080").value()), "0.0.0.0 8080");
    EXPECT_EQ(text_of(parse_host_port("127.0.0.1:0").value()), "127.0.0.1 0");
    EXPECT_EQ(text_of(parse_host_port("[::1]:8081").value()), "::1 8081");
    EXPECT_EQ(text_of(parse_host_port("[::]:65535").value()), ":: 65535");
    EXPECT_EQ(text_of(parse_host_port("localhost:8081").value()), "localhost 8081");
    EXPECT_EQ(text_of(parse_host_port("sse-1.internal:80").value()), "sse-1.internal 80");
}

TEST(host_port, malformed_forms_are_refused)
{
    for (auto const text :
         {"", "localhost", "localhost:", ":8080", "host:65536", "host:99999999", "host:-1",
          "host:80x", "::1:8080", "[::1]", "[]:80", "[::1:80", "a b:80", "[127.0.0.1]:80"})
        EXPECT_EQ(parse_host_port(text).has_value(), false) << text;
}

TEST(redis_url, full_and_short_forms_are_parsed)
{
    auto const full = parse_redis_url("redis://app:p@ss:word@redis.internal:6380/3").value();
    EXPECT_EQ(full.user, "app");
    EXPECT_EQ(full.password, "p@ss:word");
    EXPECT_EQ(full.host, "redis.internal");
    EXPECT_EQ(full.port, 6380);
    EXPECT_EQ(full.db, 3);

    auto const short_form = parse_redis_url("redis://localhost").value();
    EXPECT_EQ(short_form.host, "localhost");
    EXPECT_EQ(short_form.port, 6379);
    EXPECT_EQ(short_form.db, 0);
    EXPECT_EQ(short_form.user, "");
    EXPECT_EQ(short_form.password, "");

    auto const password_only = parse_redis_url("redis://:secret@127.0.0.1/15").value();
    EXPECT_EQ(password_only.user, "");
    EXPECT_EQ(password_only.password, "secret");
    EXPECT_EQ(password_only.db, 15);

    auto const v6 = parse_redis_url("redis://[::1]:7000/").value();
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, 7000);
    EXPECT_EQ(v6.db, 0);
}

TEST(redis_url, malformed_forms_are_refused)
{
    for (auto const text :
         {"", "http://localhost", "redis://", "redis:///0",
          "redis://host:99999", "redis://host:0", "redis://host:port", "redis://host/x",
          "redis://host/-1", "redis://secret@host", "redis://:pw@/0", "redis://host/0?timeout=1"})
        EXPECT_EQ(parse_redis_url(text).has_value(), false) << text;
}

TEST(loopback, loopback_addresses_and_localhost_are_recognised)
{
    for (auto const host : {"127.0.0.1", "127.255.1.2", "::1", "0:0:0:0:0:0:0:1", "[::1]",
                            "::ffff:127.0.0.1", "localhost", "LocalHost"})
        EXPECT_TRUE(is_loopback_host(host)) << host;
}

TEST(loopback, wildcard_and_public_addresses_are_not_loopback)
{
    for (auto const host : {"0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "::2", "example.com",
                            "127.0.0", "127.0.0.1.example.com", "localhost.example.com", ""})
        EXPECT_FALSE(is_loopback_host(host)) << host;
}

} // namespace
} // namespace sse_server
