#pragma once

#include "sse_server/auth/authenticator.hpp"
#include "sse_server/base/net.hpp"

#include <boost/beast/http/status.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace sse_server {

struct config;

/** What an authenticated stream request comes to (SPEC §2.2, §2.4a, §2.6), decided from the
    lookup's answer and the daemon's state alone: a refusal, or a stream to open. The session
    does the I/O, and counts the lookup's outcome unless the daemon was stopping. Pure:
    unit-tested with no socket. */
struct stream_opening
{
    std::optional<http::status> refuse; // empty: open the stream
    std::string reason;                 // refuse: the plain-text body
    bool counts_login = true;           // the lookup's outcome is counted (not while stopping)
};

/** `events` are the names the request subscribes to (the account event is never among them:
    it is refused at admission); `user_streams` the user's streams already open or admitted. */
stream_opening decide_opening(auth_result const& auth, std::vector<std::string> const& events,
                              config const& cfg, std::size_t user_streams, bool stopping);

} // namespace sse_server
