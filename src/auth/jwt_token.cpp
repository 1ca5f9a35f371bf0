#include "sse_server/auth/jwt.hpp"
#include "sse_server/base/base64url.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <utility>

// The compact serialization (RFC 7515 §7.1) and the JOSE header: nothing here is trusted yet.

namespace sse_server {

namespace {

using json = nlohmann::json;

struct segments
{
    std::string_view header;
    std::string_view payload;
    std::string_view signature;
};

std::optional<segments> split(std::string_view token)
{
    if (token.size() > max_jwt_size)
        return std::nullopt;
    auto const first = token.find('.');
    if (first == std::string_view::npos)
        return std::nullopt;
    auto const second = token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
        return std::nullopt;
    segments s{token.substr(0, first), token.substr(first + 1, second - first - 1),
               token.substr(second + 1)};
    if (!is_base64url(s.header) || !is_base64url(s.payload) || !is_base64url(s.signature))
        return std::nullopt;
    return s;
}

constexpr std::array<std::pair<std::string_view, jwt_alg>, 5> algorithms{{
    {"RS256", jwt_alg::rs256},
    {"PS256", jwt_alg::ps256},
    {"ES256", jwt_alg::es256},
    {"EdDSA", jwt_alg::eddsa},
    {"HS256", jwt_alg::hs256},
}};

bool iequals(std::string_view a, std::string_view b)
{
    auto const lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [&](char x, char y) { return lower(x) == lower(y); });
}

jwt_parse_result refuse(std::string why)
{
    return {std::nullopt, std::move(why)};
}

} // namespace

bool looks_like_jwt(std::string_view text)
{
    return split(text).has_value();
}

jwt_parse_result parse_jwt(std::string_view token)
{
    if (token.size() > max_jwt_size)
        return refuse("token too long");
    auto const parts = split(token);
    if (!parts)
        return refuse("not a compact JWS");
    // Every decoded size is bounded by the token's, itself bounded.
    auto header_text = decode_base64url(parts->header, max_jwt_size);
    auto payload = decode_base64url(parts->payload, max_jwt_size);
    auto signature = decode_base64url(parts->signature, max_jwt_size);
    if (!header_text || !payload || !signature)
        return refuse("bad base64url");

    auto const header = json::parse(*header_text, nullptr, false);
    if (header.is_discarded() || !header.is_object())
        return refuse("header is not a JSON object");
    auto const alg_member = header.find("alg");
    if (alg_member == header.end() || !alg_member->is_string())
        return refuse("no alg");
    auto const& alg = alg_member->get_ref<std::string const&>();
    // "none" is an algorithm too (RFC 7518 §3.6): an unsigned token is never accepted.
    auto const known = std::find_if(algorithms.begin(), algorithms.end(),
                                    [&](auto const& a) { return a.first == alg; });
    if (known == algorithms.end())
        return refuse(iequals(alg, "none") ? "alg none" : "unsupported alg");
    // RFC 7515 §4.1.11: an extension the verifier does not understand makes the token invalid;
    // this verifier understands none.
    if (header.contains("crit"))
        return refuse("crit header");
    if (auto const typ = header.find("typ"); typ != header.end()) {
        auto const ok = typ->is_string() && (iequals(typ->get_ref<std::string const&>(), "JWT") ||
                                             iequals(typ->get_ref<std::string const&>(), "at+jwt"));
        if (!ok)
            return refuse("typ is not JWT");
    }
    std::optional<std::string> kid;
    if (auto const k = header.find("kid"); k != header.end()) {
        if (!k->is_string())
            return refuse("kid is not a string");
        kid = k->get<std::string>();
    }
    jwt_parts out;
    out.alg = known->second;
    out.kid = std::move(kid);
    out.signed_part = token.substr(0, parts->header.size() + 1 + parts->payload.size());
    out.payload = std::move(*payload);
    out.signature = std::move(*signature);
    return {std::move(out), {}};
}

} // namespace sse_server
