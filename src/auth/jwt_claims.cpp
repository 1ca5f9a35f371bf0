#include "sse_server/auth/jwt.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

// What a token says, once its signature holds (RFC 7519 §4.1): when it is valid, for whom, who
// issued it, and the user and rights of SPEC §2.4a.

namespace sse_server {

namespace {

using json = nlohmann::json;
using seconds_double = std::chrono::duration<double>;

// 2100-01-01: any later exp is as good as this one, and a time point in nanoseconds holds it.
constexpr double latest_time = 4102444800.0;

jwt_verdict refuse(std::string why)
{
    return {std::nullopt, std::move(why)};
}

/** The JSON pointer to a top-level member (RFC 6901 escapes `~` and `/`: claim names such as
    "https://example.com/roles" are common); "" stays "", not read. */
std::string pointer_to(std::string const& claim)
{
    if (claim.empty())
        return {};
    std::string pointer = "/";
    for (char const c : claim) {
        if (c == '~')
            pointer += "~0";
        else if (c == '/')
            pointer += "~1";
        else
            pointer += c;
    }
    return pointer;
}

/** A string without control characters, or an integer (`42` and `"42"` are one user). */
std::optional<std::string> user_id_of(json const& value)
{
    if (value.is_number_integer())
        return value.dump();
    if (!value.is_string())
        return std::nullopt;
    auto const& id = value.get_ref<std::string const&>();
    auto const control = [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; };
    if (id.empty() || std::any_of(id.begin(), id.end(), control))
        return std::nullopt;
    return id;
}

bool names_audience(json const& aud, std::string const& audience)
{
    if (aud.is_string())
        return aud.get_ref<std::string const&>() == audience;
    if (!aud.is_array())
        return false;
    return std::any_of(aud.begin(), aud.end(), [&](json const& item) {
        return item.is_string() && item.get_ref<std::string const&>() == audience;
    });
}

} // namespace

jwt_verdict check_jwt_claims(std::string_view payload, jwt_auth_config const& cfg,
                             wall_clock::time_point now, claims_pools& pools)
{
    auto const doc = json::parse(payload.begin(), payload.end(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return refuse("payload is not a JSON object");
    auto const now_s = std::chrono::duration_cast<seconds_double>(now.time_since_epoch()).count();
    auto const leeway = std::chrono::duration_cast<seconds_double>(cfg.leeway).count();

    // A token without an end would open streams for ever: exp is required (SPEC §2.2a).
    auto const exp = doc.find("exp");
    if (exp == doc.end())
        return refuse("no exp");
    if (!exp->is_number())
        return refuse("exp is not a number");
    auto const expires = std::min(exp->get<double>(), latest_time);
    if (now_s >= expires + leeway)
        return refuse("expired");
    if (auto const nbf = doc.find("nbf"); nbf != doc.end()) {
        if (!nbf->is_number())
            return refuse("nbf is not a number");
        if (now_s + leeway < nbf->get<double>())
            return refuse("not yet valid");
    }
    if (!cfg.issuer.empty()) {
        auto const iss = doc.find("iss");
        if (iss == doc.end() || !iss->is_string() ||
            iss->get_ref<std::string const&>() != cfg.issuer)
            return refuse("wrong issuer");
    }
    if (!cfg.audience.empty()) {
        auto const aud = doc.find("aud");
        if (aud == doc.end() || !names_audience(*aud, cfg.audience))
            return refuse("wrong audience");
    }
    auto const user = doc.find(cfg.user_claim);
    auto user_id = user == doc.end() ? std::nullopt : user_id_of(*user);
    if (!user_id)
        return refuse("no user id in " + cfg.user_claim);

    verified_jwt out;
    out.user_id = std::move(*user_id);
    out.claims =
        claims_in(payload, pointer_to(cfg.grants_claim), pointer_to(cfg.groups_claim), pools);
    out.claims.valid_until = wall_clock::time_point{
        std::chrono::duration_cast<wall_clock::duration>(seconds_double{expires})};
    return {std::move(out), {}};
}

jwt_verdict verify_jwt(std::string_view token, jwt_auth_config const& cfg,
                       wall_clock::time_point now, claims_pools& pools)
{
    if (!cfg.keys)
        return refuse("no keys loaded");
    auto parsed = parse_jwt(token);
    if (!parsed.parts)
        return refuse(std::move(parsed.refusal));
    // Only the loaded set is looked up: a kid never makes the daemon fetch or open anything.
    auto const* key = cfg.keys->find(parsed.parts->kid);
    if (!key)
        return refuse(parsed.parts->kid ? "unknown kid" : "no kid, and several keys");
    if (auto why = check_jwt_signature(*parsed.parts, *key))
        return refuse(std::move(*why));
    return check_jwt_claims(parsed.parts->payload, cfg, now, pools);
}

} // namespace sse_server
