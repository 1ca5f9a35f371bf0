// Credentials of GET /events, cookie path first: extract_credential() must hand Redis only
// safe secrets (SPEC 2.2), honour the order of the sources (SPEC 2.1), and accept a session
// cookie only when an express-session signature by a configured secret verifies.
//
// Input: one byte of flags, then lines split on '\n' (no header value holds one):
//   line 0  a session id the harness signs; every "@@" in a Cookie header becomes its cookie
//   line 1  Authorization, line 2  X-API-Key, line 3  the decoded api_key query parameter
//   line 4… one Cookie header each
// The signatures are checked against HMAC-SHA256 computed here, not by credentials.cpp.

#include "require.hpp"
#include "sse_server/auth/credentials.hpp"
#include "sse_server/config/config.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

enum flag : unsigned
{
    secrets_set = 1u << 0,        // auth.session.secrets = {current, previous}
    sign_with_unknown = 1u << 1,  // "@@" is signed with a secret that is not configured
    sign_with_previous = 1u << 2, // … or with the second (rotated-out) secret
    url_encoded = 1u << 3,        // "@@" is written as express-session does: s%3A…
    connect_sid = 1u << 4,        // auth.session.cookie = "connect.sid" instead of "sid"
    has_authorization = 1u << 5,
    has_api_key_header = 1u << 6,
    has_api_key_query = 1u << 7, // allow_query follows the sid's length, see below
};

constexpr std::string_view placeholder = "@@";
std::string const current_secret = "keyboard cat";
std::string const previous_secret = "an older secret";

std::string base64_unpadded(unsigned char const* bytes, std::size_t size)
{
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::uint32_t bits = 0;
    int count = 0;
    for (std::size_t i = 0; i < size; ++i) {
        bits = (bits << 8) | bytes[i];
        count += 8;
        while (count >= 6) {
            count -= 6;
            out += alphabet[(bits >> count) & 0x3f];
        }
    }
    if (count > 0)
        out += alphabet[(bits << (6 - count)) & 0x3f];
    return out;
}

std::string reference_signature(std::string_view sid, std::string const& secret)
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int size = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<unsigned char const*>(sid.data()), sid.size(), mac.data(), &size);
    return base64_unpadded(mac.data(), size);
}

std::string_view trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

/** The first cookie `name` over all headers ("a=1; b=2"), trimmed, quotes removed. */
std::optional<std::string_view> reference_cookie(std::vector<std::string> const& headers,
                                                 std::string_view name)
{
    for (std::string_view header : headers) {
        std::size_t start = 0;
        while (start <= header.size()) {
            auto end = header.find(';', start);
            if (end == std::string_view::npos)
                end = header.size();
            auto const pair = header.substr(start, end - start);
            start = end + 1;
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

std::optional<std::string> reference_percent_decode(std::string_view text)
{
    auto const hex = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            return (c | 0x20) - 'a' + 10;
        return -1;
    };
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size() || hex(text[i + 1]) < 0 || hex(text[i + 2]) < 0)
            return std::nullopt;
        out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
        i += 2;
    }
    return out;
}

bool is_safe_secret(std::string_view secret)
{
    constexpr std::string_view allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                         "0123456789_.:+/=-";
    return !secret.empty() && secret.size() <= 256 &&
           secret.find_first_not_of(allowed) == std::string_view::npos;
}

/** The cookie value a browser sends for `sid`, signed as express-session signs it. */
std::string signed_cookie(std::string const& sid, std::string const& secret, bool encoded)
{
    auto const signature = reference_signature(sid, secret);
    if (!encoded)
        return "s:" + sid + "." + signature;
    std::string out = "s%3A" + sid + ".";
    for (char const c : signature)
        out += c == '+' ? std::string("%2B") : c == '/' ? std::string("%2F") : std::string(1, c);
    return out;
}

