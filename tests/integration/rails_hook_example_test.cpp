// The Rails recipe of docs/integration.md (section 8, docs/examples/rails-hook) against the
// real daemon: Rails' own session middleware answers the auth hook, so a login in the app
// opens a stream with the cookie Rails set, and its logout, which posts /revalidate itself,
// closes it. Skipped, saying why, where Debian's ruby-rails is missing.
#include "support/child_process.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/shell_command.hpp"

#include <gtest/gtest.h>
#include <optional>

namespace sse_server::test {
namespace {

constexpr auto notify_token = "rails-example-token";

TEST(rails_hook_example, a_rails_login_opens_a_stream_and_its_logout_closes_it)
{
    // Debian's ruby-rails is there for Debian's own Ruby, whatever else is on the PATH.
    if (run_shell("/usr/bin/ruby -e 'require \"action_controller/railtie\"; "
                  "require \"rack/handler/webrick\"'")
            .exit_status != 0)
        GTEST_SKIP() << "ruby-rails is not installed";
    redis_server redis;

    // The hook's URL names the app's port and the app is told the daemon's notification port,
    // so the app's port is chosen first. Should another process take it meanwhile, both start
    // again on another one.
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
        app.emplace(std::vector<std::string>{"/usr/bin/ruby", SSE_SERVER_SOURCE_DIR
                                             "/docs/examples/rails-hook/app.rb"},
                    environment_with(
                        {{"PORT", std::to_string(port)},
                         {"SSE_NOTIFY_URL",
                          "http://127.0.0.1:" + std::to_string(daemon->notify_port()) + "/notify"},
                         {"SSE_NOTIFY_TOKEN", notify_token}},
                        "SSE_"));
        if (app->wait_for_output("listening on", 60s))
            app_port = port;
    }
    ASSERT_NE(app_port, 0) << app->output();

    auto const login = http_request(app_port, "GET", "/login?user=42");
    ASSERT_EQ(login.status, 200) << login.body << app->output();
    auto const set_cookie = login.header("set-cookie");
    ASSERT_EQ(set_cookie.rfind("_hook_session=", 0), 0u) << set_cookie;
    auto const cookie = set_cookie.substr(0, set_cookie.find(';'));

    sse_stream s{daemon->clients_port(), "/events?events=orders:1,inbox:42", {{"Cookie", cookie}}};
    ASSERT_EQ(s.status(), 200) << s.response().body << app->output();
    auto const hello = s.next_event_named("connected");
    ASSERT_TRUE(hello);
    EXPECT_NE(hello->data.find(R"("user":"42")"), std::string::npos) << hello->data;
    // The grants Rails gave: another user's inbox is not among them.
    EXPECT_EQ(sse_stream(daemon->clients_port(), "/events?events=inbox:43", {{"Cookie", cookie}})
                  .status(),
              403);
    EXPECT_EQ(
        sse_stream(daemon->clients_port(), "/events", {{"Cookie", "_hook_session=nope"}}).status(),
        401);

    // The logout ends the session on the server and posts /revalidate; the daemon asks the
    // hook again (on another WEBrick thread) and ends the stream.
    EXPECT_EQ(http_request(app_port, "GET", "/logout", {{"Cookie", cookie}}).status, 204);
    EXPECT_TRUE(s.ends_cleanly(5s)) << app->output();
    EXPECT_EQ(sse_stream(daemon->clients_port(), "/events", {{"Cookie", cookie}}).status(), 401);
}

} // namespace
} // namespace sse_server::test
