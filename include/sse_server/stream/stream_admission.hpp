#pragma once

#include "sse_server/auth/credentials.hpp"
#include "sse_server/base/net.hpp"
#include "sse_server/http/stream_request.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <cstdint>
#include <string>

namespace sse_server {

struct config;

/** What a request on the clients port gets, decided from its header and the configuration
    alone: a refusal (status and plain-text reason), a CORS preflight answer, or a Redis
    lookup of its credential followed by a stream. The session does the I/O; the limits that
    depend on the daemon's state (429, 503) are the session's to check. */
struct stream_admission
{
    enum class verdict : std::uint8_t
    {
        refuse,
        preflight,
        authenticate
    };

    verdict action = verdict::refuse;
    http::status status = http::status::bad_request; // refuse: the status
    std::string reason;      // refuse: the response body (what a log may say more is in `detail`)
    std::string detail;      // refuse: why, for a debug log only (401s all answer alike)
    std::string cors_origin; // the request's Origin when allowed, else empty
    stream_request target;   // authenticate: what the stream asks for
    credential cred;         // authenticate: what to look up
};

/** The body of every 401 of the clients port: whether the credential was absent, malformed,
    badly signed, unknown to Redis or without a user id is not told to the client. */
inline constexpr char const* unauthorized_reason = "unauthorized";

/** Decides a request of the clients port (SPEC §2.1, §2.4, §2.6): 404 for another path, the
    preflight for OPTIONS, 405 for another method, 400 for a body, a malformed target or the
    reserved account event name, 401 when no valid credential is present. */
stream_admission admit_stream(http::request<http::empty_body> const& req, config const& cfg);

} // namespace sse_server
