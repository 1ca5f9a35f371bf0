#include "sse_server/stream/stream_opening.hpp"

#include "sse_server/config/config.hpp"
#include "sse_server/rights/grants.hpp"
#include "sse_server/stream/stream_admission.hpp"

namespace sse_server {

namespace {

stream_opening refuse(http::status status, std::string reason, bool counts_login = true)
{
    return {status, std::move(reason), counts_login};
}

} // namespace

stream_opening decide_opening(auth_result const& auth, std::vector<std::string> const& events,
                              config const& cfg, std::size_t user_streams, bool stopping)
{
    if (stopping)
        return refuse(http::status::service_unavailable, "server shutting down", false);
    switch (auth.result) {
    case auth_result::outcome::unavailable:
        return refuse(http::status::service_unavailable, "authentication unavailable");
    case auth_result::outcome::unauthorized:
        return refuse(http::status::unauthorized, unauthorized_reason);
    case auth_result::outcome::forbidden: // the auth hook's 403, passed on
        return refuse(http::status::forbidden, "forbidden");
    case auth_result::outcome::ok:
        break;
    }
    // A name no pattern grants can never be streamed: said before any limit that may pass.
    if (auto const name = first_not_granted(events, cfg.events.grants, auth.claims.grants,
                                            auth.user_id, auth.claims.groups))
        return refuse(http::status::forbidden, not_granted_reason(*name));
    if (user_streams >= cfg.limits.max_connections_per_user)
        return refuse(http::status::too_many_requests, "too many connections for this user");
    return {};
}

} // namespace sse_server
