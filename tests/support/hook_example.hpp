#pragma once
// What the hook recipes of docs/integration.md that post /revalidate themselves (plain PHP,
// Rails) share in their tests: the daemon and the app started on ports that name each other,
// and the checks every such recipe must pass.
#include "support/child_process.hpp"
#include "support/daemon_process.hpp"
#include "support/redis_server.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace sse_server::test {

/** A hook app and the daemon asking it. */
struct hook_example
{
    std::optional<daemon_process> daemon;
    std::optional<child_process> app;
    std::uint16_t app_port = 0; // 0: the app did not start
};

/** How to start the app on `port`, told the daemon's /notify URL and `notify_token`. */
using start_hook_app = std::function<void(std::optional<child_process>& app, std::uint16_t port,
                                          std::string const& notify_url)>;

/** Starts, into `run` (neither process can move), the daemon with auth.hook at
   http://127.0.0.1:<port>/sse/auth, grants from the hook only and `notify_token`, then the app on
   that port, until the app prints `ready` within `wait`. The hook's URL names the app's port and
   the app is told the daemon's notification port, so the app's port is chosen first; should another
   process take it meanwhile, both start again on another one (three tries). */
void start_hook_example(hook_example& run, redis_server& redis, std::string const& notify_token,
                        start_hook_app const& start_app, std::string const& ready,
                        std::chrono::seconds wait);

/** What every such recipe shows: a login at /login?user=42 sets `cookie_name`; that cookie
    opens a stream as user 42 granted inbox:42 and not inbox:43; another value is a 401; the
    app's /logout (204) ends the stream cleanly and the cookie is then a 401. Returns the
    cookie ("name=value") for further checks. */
std::string expect_login_stream_and_logout(
    hook_example& run, std::string const& cookie_name,
    std::function<void(std::string const&)> const& after_login = nullptr);

} // namespace sse_server::test
