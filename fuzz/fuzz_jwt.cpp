// Signed tokens (SPEC §2.2a): parse_jwt() and verify_jwt() take whatever an unauthenticated
// peer sends. They must refuse it with a reason, or accept it only when its HMAC-SHA256 (computed
// here, not by jwt_signature.cpp) verifies and its claims hold.
//
// Input: one byte of flags, then the token text.
//   bit 0  the harness signs the text as "<header>.<payload>" with the configured secret and
//          appends the signature, so that the claims' checks are reached
//   bit 1  issuer and audience are configured
//   bit 2  the key set is an Ed25519 public key instead of the secret (HS256 must then fail)

#include "require.hpp"
#include "sse_server/auth/jwt.hpp"
#include "sse_server/base/base64url.hpp"
#include "sse_server/config/jwt_keys.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string>
#include <string_view>

namespace {

std::string const secret = "a fuzzing secret of at least 32 bytes";
// An Ed25519 public key (RFC 8032 §7.1, test 1).
std::string const ed25519_pem = "-----BEGIN PUBLIC KEY-----\n"
                                "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
                                "-----END PUBLIC KEY-----\n";

std::string reference_hs256(std::string_view input)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int size = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<unsigned char const*>(input.data()), input.size(), mac.data(), &size);
    return {reinterpret_cast<char const*>(mac.data()), size};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if (size == 0)
        return 0;
    unsigned const flags = data[0];
    std::string token(reinterpret_cast<char const*>(data) + 1, size - 1);
    if (flags & 1u)
        token += "." + sse_server::encode_base64url(reference_hs256(token));

    static auto const secret_keys = sse_server::parse_jwt_secret(secret).keys;
    static auto const public_keys = sse_server::parse_jwt_public_keys(ed25519_pem).keys;
    FUZZ_REQUIRE(secret_keys && public_keys);
    sse_server::jwt_auth_config cfg;
    cfg.keys = (flags & 4u) ? public_keys : secret_keys;
    cfg.grants_claim = "grants";
    cfg.groups_claim = "groups";
    if (flags & 2u) {
        cfg.issuer = "https://app.example";
        cfg.audience = "sse";
    }
    auto const now = sse_server::wall_clock::time_point{std::chrono::seconds{1'800'000'000}};

    auto const parsed = sse_server::parse_jwt(token);
    if (!parsed.parts) {
        FUZZ_REQUIRE(!parsed.refusal.empty());
    } else {
        FUZZ_REQUIRE(token.size() <= sse_server::max_jwt_size);
        FUZZ_REQUIRE(sse_server::looks_like_jwt(token));
        FUZZ_REQUIRE(token.starts_with(parsed.parts->signed_part));
        FUZZ_REQUIRE(parsed.parts->payload.size() <= token.size());
    }

    sse_server::claims_pools pools;
    auto const verdict = sse_server::verify_jwt(token, cfg, now, pools);
    if (!verdict.token) {
        FUZZ_REQUIRE(!verdict.refusal.empty());
        // The reason is for a log line: a few words, never the token.
        FUZZ_REQUIRE(verdict.refusal.size() < 80 + cfg.user_claim.size());
        return 0;
    }
    // Accepted: a public key never verifies an HMAC, and the signature is the secret's.
    FUZZ_REQUIRE(!(flags & 4u));
    FUZZ_REQUIRE(parsed.parts && parsed.parts->alg == sse_server::jwt_alg::hs256);
    FUZZ_REQUIRE(parsed.parts->signature == reference_hs256(parsed.parts->signed_part));
    FUZZ_REQUIRE(!verdict.token->user_id.empty());
    FUZZ_REQUIRE(verdict.token->claims.valid_until.has_value());
    FUZZ_REQUIRE(*verdict.token->claims.valid_until + cfg.leeway > now);
    FUZZ_REQUIRE(verdict.token->claims.grants.size() <= sse_server::claims::max_grants);
    FUZZ_REQUIRE(verdict.token->claims.groups.size() <= sse_server::claims::max_groups);
    return 0;
}
