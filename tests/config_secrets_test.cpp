// Secrets in the configuration: kept in files of their own, never repeated in a message or a
// report; misspelt variables refused; the effective configuration as --check-config prints it.
#include "sse_server/config/config.hpp"
#include "sse_server/config/config_keys.hpp"
#include "sse_server/config/config_report.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <unistd.h>

namespace sse_server {
namespace {

env_lookup variables(std::map<std::string, std::string> values)
{
    return [values = std::move(values)](std::string const& name) -> std::optional<std::string> {
        auto const it = values.find(name);
        return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
}

// The message of the config_error that `text` (and `env`) cause; "<accepted>" when none.
std::string refusal(std::string_view text, env_lookup const& env = {})
{
    try {
        parse_config(text, env);
    } catch (config_error const& error) {
        return error.what();
    }
    return "<accepted>";
}

/** A file holding `text`, removed with the object. */
class secret_file
{
public:
    explicit secret_file(std::string const& text)
        : path_(std::filesystem::temp_directory_path() /
                ("sse-secret-" + std::to_string(::getpid()) + "-" + std::to_string(++count_)))
    {
        std::ofstream(path_, std::ios::binary) << text;
    }
    ~secret_file() { std::filesystem::remove(path_); }
    secret_file(secret_file const&) = delete;
    secret_file& operator=(secret_file const&) = delete;
    std::string path() const { return path_.string(); }

private:
    static inline int count_ = 0;
    std::filesystem::path path_;
};

TEST(config_secrets, a_secret_of_the_wrong_type_is_refused_without_its_value)
{
    for (auto const& [text, key] : std::vector<std::pair<std::string, std::string>>{
             {"[notify]\ntoken = 1234567\n", "notify.token"},
             {"[auth.session]\nsecrets = \"hunter2hunter2\"\n", "auth.session.secrets"},
             {"[auth.session]\nsecrets = [\"hunter2hunter2\", 1234567]\n", "auth.session.secrets"},
             {"[redis]\nurl = 1234567\n", "redis.url"},
         }) {
        auto const message = refusal(text);
        EXPECT_NE(message.find(key), std::string::npos) << message;
        EXPECT_EQ(message.find("1234567"), std::string::npos) << message;
        EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
    }
    auto const from_env =
        refusal("", variables({{"SSE_SERVER_AUTH_SESSION_SECRETS", "[1234567]"}}));
    EXPECT_NE(from_env.find("SSE_SERVER_AUTH_SESSION_SECRETS"), std::string::npos) << from_env;
    EXPECT_EQ(from_env.find("1234567"), std::string::npos) << from_env;
}

TEST(config_secrets, the_token_can_come_from_a_file_with_its_line_end)
{
    secret_file token("s3cret-token\n");
    auto const cfg = parse_config("[notify]\ntoken_file = \"" + token.path() + "\"\n");
    EXPECT_EQ(cfg.notify.token, "s3cret-token");
    // A file token counts as a token: the notification port may then leave loopback.
    EXPECT_EQ(refusal("[listen]\nnotify = \"0.0.0.0:8081\"\n[notify]\ntoken_file = \"" +
                      token.path() + "\"\n"),
              "<accepted>");
    auto const env = parse_config("", variables({{"SSE_SERVER_NOTIFY_TOKEN_FILE", token.path()}}));
    EXPECT_EQ(env.notify.token, "s3cret-token");
}

TEST(config_secrets, a_bad_token_file_is_refused_naming_the_key_and_path_not_the_contents)
{
    secret_file spaced("two words\n");
    secret_file two_lines("first\nsecond\n");
    secret_file token("s3cret-token");
    for (auto const& [text, expected] : std::vector<std::pair<std::string, std::string>>{
             {"[notify]\ntoken_file = \"" + spaced.path() + "\"\n", "visible ASCII"},
             {"[notify]\ntoken_file = \"" + two_lines.path() + "\"\n", "one line"},
             {"[notify]\ntoken_file = \"/nonexistent/token\"\n", "No such file"},
             {"[notify]\ntoken = \"abc\"\ntoken_file = \"" + token.path() + "\"\n", "not both"},
         }) {
        auto const message = refusal(text);
        EXPECT_NE(message.find("notify.token_file"), std::string::npos) << message;
        EXPECT_NE(message.find(expected), std::string::npos) << message;
        EXPECT_EQ(message.find("two words"), std::string::npos) << message;
        EXPECT_EQ(message.find("second"), std::string::npos) << message;
    }
    secret_file large(std::string(64 * 1024 + 1, 'x'));
    EXPECT_NE(refusal("[notify]\ntoken_file = \"" + large.path() + "\"\n")
                  .find("larger than 64 KiB"),
              std::string::npos)
        << "a file too large for a secret is refused, not read into memory";
}

TEST(config_secrets, session_secrets_come_one_per_line_from_their_file)
{
    secret_file secrets("newest\r\n\nolder\n");
    auto const cfg =
        parse_config("[auth.session]\nsecrets_file = \"" + secrets.path() + "\"\n");
    EXPECT_EQ(cfg.auth.session.secrets, (std::vector<std::string>{"newest", "older"}));
    secret_file empty("\n\n");
    auto const message =
        refusal("[auth.session]\nsecrets_file = \"" + empty.path() + "\"\n");
    EXPECT_NE(message.find("auth.session.secrets_file"), std::string::npos) << message;
    EXPECT_NE(message.find("no secret"), std::string::npos) << message;
}

TEST(config_secrets, the_redis_password_can_come_from_a_file)
{
    secret_file password("pa55word\n");
    auto const cfg = parse_config("[redis]\nurl = \"redis://10.0.0.5:6380/2\"\npassword_file = \"" +
                                  password.path() + "\"\n");
    EXPECT_EQ(cfg.redis.url.password, "pa55word");
    EXPECT_EQ(cfg.redis.url.host, "10.0.0.5");
    auto const both = refusal("[redis]\nurl = \"redis://:other@10.0.0.5/0\"\npassword_file = \"" +
                              password.path() + "\"\n");
    EXPECT_NE(both.find("not both"), std::string::npos) << both;
    EXPECT_EQ(both.find("other"), std::string::npos) << both;
}

TEST(config_secrets, a_password_file_of_two_lines_is_refused_without_showing_either)
{
    secret_file two_lines("pa55word\nsecond-pa55\n");
    auto const message = refusal("[redis]\npassword_file = \"" + two_lines.path() + "\"\n");
    EXPECT_NE(message.find("redis.password_file"), std::string::npos) << message;
    EXPECT_NE(message.find("one line"), std::string::npos) << message;
    EXPECT_EQ(message.find("pa55"), std::string::npos) << message;
}

TEST(config_secrets, a_secret_file_that_is_not_a_regular_file_is_refused_naming_the_key)
{
    // A device, a directory: reading one could block the loop at a reload (a FIFO, a terminal)
    // or never end (/dev/zero). A FIFO is the daemon's test (secret_files_test), since the
    // loader would wait for a writer before the fix.
    auto const directory = std::filesystem::temp_directory_path().string();
    for (auto const& section : {std::pair{"[notify]", "token_file"},
                                std::pair{"[auth.session]", "secrets_file"},
                                std::pair{"[redis]", "password_file"}}) {
        for (auto const& path : {directory, std::string("/dev/zero"), std::string("/dev/null")}) {
            auto const message = refusal(std::string(section.first) + "\n" + section.second +
                                         " = \"" + path + "\"\n");
            EXPECT_NE(message.find(section.second), std::string::npos) << message;
            EXPECT_NE(message.find("not a regular file"), std::string::npos) << message;
            EXPECT_NE(message.find(path), std::string::npos) << message;
        }
    }
}

TEST(config_secrets, a_secret_file_others_may_read_is_loaded_with_a_warning)
{
    secret_file token("s3cret-token\n");
    auto const load = [&](std::filesystem::perms mode) {
        std::filesystem::permissions(token.path(), mode);
        return parse_config("[notify]\ntoken_file = \"" + token.path() + "\"\n");
    };
    using std::filesystem::perms;
    for (auto const mode : {perms::owner_read | perms::group_read,
                            perms::owner_read | perms::owner_write | perms::others_read}) {
        auto const cfg = load(mode);
        EXPECT_EQ(cfg.notify.token, "s3cret-token");
        ASSERT_EQ(cfg.warnings.size(), 1u);
        EXPECT_NE(cfg.warnings[0].find("notify.token_file"), std::string::npos) << cfg.warnings[0];
        EXPECT_NE(cfg.warnings[0].find(token.path()), std::string::npos) << cfg.warnings[0];
        EXPECT_NE(cfg.warnings[0].find("other users"), std::string::npos) << cfg.warnings[0];
        EXPECT_EQ(cfg.warnings[0].find("s3cret"), std::string::npos) << cfg.warnings[0];
    }
    EXPECT_TRUE(load(perms::owner_read | perms::owner_write).warnings.empty());
    EXPECT_TRUE(load(perms::owner_read).warnings.empty());
}

TEST(config_secrets, a_misspelt_variable_is_refused_by_name)
{
    EXPECT_NO_THROW(refuse_unknown_variables({"SSE_SERVER_NOTIFY_TOKEN", "SSE_SERVER_LOG_LEVEL",
                                              "SSE_SERVER_AUTH_API_KEY_ALLOW_QUERY"}));
    try {
        refuse_unknown_variables({"SSE_SERVER_LOG_LEVEL", "SSE_SERVER_NOTIFY_TOKN"});
        FAIL() << "a misspelt variable was accepted";
    } catch (config_error const& error) {
        EXPECT_NE(std::string(error.what()).find("SSE_SERVER_NOTIFY_TOKN"), std::string::npos)
            << error.what();
    }
}

TEST(config_report, lists_every_key_the_loader_knows_in_the_same_order)
{
    auto const settings = effective_settings(config{}, true);
    auto const keys = known_keys();
    ASSERT_EQ(settings.size(), keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i)
        EXPECT_EQ(settings[i].path, keys[i].path);
}

TEST(config_report, the_printed_configuration_reads_back_as_the_same_configuration)
{
    auto const cfg = parse_config(R"(
[listen]
metrics = "127.0.0.1:9101"
trusted_proxies = ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"]
[client]
heartbeat = "90s"
retry = "1500ms"
max_lifetime = "1h"
cors_origins = ["https://a.example", "http://localhost:3000"]
[log]
format = "journal"
[cluster]
mode = "redis"
)");
    auto const text = effective_config_text(cfg);
    EXPECT_NE(text.find("[client]\n"), std::string::npos) << text;
    EXPECT_NE(text.find("heartbeat = \"90s\"\n"), std::string::npos) << text;
    EXPECT_NE(text.find("max_lifetime = \"1h\"\n"), std::string::npos) << text;
    EXPECT_NE(text.find(R"(trusted_proxies = ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"])"),
              std::string::npos)
        << text;
    EXPECT_TRUE(changed_keys(cfg, parse_config(text)).empty()) << text;
}

TEST(config_report, redacts_every_secret_and_says_which_changed)
{
    secret_file token("file-token\n");
    auto const cfg = parse_config(
        "[redis]\nurl = \"redis://app:pa55word@10.0.0.5:6379/0\"\n[auth.session]\n"
        "secrets = [\"hmac-one\", \"hmac-two\"]\n[notify]\ntoken_file = \"" +
        token.path() + "\"\n[cluster]\nredis_url = \"redis://:buspass@10.0.0.6/1\"\n");
    auto const text = effective_config_text(cfg);
    for (auto const* secret : {"pa55word", "hmac-one", "hmac-two", "file-token", "buspass"})
        EXPECT_EQ(text.find(secret), std::string::npos) << secret << " shown in\n" << text;
    EXPECT_NE(text.find("url = \"redis://app:<redacted>@10.0.0.5:6379/0\""), std::string::npos)
        << text;
    EXPECT_NE(text.find("token_file = \"" + token.path() + "\""), std::string::npos) << text;

    auto rotated = cfg;
    rotated.auth.session.secrets = {"hmac-three", "hmac-one"};
    rotated.log.level = "debug";
    EXPECT_EQ(changed_keys(cfg, rotated),
              (std::vector<std::string>{"auth.session.secrets", "log.level"}));
}

} // namespace
} // namespace sse_server

