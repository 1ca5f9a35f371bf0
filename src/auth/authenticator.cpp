#include "sse_server/auth/authenticator.hpp"

#include "sse_server/base/text_split.hpp"
#include "sse_server/redis/redis_client.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <utility>

namespace sse_server {

namespace {

using json = nlohmann::json;

/** A user id ends up in logs and comparisons: no control characters, not empty. */
std::optional<std::string> usable_id(std::string id)
{
    bool const has_control = std::any_of(id.begin(), id.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
    if (id.empty() || has_control)
        return std::nullopt;
    return id;
}

/** A string or an integer, so that `42` and `"42"` are the same user; anything else is none. */
std::optional<std::string> id_from(json const& value)
{
    if (value.is_string())
        return usable_id(value.get<std::string>());
    if (value.is_number_integer()) // signed and unsigned alike
        return value.dump();
    return std::nullopt;
}

std::optional<std::string> id_at(json const& doc, std::string const& pointer)
{
    std::optional<json::json_pointer> ptr;
    // Config validation has checked the pointer already; a malformed one just finds nothing.
    try {
        ptr.emplace(pointer);
    } catch (json::exception const&) {
        return std::nullopt;
    }
    if (!doc.contains(*ptr))
        return std::nullopt;
    return id_from(doc[*ptr]);
}

auth_result unauthorized(std::string reason)
{
    return {auth_result::outcome::unauthorized, {}, std::move(reason), {}};
}

} // namespace

auth_result authenticator::interpret(redis_reply const& reply, credential_kind kind)
{
    bool const session = kind == credential_kind::session;
    switch (reply.type) {
    case redis_reply::kind::nil:
    case redis_reply::kind::array: // GET never answers one; whatever it is, not a credential
        return unauthorized(session ? "unknown session" : "unknown API key");
    case redis_reply::kind::value: {
        auto who = session ? identity_from_session(reply.text, cfg_.session)
                           : identity_from_api_key(reply.text, cfg_.api_key);
        if (!who)
            return unauthorized(session ? "no user id in session" : "no user id in API key");
        // A malformed claim is the application's bug, the same for every user: said once.
        for (auto const& problem : who->claims.problems)
            if (logged_problems_.size() < max_logged_problems &&
                logged_problems_.insert(problem).second)
                spdlog::warn("{}: {} (logged once)", session ? "session" : "API key", problem);
        who->claims.problems.clear();
        return {auth_result::outcome::ok, std::move(who->user_id), {}, std::move(who->claims)};
    }
    case redis_reply::kind::error:
        // The key holds a list or a hash: whatever it is, it is not a credential.
        if (reply.text.starts_with("WRONGTYPE"))
            return unauthorized(session ? "unknown session" : "unknown API key");
        spdlog::warn("redis lookup failed: {}", reply.text);
        return {auth_result::outcome::unavailable, {}, "redis error", {}};
    case redis_reply::kind::unavailable:
        break;
    }
    return {auth_result::outcome::unavailable, {}, reply.text, {}};
}


authenticator::authenticator(net::any_io_executor executor, redis_client& redis,
                             auth_config const& cfg)
    : executor_(std::move(executor)), redis_(redis), cfg_(cfg)
{
}

void authenticator::async_authenticate(credential const& cred,
                                       std::function<void(auth_result)> done)
{
    if (cred.kind == credential_kind::jwt)
        return authenticate_jwt(cred, std::move(done));
    auto const kind = cred.kind;
    // redis_client never completes inline, so neither do we. The authenticator outlives every
    // lookup: it is owned by the server, whose client fails pending commands when it stops.
    redis_.async_get(redis_key_for(cred, cfg_),
                     [this, kind, done = std::move(done)](redis_reply reply) {
                         done(interpret(reply, kind));
                     });
}

std::optional<identity> identity_from_session(std::string_view value,
                                              session_auth_config const& cfg)
{
    auto const doc = json::parse(value.begin(), value.end(), nullptr, false);
    if (doc.is_discarded())
        return std::nullopt;
    auto id = id_at(doc, cfg.user_id_pointer);
    if (!id)
        return std::nullopt;
    return identity{std::move(*id), claims_in(doc, cfg.grants_pointer, cfg.groups_pointer)};
}

std::optional<identity> identity_from_api_key(std::string_view value,
                                              api_key_auth_config const& cfg)
{
    auto const text = trim(value, " \t\r\n");
    if (text.empty())
        return std::nullopt;
    auto const doc = json::parse(text.begin(), text.end(), nullptr, false);
    std::optional<std::string> id;
    if (doc.is_discarded()) {
        // A bare id such as u_42; broken JSON is not one.
        if (text.front() == '{' || text.front() == '[' || text.front() == '"')
            return std::nullopt;
        id = usable_id(std::string(text));
    } else if (doc.is_object()) {
        id = id_at(doc, cfg.user_id_pointer);
        if (id)
            return identity{std::move(*id),
                            claims_in(doc, cfg.grants_pointer, cfg.groups_pointer)};
    } else {
        id = id_from(doc); // 42 or "u_42"; true, null, 1.5 or [..] are no id
    }
    if (!id)
        return std::nullopt;
    return identity{std::move(*id), {}};
}

std::optional<std::string> user_id_from_session(std::string_view value, std::string const& pointer)
{
    session_auth_config cfg;
    cfg.user_id_pointer = pointer;
    auto who = identity_from_session(value, cfg);
    return who ? std::optional<std::string>(std::move(who->user_id)) : std::nullopt;
}

std::optional<std::string> user_id_from_api_key(std::string_view value, std::string const& pointer)
{
    api_key_auth_config cfg;
    cfg.user_id_pointer = pointer;
    auto who = identity_from_api_key(value, cfg);
    return who ? std::optional<std::string>(std::move(who->user_id)) : std::nullopt;
}

} // namespace sse_server
