// The plain PHP recipe of docs/integration.md (docs/examples/php-hook) against the real daemon
// and a real Redis: PHP's built-in server runs the app, its sessions live in Redis through
// php-redis, and the app answers the auth hook. A login in the app opens a stream with the
// cookie PHP set, and its logout, which posts /revalidate itself, closes it.
// Skipped, saying why, where php-cli or its redis or curl extension is missing.
#include "support/child_process.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/shell_command.hpp"

#include <gtest/gtest.h>
#include <optional>

namespace sse_server::test {
namespace {

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
    // The hook's URL names the app's port and the app is told the daemon's notification port:
    // one must be known before either starts, so the app's is picked here. Should another
    // process take it meanwhile, both start again on another one.
    std::optional<daemon_process> daemon;
    std::optional<child_process> app;
    std::uint16_t app_port = 0;
    for (int attempt = 0; attempt < 3 && app_port == 0; ++attempt) {
        auto const port = pick_free_port();
        daemon.emplace(daemon_config(redis, "[auth]\nmethods = [\"hook\"]\n"
                                            "[auth.hook]\nurl = \"http://127.0.0.1:" +
                                                std::to_string(port) +
                                                "/sse/auth\"\n"
                                                "[events]\ngrants = []\n"
                                                "[notify]\ntoken = \"" +
                                                notify_token + "\"\n"));
        app.emplace(std::vector<std::string>{"/usr/bin/env", "php", "-S",
                                             "127.0.0.1:" + std::to_string(port),
                                             SSE_SERVER_SOURCE_DIR
                                             "/docs/examples/php-hook/app.php"},
                    environment_with(
                        {{"PHP_CLI_SERVER_WORKERS", "4"},
                         {"SESSION_SAVE_PATH", "tcp://127.0.0.1:" + std::to_string(redis.port())},
                         {"SSE_NOTIFY_URL",
                          "http://127.0.0.1:" + std::to_string(daemon->notify_port()) + "/notify"},
                         {"SSE_NOTIFY_TOKEN", notify_token}},
                        "SSE_"),
                    0, process_group::own);
        if (app->wait_for_output("started", 30s))
            app_port = port;
    }
    ASSERT_NE(app_port, 0) << app->output();

    auto const login = http_request(app_port, "GET", "/login?user=42");
    ASSERT_EQ(login.status, 200) << login.body << app->output();
    auto const set_cookie = login.header("set-cookie");
    ASSERT_EQ(set_cookie.rfind("PHPSESSID=", 0), 0u) << set_cookie;
    auto const cookie = set_cookie.substr(0, set_cookie.find(';'));
    auto const session_key = "PHPREDIS_SESSION:" + cookie.substr(cookie.find('=') + 1);
    // The session is in Redis, in PHP's own format: what the daemon could not read itself.
    EXPECT_NE(redis.command({"GET", session_key}).find("user_id|s:2:\"42\""), std::string::npos);

    sse_stream s{daemon->clients_port(), "/events?events=orders:1,inbox:42", {{"Cookie", cookie}}};
    ASSERT_EQ(s.status(), 200) << s.response().body << app->output();
    auto const hello = s.next_event_named("connected");
    ASSERT_TRUE(hello);
    EXPECT_NE(hello->data.find(R"("user":"42")"), std::string::npos) << hello->data;
    // The grants the app gave: another user's inbox is not among them.
    EXPECT_EQ(sse_stream(daemon->clients_port(), "/events?events=inbox:43", {{"Cookie", cookie}})
                  .status(),
              403);
    EXPECT_EQ(
        sse_stream(daemon->clients_port(), "/events", {{"Cookie", "PHPSESSID=nope"}}).status(),
        401);

    // The logout destroys the session in Redis and posts /revalidate; the daemon asks the hook
    // again (on another worker of the built-in server) and ends the stream.
    EXPECT_EQ(http_request(app_port, "GET", "/logout", {{"Cookie", cookie}}).status, 204);
    EXPECT_TRUE(s.ends_cleanly(5s)) << app->output();
    EXPECT_EQ(redis.command({"EXISTS", session_key}), "0");
    EXPECT_EQ(sse_stream(daemon->clients_port(), "/events", {{"Cookie", cookie}}).status(), 401);
}

} // namespace
} // namespace sse_server::test