namespace sse_server {
namespace {

TEST(config_reload, applies_what_can_change_under_open_streams_and_lists_the_rest)
{
    auto running = parse_config("[auth.session]\nsecrets = [\"old\"]\n");
    auto const fresh = parse_config(R"(
[log]
level = "debug"
[auth.session]
secrets = ["new", "old"]
[limits]
max_connections = 10
[client]
cors_origins = ["https://a.example"]
path = "/stream"
[replay]
capacity = 5
)");
    auto const outcome = apply_reloadable(running, fresh);
    EXPECT_EQ(outcome.applied,
              (std::vector<std::string>{"auth.session.secrets", "client.cors_origins",
                                        "limits.max_connections", "log.level"}));
    EXPECT_EQ(outcome.need_restart, (std::vector<std::string>{"client.path", "replay.capacity"}));
    EXPECT_EQ(running.log.level, "debug");
    EXPECT_EQ(running.auth.session.secrets, (std::vector<std::string>{"new", "old"}));
    EXPECT_EQ(running.limits.max_connections, 10u);
    EXPECT_EQ(running.client.cors_origins, (std::vector<std::string>{"https://a.example"}));
    EXPECT_EQ(running.client.path, "/events") << "needs a restart: unchanged";
    EXPECT_EQ(running.replay.capacity, config{}.replay.capacity);
}

TEST(config_reload, the_access_log_switch_and_the_trusted_proxies_apply_at_once)
{
    auto running = parse_config("");
    auto const fresh = parse_config(
        "[listen]\ntrusted_proxies = [\"10.0.0.0/8\"]\n[log]\naccess = false\n"
        "[server]\nready_timeout = \"5s\"\n");
    auto const outcome = apply_reloadable(running, fresh);
    EXPECT_EQ(outcome.applied,
              (std::vector<std::string>{"listen.trusted_proxies", "log.access"}));
    EXPECT_EQ(outcome.need_restart, (std::vector<std::string>{"server.ready_timeout"}));
    EXPECT_FALSE(running.log.access);
    ASSERT_EQ(running.listen.trusted_proxies.size(), 1u);
}

TEST(config_reload, refuses_to_drop_the_token_of_a_port_off_loopback)
{
    auto running = parse_config("[listen]\nnotify = \"0.0.0.0:8081\"\n[notify]\ntoken = \"t0k\"\n");
    auto const fresh = parse_config("[log]\nlevel = \"debug\"\n"); // loopback, no token
    EXPECT_THROW(apply_reloadable(running, fresh), config_error);
    EXPECT_EQ(running.notify.token, "t0k");
    EXPECT_EQ(running.log.level, "info") << "a refused reload changes nothing";
}

} // namespace
} // namespace sse_server
