// The Django recipe of docs/integration.md (section 7, docs/examples/django-hook) against the
// real daemon: Django's own session middleware answers the auth hook, so a login in the app
// opens a stream with the cookie Django set, and its logout, once revalidated, closes it.
// Skipped, saying why, where Debian's python3-django is missing.
#include "support/child_process.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/shell_command.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <unistd.h>

namespace sse_server::test {
namespace {

namespace fs = std::filesystem;

TEST(django_hook_example, a_django_login_opens_a_stream_and_its_logout_closes_it)
{
    // Debian's python3-django is there for Debian's own Python, whatever else is on the PATH.
    if (run_shell("/usr/bin/python3 -c 'import django'").exit_status != 0)
        GTEST_SKIP() << "python3-django is not installed";
    auto const sessions =
        fs::path(::testing::TempDir()) / ("django-sessions-" + std::to_string(::getpid()));
    fs::create_directories(sessions);
    child_process app(
        {"/usr/bin/python3", SSE_SERVER_SOURCE_DIR "/docs/examples/django-hook/app.py"},
        environment_with({{"PORT", "0"}, {"SESSION_DIR", sessions.string()}}));
    ASSERT_TRUE(app.wait_for_output("listening on", 30s)) << app.output();
    auto const printed = app.output();
    std::string const marker = "listening on http://127.0.0.1:";
    auto const app_port =
        static_cast<std::uint16_t>(std::stoi(printed.substr(printed.find(marker) + marker.size())));

    redis_server redis;
    daemon_process daemon{daemon_config(
        redis, "[auth]\nmethods = [\"hook\"]\n[auth.hook]\nurl = \"http://127.0.0.1:" +
                   std::to_string(app_port) + "/sse/auth\"\n[events]\ngrants = []\n")};

    auto const login = http_request(app_port, "GET", "/login?user=42");
    ASSERT_EQ(login.status, 200) << login.body << app.output();
    auto const set_cookie = login.header("set-cookie");
    ASSERT_EQ(set_cookie.rfind("sessionid=", 0), 0u) << set_cookie;
    auto const cookie = set_cookie.substr(0, set_cookie.find(';'));

    sse_stream s{daemon.clients_port(), "/events?events=orders:1,inbox:42", {{"Cookie", cookie}}};
    ASSERT_EQ(s.status(), 200) << s.response().body << app.output();
    auto const hello = s.next_event_named("connected");
    ASSERT_TRUE(hello);
    EXPECT_NE(hello->data.find(R"("user":"42")"), std::string::npos) << hello->data;
    // The grants Django gave: another user's inbox is not among them.
    EXPECT_EQ(
        sse_stream(daemon.clients_port(), "/events?events=inbox:43", {{"Cookie", cookie}}).status(),
        403);
    EXPECT_EQ(sse_stream(daemon.clients_port(), "/events", {{"Cookie", "sessionid=nope"}}).status(),
              401);

    // The logout ends the session in Django; the app tells the daemon, which asks again.
    EXPECT_EQ(http_request(app_port, "GET", "/logout", {{"Cookie", cookie}}).status, 204);
    ASSERT_EQ(http_request(daemon.notify_port(), "POST", "/revalidate",
                           {{"Content-Type", "application/json"}}, R"({"users":["42"]})")
                  .status,
              202);
    EXPECT_TRUE(s.ends_cleanly());
    EXPECT_EQ(sse_stream(daemon.clients_port(), "/events", {{"Cookie", cookie}}).status(), 401);
    fs::remove_all(sessions);
}

} // namespace
} // namespace sse_server::test
