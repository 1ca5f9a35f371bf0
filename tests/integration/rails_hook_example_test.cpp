// The Rails recipe of docs/integration.md (section 8, docs/examples/rails-hook) against the
// real daemon: Rails' own session middleware answers the auth hook, so a login in the app
// opens a stream with the cookie Rails set, and its logout, which posts /revalidate itself,
// closes it. Skipped, saying why, where Debian's ruby-rails is missing.
#include "support/hook_example.hpp"
#include "support/shell_command.hpp"

#include <gtest/gtest.h>
#include <optional>

namespace sse_server::test {
namespace {

using namespace std::chrono_literals;

constexpr auto notify_token = "rails-example-token";

TEST(rails_hook_example, a_rails_login_opens_a_stream_and_its_logout_closes_it)
{
    // Debian's ruby-rails is there for Debian's own Ruby, whatever else is on the PATH.
    if (run_shell("/usr/bin/ruby -e 'require \"action_controller/railtie\"; "
                  "require \"rack/handler/webrick\"'")
            .exit_status != 0)
        GTEST_SKIP() << "ruby-rails is not installed";
    redis_server redis;

    hook_example run;
    start_hook_example(
        run, redis, notify_token,
        [](std::optional<child_process>& app, std::uint16_t port, std::string const& notify_url) {
            app.emplace(std::vector<std::string>{"/usr/bin/ruby", SSE_SERVER_SOURCE_DIR
                                                 "/docs/examples/rails-hook/app.rb"},
                        environment_with({{"PORT", std::to_string(port)},
                                          {"SSE_NOTIFY_URL", notify_url},
                                          {"SSE_NOTIFY_TOKEN", notify_token}},
                                         "SSE_"));
        },
        "listening on", 60s);
    ASSERT_NE(run.app_port, 0) << run.app->output();
    expect_login_stream_and_logout(run, "_hook_session");
}

} // namespace
} // namespace sse_server::test
