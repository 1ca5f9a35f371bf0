#include "sse_server/stream/stream_revalidation.hpp"

#include "sse_server/config/config.hpp"
#include "sse_server/rights/grants.hpp"

namespace sse_server {

stream_revalidation decide_revalidation(auth_result auth, std::string const& user_id,
                                        std::vector<std::string> const& events,
                                        config const& cfg)
{
    using verdict = stream_revalidation::verdict;
    switch (auth.result) {
    case auth_result::outcome::unavailable:
        return {verdict::unavailable, {}};
    case auth_result::outcome::unauthorized:
        return {verdict::gone, {}};
    case auth_result::outcome::forbidden: // the auth hook refuses the user a stream now
        return {verdict::revoked, {}};
    case auth_result::outcome::ok:
        break;
    }
    if (auth.user_id != user_id)
        return {verdict::gone, {}}; // the credential now stands for someone else
    // The same rule as at opening, with the claims as they are now.
    if (first_not_granted(events, cfg.events.grants, auth.claims.grants, auth.user_id,
                          auth.claims.groups))
        return {verdict::revoked, {}};
    return {verdict::valid, std::move(auth.claims.groups)};
}

} // namespace sse_server
