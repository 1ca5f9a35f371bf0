#include "sse_server/authenticator.hpp"

#include "sse_server/redis_client.hpp"

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

std::string_view trim(std::string_view text)
{
    auto const space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!text.empty() && space(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && space(text.back()))
        text.remove_suffix(1);
    return text;
}

auth_result unauthorized(std::string reason)
{
    return {auth_result::outcome::unauthorized, {}, std::move(reason)};
}

auth_result interpret(redis_reply const& reply, credential_kind kind, std::string const& pointer)
{
    bool const session = kind == credential_kind::session;
    switch (reply.type) {
    case redis_reply::kind::nil:
    case redis_reply::kind::array: // GET never answers one; whatever it is, not a credential
        return unauthorized(session ? "unknown session" : "unknown API key");
    case redis_reply::kind::value: {
        auto id = session ? user_id_from_session(reply.text, pointer)
                          : user_id_from_api_key(reply.text, pointer);
        if (!id)
            return unauthorized(session ? "no user id in session" : "no user id in API key");
        return {auth_result::outcome::ok, std::move(*id), {}};
    }
    case redis_reply::kind::error:
        // The key holds a list or a hash: whatever it is, it is not a credential.
        if (reply.text.starts_with("WRONGTYPE"))
            return unauthorized(session ? "unknown session" : "unknown API key");
        spdlog::warn("redis lookup failed: {}", reply.text);
        return {auth_result::outcome::unavailable, {}, "redis error"};
    case redis_reply::kind::unavailable:
        break;
    }
    return {auth_result::outcome::unavailable, {}, reply.text};
}

} // namespace

authenticator::authenticator(redis_client& redis, auth_config const& cfg) : redis_(redis), cfg_(cfg)
{
}

void authenticator::async_authenticate(credential const& cred,
                                       std::function<void(auth_result)> done)
{
    auto const kind = cred.kind;
    auto const& pointer = kind == credential_kind::session ? cfg_.session.user_id_pointer
                                                           : cfg_.api_key.user_id_pointer;
    // redis_client never completes inline, so neither do we.
    redis_.async_get(redis_key_for(cred, cfg_),
                     [kind, pointer, done = std::move(done)](redis_reply reply) {
                         done(interpret(reply, kind, pointer));
                     });
}

std::optional<std::string> user_id_from_session(std::string_view value, std::string const& pointer)
{
    auto const doc = json::parse(value.begin(), value.end(), nullptr, false);
    if (doc.is_discarded())
        return std::nullopt;
    return id_at(doc, pointer);
}

std::optional<std::string> user_id_from_api_key(std::string_view value, std::string const& pointer)
{
    auto const text = trim(value);
    if (text.empty())
        return std::nullopt;
    auto const doc = json::parse(text.begin(), text.end(), nullptr, false);
    if (doc.is_discarded()) {
        // A bare id such as u_42; broken JSON is not one.
        if (text.front() == '{' || text.front() == '[' || text.front() == '"')
            return std::nullopt;
        return usable_id(std::string(text));
    }
    if (doc.is_object())
        return id_at(doc, pointer);
    return id_from(doc); // 42 or "u_42"; true, null, 1.5 or [..] are no id
}

} // namespace sse_server
