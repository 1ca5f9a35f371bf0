#pragma once

#include <cstddef>
#include <memory>
#include <openssl/types.h>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The keys that verify signed tokens (SPEC §2.2a), as auth.jwt.key_file or secret_file give
// them. Parsed when the configuration is loaded (at start and at each reload), so that a key
// file that does not parse is refused with the key named, and a running daemon never reads a
// file per request. Immutable once loaded: every copy of the configuration shares them.

namespace sse_server {

/** What a key is, and so which one algorithm family it may verify. */
enum class jwt_key_type
{
    rsa,     // RS256, PS256
    ec_p256, // ES256
    ed25519, // EdDSA
    hmac     // HS256
};

struct jwt_key
{
    std::string kid; // empty: the key has none (a PEM key, a secret, a JWK without kid)
    jwt_key_type type = jwt_key_type::rsa;
    std::string alg; // a JWK's "alg": the only algorithm it verifies; empty: any that fits
    std::shared_ptr<EVP_PKEY> public_key; // every type but hmac
    std::string secret;                   // hmac
};

/** The loaded set. Only these keys are ever looked up: a token's `kid` picks one of them or
    none, never a file or a URL. */
struct jwt_keys
{
    std::vector<jwt_key> keys;
    std::string fingerprint; // SHA-256 of what was loaded: tells a reload that they changed

    /** The key a token's header names: the one with that `kid`; with no `kid`, the only key
        when there is one. A set of one key without a kid (a PEM key, a secret) serves every
        token, whatever its kid. Null otherwise. */
    jwt_key const* find(std::optional<std::string_view> kid) const;
};

/** Why a key text was refused, for a config_error (never the key material). */
struct jwt_keys_result
{
    std::shared_ptr<jwt_keys const> keys; // null when refused
    std::string error;
    std::vector<std::string> skipped; // JWKS members not used (an encryption key, an unknown
                                      // type), said as warnings
};

/** A PEM public key (RSA of at least 2048 bits, EC P-256, Ed25519) or a JWKS document
    (`{"keys":[…]}`, each with a distinct `kid` when there are several). */
jwt_keys_result parse_jwt_public_keys(std::string_view text);

/** An HMAC secret: the bytes of its file less one final line end; at least 32 bytes
    (RFC 7518 §3.2: a key as long as the hash). */
jwt_keys_result parse_jwt_secret(std::string_view text);

} // namespace sse_server
