#pragma once

#include "sse_server/auth/credentials.hpp"
#include "sse_server/base/net.hpp"
#include "sse_server/config/config.hpp"
#include "sse_server/rights/claims.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <set>
#include <optional>
#include <string>
#include <string_view>

namespace sse_server {

class redis_client;
class hook_client;
struct redis_reply;

/** The answer to "who is this?" for one stream request. */
struct auth_result
{
    enum class outcome
    {
        ok,           // user_id is set
        unauthorized, // 401: no such session or key, or no user id in it
        unavailable,  // 503: Redis (or the auth hook) unreachable, too slow or failing
        forbidden     // 403: the auth hook knows the user and refuses it a stream
    };
    outcome result = outcome::unavailable;
    std::string user_id;
    std::string reason; // for logs and the 401/503 body; never contains the credential
    sse_server::claims claims; // ok: what the session or key grants (SPEC §2.4a)
};

/** Who a credential's value says the user is, and what it may do. */
struct identity
{
    std::string user_id;
    sse_server::claims claims;
};

/** Turns a credential into a user id with one Redis GET, or, for a signed token, by verifying
    it here (no round trip), or by asking the application's auth hook. Owned by `server`. */
class authenticator
{
public:
    /** `hook` may be null when no hook is configured: its credentials then get 503. */
    authenticator(net::any_io_executor executor, redis_client& redis, auth_config const& cfg,
                  hook_client* hook = nullptr);

    /** Completes exactly once, never inline (always from the io_context). */
    void async_authenticate(credential const& cred, std::function<void(auth_result)> done);
    /** The same for an open stream's credential: the hook is asked again, not its cache. */
    void async_revalidate(credential const& cred, std::function<void(auth_result)> done);

private:
    void lookup(credential const& cred, bool fresh, std::function<void(auth_result)> done);
    /** The hook's answer, its claims' problems logged once. */
    void authenticate_hook(credential const& cred, bool fresh,
                           std::function<void(auth_result)> done);
    auth_result interpret(redis_reply const& reply, credential_kind kind);
    /** A token: verified now, answered from the executor (jwt_authentication.cpp). */
    void authenticate_jwt(credential const& cred, std::function<void(auth_result)> done);

    static constexpr std::size_t max_logged_problems = 64; // kinds, from the configuration

    net::any_io_executor executor_;
    redis_client& redis_;
    auth_config const& cfg_;
    hook_client* hook_;
    claims_pools pools_; // the claims of sessions, API keys and tokens
    std::set<std::string> logged_problems_;
};

/** A user id as a JSON value gives it: a string with no control character, not empty, or an
    integer (so that `42` and `"42"` are one user); anything else is none. */
std::optional<std::string> user_id_in(json_pick& value);

/** The user id in a session value: the JSON at `pointer`, a string or an integer.
    Empty optional when the value is not JSON, the pointer misses, or the id is empty. */
std::optional<std::string> user_id_from_session(std::string_view value, std::string const& pointer);

/** The user id in an API key value: a bare id (`42`, `u_42`, `"u_42"`), or JSON with the id at
    `pointer`. Empty optional when there is none. */
std::optional<std::string> user_id_from_api_key(std::string_view value, std::string const& pointer);

/** As user_id_from_session, with the claims at the configured pointers (their lists interned
    in `pools`); one parse. */
std::optional<identity> identity_from_session(std::string_view value,
                                              session_auth_config const& cfg, claims_pools& pools);

/** As user_id_from_api_key, with the claims of a JSON value (a bare id has none). */
std::optional<identity> identity_from_api_key(std::string_view value,
                                              api_key_auth_config const& cfg, claims_pools& pools);

} // namespace sse_server
