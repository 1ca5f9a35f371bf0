#include "sse_server/auth/authenticator.hpp"

#include "sse_server/base/text_split.hpp"
#include "sse_server/redis/redis_client.hpp"

#include <algorithm>
#include <spdlog/spdlog.h>
#include <utility>

namespace sse_server {

namespace {

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

/** What a JSON text says of its user, in one pass: the whole value (an API key may be a bare
    id in JSON), the user id at its pointer, the claims at theirs. Nothing when it is not JSON. */
struct identity_picks
{
    json_pick whole;
    std::optional<std::string> user_id;
    sse_server::claims claims;
};

template <class Config>
std::optional<identity_picks> pick_identity(std::string_view text, Config const& cfg,
                                            claims_pools& pools)
{
    std::string const pointers[] = {"", cfg.user_id_pointer, cfg.grants_pointer,
                                    cfg.groups_pointer};
    auto found = pick_json(text, pointers);
    if (!found)
        return std::nullopt;
    auto& at = *found;
    return identity_picks{std::move(at[0]), user_id_in(at[1]),
                          claims_from(std::move(at[2]), cfg.grants_pointer, std::move(at[3]),
                                      cfg.groups_pointer, pools)};
}

auth_result unauthorized(std::string reason)
{
    return {auth_result::outcome::unauthorized, {}, std::move(reason), {}};
}

} // namespace

std::optional<std::string> user_id_in(json_pick& value)
{
    if (value.type == json_pick::kind::string)
        return usable_id(std::move(value.text));
    if (value.type == json_pick::kind::integer) // signed and unsigned alike
        return std::move(value.text);
    return std::nullopt;
}

auth_result authenticator::interpret(redis_reply const& reply, credential_kind kind)
{
    bool const session = kind == credential_kind::session;
    switch (reply.type) {
    case redis_reply::kind::nil:
    case redis_reply::kind::array: // GET never answers one; whatever it is, not a credential
        return unauthorized(session ? "unknown session" : "unknown API key");
    case redis_reply::kind::value: {
        auto who = session ? identity_from_session(reply.text, cfg_.session, pools_)
                           : identity_from_api_key(reply.text, cfg_.api_key, pools_);
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
                             auth_config const& cfg, hook_client* hook)
    : executor_(std::move(executor)), redis_(redis), cfg_(cfg), hook_(hook)
{
}

void authenticator::async_authenticate(credential const& cred,
                                       std::function<void(auth_result)> done)
{
    lookup(cred, false, std::move(done));
}

void authenticator::async_revalidate(credential const& cred, std::function<void(auth_result)> done)
{
    lookup(cred, true, std::move(done));
}

void authenticator::lookup(credential const& cred, bool fresh,
                           std::function<void(auth_result)> done)
{
    if (cred.kind == credential_kind::jwt)
        return authenticate_jwt(cred, std::move(done));
    if (cred.kind == credential_kind::hook)
        return authenticate_hook(cred, fresh, std::move(done));
    auto const kind = cred.kind;
    // redis_client never completes inline, so neither do we. The authenticator outlives every
    // lookup: it is owned by the server, whose client fails pending commands when it stops.
    redis_.async_get(redis_key_for(cred, cfg_),
                     [this, kind, done = std::move(done)](redis_reply reply) {
                         done(interpret(reply, kind));
                     });
}

std::optional<identity> identity_from_session(std::string_view value,
                                              session_auth_config const& cfg, claims_pools& pools)
{
    auto found = pick_identity(value, cfg, pools);
    if (!found || !found->user_id)
        return std::nullopt;
    return identity{std::move(*found->user_id), std::move(found->claims)};
}

std::optional<identity> identity_from_api_key(std::string_view value,
                                              api_key_auth_config const& cfg, claims_pools& pools)
{
    auto const text = trim(value, " \t\r\n");
    if (text.empty())
        return std::nullopt;
    auto found = pick_identity(text, cfg, pools);
    if (!found) {
        // A bare id such as u_42; broken JSON is not one.
        if (text.front() == '{' || text.front() == '[' || text.front() == '"')
            return std::nullopt;
        auto id = usable_id(std::string(text));
        if (!id)
            return std::nullopt;
        return identity{std::move(*id), {}};
    }
    if (found->whole.type == json_pick::kind::object) {
        if (!found->user_id)
            return std::nullopt;
        return identity{std::move(*found->user_id), std::move(found->claims)};
    }
    // 42 or "u_42", with no claims; true, null, 1.5 or [..]: none.
    auto id = user_id_in(found->whole);
    if (!id)
        return std::nullopt;
    return identity{std::move(*id), {}};
}

std::optional<std::string> user_id_from_session(std::string_view value, std::string const& pointer)
{
    session_auth_config cfg;
    cfg.user_id_pointer = pointer;
    claims_pools none_read; // no claim pointer: nothing is interned
    auto who = identity_from_session(value, cfg, none_read);
    return who ? std::optional<std::string>(std::move(who->user_id)) : std::nullopt;
}

std::optional<std::string> user_id_from_api_key(std::string_view value, std::string const& pointer)
{
    api_key_auth_config cfg;
    cfg.user_id_pointer = pointer;
    claims_pools none_read; // no claim pointer: nothing is interned
    auto who = identity_from_api_key(value, cfg, none_read);
    return who ? std::optional<std::string>(std::move(who->user_id)) : std::nullopt;
}

} // namespace sse_server
