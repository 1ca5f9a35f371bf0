#pragma once

#include "sse_server/config/config.hpp"
#include "sse_server/config/jwt_keys.hpp"
#include "sse_server/rights/claims.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

// Signed tokens (SPEC §2.2a): a compact JWS verified against the loaded keys, then its claims.
// The token comes from a peer nobody has authenticated yet: its size is bounded before anything
// is decoded, each step is linear in it, and a refusal says why in a few words (for the debug
// log) without repeating the token.

namespace sse_server {

using wall_clock = std::chrono::system_clock;

/** A token longer than this is refused before any decoding. */
inline constexpr std::size_t max_jwt_size = std::size_t{8} * 1024;

/** The algorithms a token may name (RFC 7518). Anything else, `none` included, is refused. */
enum class jwt_alg
{
    rs256,
    ps256,
    es256,
    eddsa,
    hs256
};

/** The parts of a compact JWS, decoded: what its signature covers, and what it says. */
struct jwt_parts
{
    jwt_alg alg = jwt_alg::hs256;
    std::optional<std::string> kid;
    std::string_view signed_part; // "<header>.<payload>", as received: what is signed
    std::string payload;          // the decoded payload (JSON text), not yet trusted
    std::string signature;        // the decoded signature
};

/** A parsed token, or why it is not one. */
struct jwt_parse_result
{
    std::optional<jwt_parts> parts;
    std::string refusal;
};

/** True when `text` has the shape of a compact JWS: three base64url segments separated by
    dots, at most max_jwt_size bytes. What tells a token from an API key in a Bearer header. */
bool looks_like_jwt(std::string_view text);

/** Splits and decodes a compact JWS and reads its header (`alg`, `kid`, `typ`, no `crit`).
    Nothing is trusted yet. Pure. */
jwt_parse_result parse_jwt(std::string_view token);

/** Whether `signature` over `signed_part` verifies with `key` under `alg`. The algorithm must
    fit the key (RS256/PS256 an RSA key, ES256 a P-256 key, EdDSA an Ed25519 key, HS256 a
    secret; a JWK's own "alg" narrows it): anything else is a refusal. Empty when verified. */
std::optional<std::string> check_jwt_signature(jwt_parts const& parts, jwt_key const& key);

/** What a verified token says. */
struct verified_jwt
{
    std::string user_id;
    sse_server::claims claims; // valid_until is the token's exp
};

/** The verdict on a token: who it is for, or why it is refused. */
struct jwt_verdict
{
    std::optional<verified_jwt> token;
    std::string refusal; // for the debug log: "expired", "bad signature", … never the token
};

/** The whole check of SPEC §2.2a at `now`: shape, key (by kid, among the loaded set only),
    signature, then exp (required), nbf, iss, aud with cfg.leeway, the user id at
    cfg.user_claim (a string, or an integer: 42 and "42" are one user, as for sessions) and
    the claims at grants_claim / groups_claim (the rules of claims_in, interned in `pools`).
    Pure as far as its callers can tell. */
jwt_verdict verify_jwt(std::string_view token, jwt_auth_config const& cfg,
                       wall_clock::time_point now, claims_pools& pools);

/** The claims of a verified payload (JSON text): exp, nbf, iss, aud, the user id and the
    rights. Separate from the signature so that each rule is tested alone. Pure, as verify_jwt
    is. */
jwt_verdict check_jwt_claims(std::string_view payload, jwt_auth_config const& cfg,
                             wall_clock::time_point now, claims_pools& pools);

} // namespace sse_server
