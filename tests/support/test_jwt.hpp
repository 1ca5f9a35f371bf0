#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <openssl/types.h>
#include <optional>
#include <string>
#include <string_view>

// Keys made at run time and tokens signed with them, as an issuer would (OpenSSL's EVP): what
// the verifier's tests and the daemon's tests present. Nothing here is the daemon's code.

namespace sse_server::testing {

enum class test_key_type
{
    rsa,
    ec_p256,
    ed25519
};

/** A fresh key pair of `type`: its public half as PEM and as a JWK, and signatures. */
class test_key
{
public:
    explicit test_key(test_key_type type, unsigned rsa_bits = 2048);

    std::string public_pem() const;
    /** The public JWK, with `kid` when not empty. */
    nlohmann::json jwk(std::string const& kid = {}) const;
    /** The JOSE signature (ES256: r||s) of `input` under `alg` ("RS256", "PS256", "ES256",
        "EdDSA"); the algorithm is not checked against the key, so mismatches can be made. */
    std::string sign(std::string_view alg, std::string_view input) const;

private:
    test_key_type type_;
    std::shared_ptr<EVP_PKEY> key_;
};

/** HMAC-SHA256 of `input` under `secret`. */
std::string hs256_signature(std::string_view secret, std::string_view input);

/** "<b64 header>.<b64 payload>": what gets signed. */
std::string signing_input(nlohmann::json const& header, nlohmann::json const& payload);

/** A compact JWS signed by `key` under `alg`; `kid` goes into the header when set. */
std::string sign_jwt(test_key const& key, std::string const& alg, nlohmann::json const& payload,
                     std::optional<std::string> const& kid = std::nullopt);

/** A compact JWS signed with HS256 under `secret`. */
std::string sign_jwt_hs256(std::string_view secret, nlohmann::json const& payload,
                           std::optional<std::string> const& kid = std::nullopt);

/** Seconds since the epoch, now plus `offset` seconds: for exp and nbf. */
long long epoch_seconds(long long offset = 0);

} // namespace sse_server::testing
