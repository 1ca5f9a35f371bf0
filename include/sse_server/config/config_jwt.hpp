#pragma once

#include "sse_server/config/config.hpp"
#include "sse_server/config/config_setting.hpp"

// The readers of auth.methods and auth.jwt.* (SPEC §2.2a), and the checks that span them;
// part of the config loader's vocabulary, like config_setting.hpp.

namespace sse_server {

/** auth.methods: an array of "api_key", "session", "jwt", "hook". */
void auth_methods_in(config& c, setting const& value);

/** auth.jwt.key_file: a PEM public key or a JWKS document, parsed now. */
void jwt_key_file_in(config& c, setting const& value);

/** auth.jwt.secret_file: an HMAC secret; not with key_file. */
void jwt_secret_file_in(config& c, setting const& value);

/** A claim's name: any member name, not empty (`sub`, `https://example.com/roles`). */
std::string claim_name_in(setting const& value);

/** The same, or "" for a claim that is not read. */
std::string optional_claim_name_in(setting const& value);

/** After every key is read: "jwt" in auth.methods needs a key, "hook" a URL; a token cookie and
    a session cookie of one name cannot both be read. Throws config_error naming the key. */
void check_auth_methods(config& c);

} // namespace sse_server
