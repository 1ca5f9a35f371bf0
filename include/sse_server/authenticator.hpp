#pragma once

#include "sse_server/config.hpp"
#include "sse_server/credentials.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sse_server {

class redis_client;

/** The answer to "who is this?" for one stream request. */
struct auth_result
{
    enum class outcome
    {
        ok,           // user_id is set
        unauthorized, // 401: no such session or key, or no user id in it
        unavailable   // 503: Redis unreachable or too slow
    };
    outcome result = outcome::unavailable;
    std::string user_id;
    std::string reason; // for logs and the 401/503 body; never contains the credential
};

/** Turns a credential into a user id with one Redis GET. Owned by `server`. */
class authenticator
{
public:
    authenticator(redis_client& redis, auth_config const& cfg);

    /** Completes exactly once, never inline (always from the io_context). */
    void async_authenticate(credential const& cred, std::function<void(auth_result)> done);

private:
    redis_client& redis_;
    auth_config const& cfg_;
};

/** The user id in a session value: the JSON at `pointer`, a string or an integer.
    Empty optional when the value is not JSON, the pointer misses, or the id is empty. */
std::optional<std::string> user_id_from_session(std::string_view value, std::string const& pointer);

/** The user id in an API key value: a bare id (`42`, `u_42`, `"u_42"`), or JSON with the id at
    `pointer`. Empty optional when there is none. */
std::optional<std::string> user_id_from_api_key(std::string_view value, std::string const& pointer);

} // namespace sse_server
