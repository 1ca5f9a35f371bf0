#pragma once

#include "options.hpp"

#include <memory>
#include <openssl/types.h>
#include <string>

namespace sse_server::bench {

/** Signs the bench's tokens as an app would: a compact JWS whose payload is {"sub", "exp"},
    HS256 (HMAC-SHA256 under a secret) or RS256 (RSASSA-PKCS1-v1_5 with SHA-256, OpenSSL's
    EVP_DigestSign). Tokens are made before the streams connect: signing is not measured. */
class jwt_signer
{
public:
    /** Loads the key: for HS256 the secret file's bytes less a final newline (as the daemon
        reads auth.jwt.secret_file), for RS256 a PEM private key. Throws std::runtime_error
        when the file cannot be read or holds no usable key. */
    jwt_signer(jwt_algorithm alg, std::string const& key_file);

    /** A token for user `subject`, valid until `expires` (seconds since the epoch). */
    std::string token(std::string const& subject, long long expires) const;

private:
    std::string signature(std::string const& input) const;

    jwt_algorithm alg_;
    std::string secret_;             // HS256
    std::shared_ptr<EVP_PKEY> key_;  // RS256
};

} // namespace sse_server::bench
