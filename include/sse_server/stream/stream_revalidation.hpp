#pragma once

#include "sse_server/auth/authenticator.hpp"
#include "sse_server/rights/name_list.hpp"

#include <string>
#include <vector>

namespace sse_server {

struct config;

/** What a fresh lookup of an open stream's credential comes to (SPEC §2.4a, §2.6), decided from
    its answer alone. Pure: unit-tested with no socket. */
struct stream_revalidation
{
    enum class verdict
    {
        valid,       // keep it; `groups` are the user's groups now
        gone,        // the session or key is gone (or names another user): close, reconnect 401
        revoked,     // a subscription is no longer granted (or the auth hook says 403):
                     // close, reconnect 403
        unavailable  // Redis did not answer: proves nothing, keep it as it is
    };
    verdict result = verdict::unavailable;
    name_list groups;
};

/** `user_id` and `events` are the stream's, as it was opened. */
stream_revalidation decide_revalidation(auth_result auth, std::string const& user_id,
                                        std::vector<std::string> const& events,
                                        config const& cfg);

} // namespace sse_server
