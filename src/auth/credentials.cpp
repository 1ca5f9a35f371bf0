#include "sse_server/auth/credentials.hpp"

#include "sse_server/auth/jwt.hpp"
#include "sse_server/base/hex.hpp"
#include "sse_server/base/text_split.hpp"
#include "sse_server/http/stream_request.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace sse_server {

std::string_view credential_kind_name(credential_kind kind)
{
    switch (kind) {
    case credential_kind::api_key:
        return "api_key";
    case credential_kind::session:
        return "session";
    case credential_kind::jwt:
        return "jwt";
    case credential_kind::hook:
        break;
    }
    return "hook";
}

namespace {

constexpr std::string_view signed_prefix = "s:";

bool iequals(std::string_view a, std::string_view b)
{
    auto const lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [&](char x, char y) { return lower(x) == lower(y); });
}

/** The raw value of the first cookie called `name` over all Cookie headers, quotes removed. */
std::optional<std::string_view> find_cookie(std::vector<std::string_view> const& headers,
                                            std::string_view name)
{
    for (auto header : headers) {
        while (!header.empty()) {
            auto const end = header.find(';');
            auto const pair = header.substr(0, end);
            header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
            auto const eq = pair.find('=');
            if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name)
                continue;
            auto value = trim(pair.substr(eq + 1));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            return value;
        }
    }
    return std::nullopt;
}

std::string cookie_signature(std::string_view sid, std::string_view secret)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int mac_size = 0;
    // A null key pointer is an error for HMAC() even with length 0; an empty secret is not.
    unsigned char const no_key = 0;
    void const* key = secret.empty() ? static_cast<void const*>(&no_key) : secret.data();
    HMAC(EVP_sha256(), key, static_cast<int>(secret.size()),
         reinterpret_cast<unsigned char const*>(sid.data()), sid.size(), mac.data(), &mac_size);

    std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> encoded{};
    auto const length = EVP_EncodeBlock(encoded.data(), mac.data(), static_cast<int>(mac_size));
    std::string signature(reinterpret_cast<char const*>(encoded.data()),
                          static_cast<std::size_t>(length));
    while (!signature.empty() && signature.back() == '=')
        signature.pop_back();
    return signature;
}

extracted_credential accept(credential_kind kind, std::string secret)
{
    // Checked before any lookup: the secret becomes part of a Redis key.
    if (!is_valid_credential(secret))
        return {std::nullopt, "malformed credentials"};
    return {credential{kind, std::move(secret)}, {}};
}

extracted_credential from_cookie(std::string_view raw, session_auth_config const& session)
{
    auto decoded = percent_decode(raw);
    if (!decoded)
        return {std::nullopt, "malformed credentials"};
    if (session.secrets.empty())
        return accept(credential_kind::session, std::move(*decoded));
    auto sid = unsign_cookie(*decoded, session.secrets);
    if (!sid)
        return {std::nullopt, "bad cookie signature"};
    return accept(credential_kind::session, std::move(*sid));
}

extracted_credential from_hook(credential_sources const& sources)
{
    auto lines = hook_header_lines(sources);
    if (!lines)
        return {std::nullopt, "malformed credentials"};
    // Empty Cookie headers, and nothing else but perhaps an Origin: nothing to judge.
    if (lines->find("Origin: ") == 0 || lines->empty())
        return {std::nullopt, "no credentials"};
    return {credential{credential_kind::hook, std::move(*lines)}, {}};
}

extracted_credential from_bearer(std::string_view token, credential_sources const& sources,
                                 auth_config const& auth)
{
    if (token.empty())
        return {std::nullopt, "empty bearer token"};
    if (auth.allows(auth_method::jwt) && looks_like_jwt(token))
        return {credential{credential_kind::jwt, std::string(token)}, {}};
    if (auth.allows(auth_method::api_key))
        return accept(credential_kind::api_key, std::string(token));
    if (auth.allows(auth_method::hook))
        return from_hook(sources);
    return {std::nullopt, "bearer token is not a JWT"};
}

bool has_control(std::string_view value)
{
    return std::any_of(value.begin(), value.end(), [](char c) {
        return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
    });
}

} // namespace

std::optional<std::string_view> bearer_token(std::string_view authorization)
{
    authorization = trim(authorization);
    constexpr std::string_view scheme = "bearer";
    if (!iequals(authorization.substr(0, scheme.size()), scheme))
        return std::nullopt;
    auto const rest = authorization.substr(scheme.size());
    // RFC 9110 separates scheme and credentials with whitespace; "Bearerx abc" is another scheme.
    if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t')
        return std::nullopt;
    return trim(rest);
}

