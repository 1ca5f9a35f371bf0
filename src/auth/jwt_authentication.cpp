#include "sse_server/auth/authenticator.hpp"
#include "sse_server/auth/jwt.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>
#include <utility>

// The authenticator's way for signed tokens (SPEC §2.2a): verified in place against the keys
// loaded with the configuration, so no lookup, and answered like the Redis ways.

namespace sse_server {

void authenticator::authenticate_jwt(credential const& cred, std::function<void(auth_result)> done)
{
    auto verdict = verify_jwt(cred.secret, cfg_.jwt, wall_clock::now(), pools_);
    auth_result result;
    if (verdict.token) {
        auto& claims = verdict.token->claims;
        // A malformed claim is the issuer's bug, the same for every user: said once.
        for (auto const& problem : claims.problems)
            if (logged_problems_.size() < max_logged_problems &&
                logged_problems_.insert(problem).second)
                spdlog::warn("token: {} (logged once)", problem);
        claims.problems.clear();
        result = {
            auth_result::outcome::ok, std::move(verdict.token->user_id), {}, std::move(claims)};
    } else {
        result = {auth_result::outcome::unauthorized, {}, "token refused: " + verdict.refusal, {}};
    }
    // Never inline, as for a Redis lookup: callers finish their own turn first.
    net::post(executor_, [done = std::move(done), result = std::move(result)]() mutable {
        done(std::move(result));
    });
}

} // namespace sse_server
