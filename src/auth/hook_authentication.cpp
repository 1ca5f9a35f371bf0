#include "sse_server/auth/authenticator.hpp"
#include "sse_server/auth/hook_client.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>
#include <utility>

// The authenticator's way through the application's auth hook (SPEC §2.2a): the hook_client
// asks (or answers from its cache); what a 200 says of claims is checked as for a session.

namespace sse_server {

void authenticator::authenticate_hook(credential const& cred, bool fresh,
                                      std::function<void(auth_result)> done)
{
    if (!hook_) {
        // Configured at start without a URL: the loader refuses that, so this is a safeguard.
        return net::post(executor_, [done = std::move(done)] {
            done({auth_result::outcome::unavailable, {}, "no auth hook", {}});
        });
    }
    hook_->async_check(cred.secret, fresh, [this, done = std::move(done)](auth_result result) {
        // A malformed claim is the application's bug, the same for every user: said once.
        for (auto const& problem : result.claims.problems)
            if (logged_problems_.size() < max_logged_problems &&
                logged_problems_.insert(problem).second)
                spdlog::warn("auth hook: {} (logged once)", problem);
        result.claims.problems.clear();
        done(std::move(result));
    });
}

} // namespace sse_server