extracted_credential extract_credential(credential_sources const& sources, auth_config const& auth)
{
    // Another scheme (Basic for a proxy in front of us) is not ours to judge: it counts as absent.
    // A method that is not enabled leaves its source unread, as if absent.
    bool const api_keys = auth.allows(auth_method::api_key);
    bool const tokens = auth.allows(auth_method::jwt);
    bool const hooks = auth.allows(auth_method::hook);
    if (auto const token =
            sources.authorization ? bearer_token(*sources.authorization) : std::nullopt;
        token && (api_keys || tokens || hooks))
        return from_bearer(*token, sources, auth);
    if (sources.api_key_header && api_keys)
        return accept(credential_kind::api_key, std::string(trim(*sources.api_key_header)));
    if (sources.api_key_header && hooks)
        return from_hook(sources);
    // Keys in URLs end up in proxy logs and browser history: only when the operator opts in.
    if (sources.api_key_query && auth.api_key.allow_query && api_keys)
        return accept(credential_kind::api_key, std::string(*sources.api_key_query));
    if (!auth.jwt.cookie.empty() && tokens) {
        if (auto const raw = find_cookie(sources.cookie_headers, auth.jwt.cookie)) {
            if (!looks_like_jwt(*raw))
                return {std::nullopt, "malformed token cookie"};
            return {credential{credential_kind::jwt, std::string(*raw)}, {}};
        }
    }
    if (auth.allows(auth_method::session))
        if (auto const raw = find_cookie(sources.cookie_headers, auth.session.cookie))
            return from_cookie(*raw, auth.session);
    // The application's own session cookie, whatever its name, or a scheme it reads itself:
    // the hook judges them. A request with none of them is refused without asking it.
    if (hooks && (sources.authorization || !sources.cookie_headers.empty()))
        return from_hook(sources);
    return {std::nullopt, "no credentials"};
}

std::optional<std::string> hook_header_lines(credential_sources const& sources)
{
    std::string lines;
    bool clean = true;
    auto const add = [&](std::string_view name, std::string_view value) {
        value = trim(value);
        clean = clean && !has_control(value);
        lines.append(name).append(": ").append(value).append("\r\n");
    };
    if (!sources.cookie_headers.empty()) {
        std::string cookies;
        for (auto const header : sources.cookie_headers) {
            auto const pairs = trim(header);
            if (pairs.empty())
                continue;
            cookies.append(cookies.empty() ? "" : "; ").append(pairs);
        }
        if (!cookies.empty())
            add("Cookie", cookies);
    }
    if (sources.authorization)
        add("Authorization", *sources.authorization);
    if (sources.api_key_header)
        add("X-API-Key", *sources.api_key_header);
    if (sources.origin)
        add("Origin", *sources.origin);
    if (!clean)
        return std::nullopt;
    return lines;
}

std::optional<std::string> unsign_cookie(std::string_view value,
                                         std::vector<std::string> const& secrets)
{
    if (!value.starts_with(signed_prefix))
        return std::nullopt;
    value.remove_prefix(signed_prefix.size());
    auto const dot = value.rfind('.');
    if (dot == std::string_view::npos)
        return std::nullopt;
    auto const sid = value.substr(0, dot);
    auto const signature = value.substr(dot + 1);
    // Any listed secret verifies, so a new secret can be put first while old cookies live on.
    for (auto const& secret : secrets) {
        if (constant_time_equal(cookie_signature(sid, secret), signature))
            return std::string(sid);
    }
    return std::nullopt;
}

std::string sign_cookie(std::string_view sid, std::string_view secret)
{
    std::string value(signed_prefix);
    value += sid;
    value += '.';
    value += cookie_signature(sid, secret);
    return value;
}

bool is_valid_credential(std::string_view secret)
{
    if (secret.empty() || secret.size() > 256)
        return false;
    return std::all_of(secret.begin(), secret.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               std::string_view("_.:+/=-").find(c) != std::string_view::npos;
    });
}

std::string redis_key_for(credential const& cred, auth_config const& auth)
{
    if (cred.kind == credential_kind::session)
        return auth.session.key_prefix + cred.secret;
    if (auth.api_key.hash == key_hash::sha256)
        return auth.api_key.key_prefix + sha256_hex(cred.secret);
    return auth.api_key.key_prefix + cred.secret;
}

std::string sha256_hex(std::string_view data)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr);
    std::string text;
    append_hex(text, digest.data(), size);
    return text;
}

bool constant_time_equal(std::string_view a, std::string_view b)
{
    // The length is not secret (a signature's length is public); the contents are.
    if (a.size() != b.size())
        return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace sse_server
