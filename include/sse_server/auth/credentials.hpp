#pragma once

#include "sse_server/config/config.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sse_server {

/** Where a stream request may carry its credentials (each empty when absent). */
struct credential_sources
{
    std::optional<std::string_view> authorization; // the Authorization header
    std::optional<std::string_view> api_key_header; // X-API-Key
    std::optional<std::string_view> api_key_query;  // the decoded `api_key` query parameter
    std::vector<std::string_view> cookie_headers;   // every Cookie header, in order
    std::optional<std::string_view> origin = std::nullopt; // Origin: the auth hook is told it too
};

enum class credential_kind
{
    api_key,
    session,
    jwt, // a signed token, verified locally (SPEC §2.2a)
    hook // the request's headers, which the application's auth hook judges (SPEC §2.2a)
};

/** "api_key", "session", "jwt" or "hook": what the notification port may say of a stream's
    credential. */
std::string_view credential_kind_name(credential_kind kind);

/** A credential that is safe to look up: its secret only holds `[A-Za-z0-9_.:+/=-]`, or, for a
    token, has the shape of a compact JWS (base64url and two dots, at most 8 KiB), or, for the
    hook, is header lines with no control character in their values. */
struct credential
{
    credential_kind kind = credential_kind::session;
    // The API key, the session id without its signature, the token, or for the hook the
    // header lines it is sent ("Cookie: …\r\nOrigin: …\r\n"), kept to ask it again.
    std::string secret;
};

/** The credential to look up, or why the request gets a 401 without touching Redis. */
struct extracted_credential
{
    std::optional<credential> found;
    std::string refusal; // set when found is empty: "no credentials", "bad cookie signature", …
};

/** The token of an `Authorization: Bearer <token>` header value. The scheme is matched in any
    case and followed by spaces or tabs; whitespace around the token is dropped. Empty optional
    when the value uses another scheme ("Basic …", "Bearerx …"); an empty token when it is
    "Bearer" alone, which callers refuse rather than skip. The one Bearer parser: the clients
    port and the notification port (`notify.token`) both read the header with it. */
std::optional<std::string_view> bearer_token(std::string_view authorization);

/** SPEC §2.1 order: Bearer, X-API-Key, `api_key` query (only with allow_query), the token
    cookie (auth.jwt.cookie), session cookie, then (for the hook) any other cookie or an
    Authorization of another scheme; only those of the methods in auth.methods count.
    A Bearer value shaped as a compact JWS is a token when "jwt" is one of them, else an API
    key as before, else the hook's. X-API-Key is the hook's when "api_key" is not listed. The
    first one present decides; an invalid one never falls through to the next. A credential
    for the hook carries every header it is told (Cookie, Authorization, X-API-Key, Origin),
    whichever of them made it present. */
extracted_credential extract_credential(credential_sources const& sources, auth_config const& auth);

/** The header lines the auth hook is sent for a request: `Cookie` (all Cookie headers joined
    with "; "), `Authorization`, `X-API-Key`, `Origin`, each when present, values trimmed.
    Empty optional when a value holds a control character other than a tab (the lines are
    written into a request as they are). */
std::optional<std::string> hook_header_lines(credential_sources const& sources);

/** express-session / cookie-signature: `s:<sid>.<sig>`, sig = unpadded base64 of
    HMAC-SHA256(secret, sid). Returns the sid when any secret matches (constant-time compare). */
std::optional<std::string> unsign_cookie(std::string_view value,
                                         std::vector<std::string> const& secrets);

/** `s:<sid>.<sig>` for `sid` (what express-session sets, before URL encoding). */
std::string sign_cookie(std::string_view sid, std::string_view secret);

/** `[A-Za-z0-9_.:+/=-]{1,256}`: anything else never reaches Redis. */
bool is_valid_credential(std::string_view secret);

/** The Redis key holding `cred`: prefix + secret, or prefix + sha256 hex for hashed API keys. */
std::string redis_key_for(credential const& cred, auth_config const& auth);

/** Lowercase hex SHA-256. */
std::string sha256_hex(std::string_view data);

/** Equal contents, compared in time that does not depend on where they differ. */
bool constant_time_equal(std::string_view a, std::string_view b);

} // namespace sse_server