void replace_all(std::string& text, std::string_view from, std::string const& to)
{
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if (size == 0)
        return 0;
    unsigned const flags = data[0];
    std::string_view rest(reinterpret_cast<char const*>(data) + 1, size - 1);
    std::vector<std::string> lines;
    while (!rest.empty() || lines.size() < 4) {
        auto const end = rest.find('\n');
        lines.emplace_back(rest.substr(0, end));
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    }

    sse_server::auth_config auth;
    if (flags & secrets_set)
        auth.session.secrets = {current_secret, previous_secret};
    if (flags & connect_sid)
        auth.session.cookie = "connect.sid";
    // No flag bit left: let the session id's parity decide, which the fuzzer flips easily.
    auth.api_key.allow_query = lines[0].size() % 2 == 1;

    auto const& sid = lines[0];
    auto const& signer = (flags & sign_with_unknown)    ? std::string("not configured")
                         : (flags & sign_with_previous) ? previous_secret
                                                        : current_secret;
    auto const cookie_value = signed_cookie(sid, signer, (flags & url_encoded) != 0);
    std::vector<std::string> headers(lines.begin() + 4, lines.end());
    for (auto& header : headers)
        replace_all(header, placeholder, cookie_value);

    sse_server::credential_sources sources;
    if (flags & has_authorization)
        sources.authorization = lines[1];
    if (flags & has_api_key_header)
        sources.api_key_header = lines[2];
    if (flags & has_api_key_query)
        sources.api_key_query = lines[3];
    sources.cookie_headers.assign(headers.begin(), headers.end());

    auto const result = sse_server::extract_credential(sources, auth);

    if (!result.found) {
        FUZZ_REQUIRE(!result.refusal.empty());
    } else {
        auto const& found = *result.found;
        // Becomes part of a Redis key: never anything outside the credential alphabet.
        FUZZ_REQUIRE(is_safe_secret(found.secret));
        if (found.kind == sse_server::credential_kind::session) {
            // An earlier source, when present, decides instead of the cookie.
            FUZZ_REQUIRE(!sources.api_key_header);
            FUZZ_REQUIRE(!(sources.api_key_query && auth.api_key.allow_query));
            auto const raw = reference_cookie(headers, auth.session.cookie);
            FUZZ_REQUIRE(raw.has_value());
            auto const decoded = reference_percent_decode(*raw);
            FUZZ_REQUIRE(decoded.has_value());
            if (auth.session.secrets.empty()) {
                FUZZ_REQUIRE(found.secret == *decoded);
            } else {
                auto const signed_by = [&](std::string const& secret) {
                    return *decoded ==
                           "s:" + found.secret + "." + reference_signature(found.secret, secret);
                };
                FUZZ_REQUIRE(std::any_of(auth.session.secrets.begin(), auth.session.secrets.end(),
                                         signed_by));
            }
        }
    }

    // A correctly signed cookie, alone, is accepted when its session id is safe.
    bool const alone = !sources.authorization && !sources.api_key_header &&
                       !(sources.api_key_query && auth.api_key.allow_query);
    bool const signed_by_configured = (flags & secrets_set) && !(flags & sign_with_unknown);
    auto const raw = reference_cookie(headers, auth.session.cookie);
    if (alone && signed_by_configured && raw && *raw == cookie_value && is_safe_secret(sid)) {
        FUZZ_REQUIRE(result.found.has_value());
        FUZZ_REQUIRE(result.found->kind == sse_server::credential_kind::session);
        FUZZ_REQUIRE(result.found->secret == sid);
    }

    // Signing and verifying agree, and a secret not configured never verifies.
    FUZZ_REQUIRE(sse_server::sign_cookie(sid, current_secret) ==
                 signed_cookie(sid, current_secret, false));
    FUZZ_REQUIRE(sse_server::unsign_cookie(sse_server::sign_cookie(sid, previous_secret),
                                           {current_secret, previous_secret}) == sid);
    FUZZ_REQUIRE(!sse_server::unsign_cookie(sse_server::sign_cookie(sid, "not configured"),
                                            {current_secret, previous_secret}));
    return 0;
}
