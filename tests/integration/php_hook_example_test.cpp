// The plain PHP recipe of docs/integration.md (docs/examples/php-hook) against the real daemon
// and a real Redis: PHP's built-in server runs the app, its sessions live in Redis through
// php-redis, and the app answers the auth hook. A login in the app opens a stream with the
// cookie PHP set, and its logout, which posts /revalidate itself, closes it.
// Skipped, saying why, where php-cli or its redis or curl extension is missing.
#include "support/hook_example.hpp"
#include "support/shell_command.hpp"

#include <gtest/gtest.h>
#include <optional>

namespace sse_server::test {
namespace {

using namespace std::chrono_literals;

constexpr auto notify_token = "php-example-token";

/** Why the example cannot run here; empty when it can. */
std::string missing_php_parts()
{
    if (run_shell("command -v php").exit_status != 0)
        return "php (php-cli) is not installed";
    auto const modules = run_shell("php -m").output;
    for (auto const* module : {"redis", "curl"})
        if (modules.find(std::string("\n") + module + "\n") == std::string::npos)
            return std::string("PHP's ") + module + " extension (php-" + module +
                   ") is not installed";
    return {};
}

TEST(php_hook_example, a_php_login_opens_a_stream_with_its_redis_session_and_its_logout_closes_it)
{
    if (auto const missing = missing_php_parts(); !missing.empty())
        GTEST_SKIP() << missing;
    redis_server redis;

    // Four workers, as the example says: the logout waits for /revalidate while the daemon
    // calls the hook back. They are forked by php, hence a process group killed whole.
    hook_example run;
    start_hook_example(
        run, redis, notify_token,
        [&](std::optional<child_process>& app, std::uint16_t port, std::string const& notify_url) {
            app.emplace(
                std::vector<std::string>{"/usr/bin/env", "php", "-S",
                                         "127.0.0.1:" + std::to_string(port),
                                         SSE_SERVER_SOURCE_DIR "/docs/examples/php-hook/app.php"},
                environment_with(
                    {{"PHP_CLI_SERVER_WORKERS", "4"},
                     {"SESSION_SAVE_PATH", "tcp://127.0.0.1:" + std::to_string(redis.port())},
                     {"SSE_NOTIFY_URL", notify_url},
                     {"SSE_NOTIFY_TOKEN", notify_token}},
                    "SSE_"),
                0, process_group::own);
        },
        "started", 30s);
    ASSERT_NE(run.app_port, 0) << run.app->output();

    std::string session_key;
    auto const cookie = expect_login_stream_and_logout(run, "PHPSESSID", [&](auto const& c) {
        session_key = "PHPREDIS_SESSION:" + c.substr(c.find('=') + 1);
        // The session is in Redis, in PHP's own format: what the daemon could not read itself.
        EXPECT_NE(redis.command({"GET", session_key}).find("user_id|s:2:\"42\""),
                  std::string::npos);
    });
    EXPECT_EQ(redis.command({"EXISTS", session_key}), "0");
}

} // namespace
} // namespace sse_server::test
