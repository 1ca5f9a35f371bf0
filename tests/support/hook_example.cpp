#include "support/hook_example.hpp"

#include "support/http_client.hpp"

#include <gtest/gtest.h>

namespace sse_server::test {

using namespace std::chrono_literals;

void start_hook_example(hook_example& run, redis_server& redis, std::string const& notify_token,
                        start_hook_app const& start_app, std::string const& ready,
                        std::chrono::seconds wait)
{
    for (int attempt = 0; attempt < 3 && run.app_port == 0; ++attempt) {
        auto const port = pick_free_port();
        run.daemon.emplace(daemon_config(redis, "[auth]\nmethods = [\"hook\"]\n"
                                                "[auth.hook]\nurl = \"http://127.0.0.1:" +
                                                    std::to_string(port) +
                                                    "/sse/auth\"\n"
                                                    "[events]\ngrants = []\n"
                                                    "[notify]\ntoken = \"" +
                                                    notify_token + "\"\n"));
        run.app.reset(); // the previous try's, before another takes its place
        start_app(run.app, port,
                  "http://127.0.0.1:" + std::to_string(run.daemon->notify_port()) + "/notify");
        if (run.app->wait_for_output(ready, wait))
            run.app_port = port;
    }
}

std::string
expect_login_stream_and_logout(hook_example& run, std::string const& cookie_name,
                               std::function<void(std::string const&)> const& after_login)
{
    auto const clients = run.daemon->clients_port();
    auto const login = http_request(run.app_port, "GET", "/login?user=42");
    EXPECT_EQ(login.status, 200) << login.body << run.app->output();
    auto const set_cookie = login.header("set-cookie");
    EXPECT_EQ(set_cookie.rfind(cookie_name + "=", 0), 0u) << set_cookie;
    auto const cookie = set_cookie.substr(0, set_cookie.find(';'));
    if (after_login)
        after_login(cookie);

    sse_stream s{clients, "/events?events=orders:1,inbox:42", {{"Cookie", cookie}}};
    EXPECT_EQ(s.status(), 200) << s.response().body << run.app->output();
    auto const hello = s.next_event_named("connected");
    EXPECT_TRUE(hello);
    if (hello) {
        EXPECT_NE(hello->data.find(R"("user":"42")"), std::string::npos) << hello->data;
    }
    // The grants the app gave: another user's inbox is not among them.
    EXPECT_EQ(sse_stream(clients, "/events?events=inbox:43", {{"Cookie", cookie}}).status(), 403);
    EXPECT_EQ(sse_stream(clients, "/events", {{"Cookie", cookie_name + "=nope"}}).status(), 401);

    // The logout ends the session and posts /revalidate; the daemon asks the hook again (while
    // the app still serves the logout) and ends the stream.
    EXPECT_EQ(http_request(run.app_port, "GET", "/logout", {{"Cookie", cookie}}).status, 204);
    EXPECT_TRUE(s.ends_cleanly(5s)) << run.app->output();
    EXPECT_EQ(sse_stream(clients, "/events", {{"Cookie", cookie}}).status(), 401);
    return cookie;
}

} // namespace sse_server::test
