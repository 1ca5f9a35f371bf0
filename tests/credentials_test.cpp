#include "sse_server/auth/credentials.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

auth_config signed_sessions(std::vector<std::string> secrets = {"tobiiscool"})
{
    auth_config auth;
    auth.session.secrets = std::move(secrets);
    return auth;
}

credential_sources cookie_only(std::vector<std::string_view> headers)
{
    credential_sources sources;
    sources.cookie_headers = std::move(headers);
    return sources;
}

std::string secret_of(extracted_credential const& result)
{
    return result.found ? result.found->secret : "<refused: " + result.refusal + ">";
}

// The signature of "hello" under "tobiiscool", as published by the npm package cookie-signature.
std::string hello_signed()
{
    return "s:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI";
}

TEST(credentials, signature_matches_the_cookie_signature_package)
{
    EXPECT_EQ(sign_cookie("hello", "tobiiscool"), hello_signed());
    EXPECT_EQ(unsign_cookie(hello_signed(), {"tobiiscool"}), "hello");
}

TEST(credentials, bearer_beats_api_key_header_query_and_cookie)
{
    auth_config auth;
    auth.api_key.allow_query = true;
    credential_sources sources{
        "Bearer from-bearer", "from-header", "from-query", {"sid=from-cookie"}};
    auto const result = extract_credential(sources, auth);
    ASSERT_TRUE(result.found);
    EXPECT_EQ(result.found->kind, credential_kind::api_key);
    EXPECT_EQ(result.found->secret, "from-bearer");
}

TEST(credentials, api_key_header_beats_query_and_cookie)
{
    auth_config auth;
    auth.api_key.allow_query = true;
    credential_sources sources{std::nullopt, "from-header", "from-query", {"sid=from-cookie"}};
    auto const result = extract_credential(sources, auth);
    ASSERT_TRUE(result.found);
    EXPECT_EQ(result.found->kind, credential_kind::api_key);
    EXPECT_EQ(result.found->secret, "from-header");
}

TEST(credentials, query_key_beats_cookie_when_allowed)
{
    auth_config auth;
    auth.api_key.allow_query = true;
    credential_sources sources{std::nullopt, std::nullopt, "from-query", {"sid=from-cookie"}};
    auto const result = extract_credential(sources, auth);
    ASSERT_TRUE(result.found);
    EXPECT_EQ(result.found->kind, credential_kind::api_key);
    EXPECT_EQ(result.found->secret, "from-query");
}

TEST(credentials, query_key_is_ignored_unless_allowed)
{
    auth_config auth;
    credential_sources with_cookie{std::nullopt, std::nullopt, "from-query", {"sid=from-cookie"}};
    auto const result = extract_credential(with_cookie, auth);
    ASSERT_TRUE(result.found);
    EXPECT_EQ(result.found->kind, credential_kind::session);
    EXPECT_EQ(result.found->secret, "from-cookie");

    credential_sources query_only{std::nullopt, std::nullopt, "from-query", {}};
    EXPECT_EQ(secret_of(extract_credential(query_only, auth)), "<refused: no credentials>");
}

TEST(credentials, cookie_is_a_session_when_nothing_else_is_present)
{
    auto const sources = cookie_only({"sid=abc123"});
    auto const result = extract_credential(sources, auth_config{});
    ASSERT_TRUE(result.found);
    EXPECT_EQ(result.found->kind, credential_kind::session);
    EXPECT_EQ(result.found->secret, "abc123");
}

TEST(credentials, invalid_bearer_does_not_fall_through_to_valid_cookie)
{
    auto const auth = signed_sessions();
    auto const cookie = "sid=" + hello_signed();
    credential_sources sources{"Bearer bad*key", std::nullopt, std::nullopt, {cookie}};
    auto const result = extract_credential(sources, auth);
    EXPECT_FALSE(result.found);
    EXPECT_EQ(result.refusal, "malformed credentials");
}

TEST(credentials, empty_bearer_token_is_refused_not_skipped)
{
    for (std::string_view header : {"Bearer", "Bearer   ", "bearer "}) {
        credential_sources sources{header, "good-key", std::nullopt, {"sid=abc"}};
        auto const result = extract_credential(sources, auth_config{});
        EXPECT_FALSE(result.found) << header;
        EXPECT_EQ(result.refusal, "empty bearer token") << header;
    }
}

TEST(credentials, bearer_scheme_is_case_insensitive_and_allows_several_spaces)
{
    for (std::string_view header : {"bearer k1", "BEARER k1", "Bearer    k1", "Bearer k1  "}) {
        credential_sources sources{header, std::nullopt, std::nullopt, {}};
        EXPECT_EQ(secret_of(extract_credential(sources, auth_config{})), "k1") << header;
    }
}

TEST(credentials, a_tab_after_bearer_is_a_bearer_credential_not_another_scheme)
{
    credential_sources sources{"Bearer\tk1", std::nullopt, std::nullopt, {"sid=abc"}};
    EXPECT_EQ(secret_of(extract_credential(sources, auth_config{})), "k1");
}

TEST(credentials, an_invalid_key_after_bearer_and_a_tab_is_refused_not_skipped)
{
    auto const auth = signed_sessions();
    auto const cookie = "sid=" + hello_signed();
    credential_sources sources{"Bearer\tbad*key", std::nullopt, std::nullopt, {cookie}};
    auto const result = extract_credential(sources, auth);
    EXPECT_FALSE(result.found);
    EXPECT_EQ(result.refusal, "malformed credentials");
}

TEST(bearer_token, the_token_follows_the_scheme_in_any_case_after_spaces_or_tabs)
{
    for (std::string_view header :
         {"bearer x", "BEARER x", "Bearer\tx", "Bearer \t x", "Bearer x \t", " Bearer x"})
        EXPECT_EQ(bearer_token(header), std::optional<std::string_view>{"x"}) << header;
}

TEST(bearer_token, the_scheme_alone_gives_an_empty_token)
{
    for (std::string_view header : {"Bearer", "Bearer   ", "bearer\t", "BEARER \t "})
        EXPECT_EQ(bearer_token(header), std::optional<std::string_view>{""}) << header;
}

TEST(bearer_token, other_schemes_give_no_token)
{
    for (std::string_view header :
         {"Bearerx", "Bearerx abc", "Basic abc", "Digest x", "", "Bear x"})
        EXPECT_EQ(bearer_token(header), std::nullopt) << header;
}

TEST(credentials, other_authorization_schemes_count_as_absent)
{
    for (std::string_view header : {"Basic dXNlcjpwYXNz", "Bearerx k1", "Digest x"}) {
        credential_sources sources{header, std::nullopt, std::nullopt, {"sid=abc"}};
        auto const result = extract_credential(sources, auth_config{});
        ASSERT_TRUE(result.found) << header;
        EXPECT_EQ(result.found->kind, credential_kind::session);
        EXPECT_EQ(result.found->secret, "abc");
    }
}

TEST(credentials, nothing_present_is_no_credentials)
{
    auto const sources = cookie_only({"other=1; sidx=2"});
    auto const result = extract_credential(sources, auth_config{});
    EXPECT_FALSE(result.found);
    EXPECT_EQ(result.refusal, "no credentials");
}

TEST(credentials, empty_api_key_header_is_refused_not_skipped)
{
    credential_sources sources{std::nullopt, "", std::nullopt, {"sid=abc"}};
    EXPECT_EQ(secret_of(extract_credential(sources, auth_config{})),
              "<refused: malformed credentials>");
}

TEST(credentials, cookie_is_found_by_exact_name_in_any_cookie_header)
{
    auth_config auth;
    auth.session.cookie = "connect.sid";
    auto const sources = cookie_only({"a=1; b=2", "xconnect.sid=no; connect.sid=yes; c=3"});
    EXPECT_EQ(secret_of(extract_credential(sources, auth)), "yes");
}

TEST(credentials, first_cookie_of_the_name_wins)
{
    auto const sources = cookie_only({"sid=first", "sid=second"});
    EXPECT_EQ(secret_of(extract_credential(sources, auth_config{})), "first");
    auto const same_header = cookie_only({"sid=one;sid=two"});
    EXPECT_EQ(secret_of(extract_credential(same_header, auth_config{})), "one");
}

TEST(credentials, quoted_cookie_value_is_unwrapped)
{
    auto const sources = cookie_only({"sid=\"abc\""});
    EXPECT_EQ(secret_of(extract_credential(sources, auth_config{})), "abc");
}

TEST(credentials, signed_cookie_gives_the_session_id)
{
    auto const cookie = "sid=" + hello_signed();
    auto const sources = cookie_only({cookie});
    auto const result = extract_credential(sources, signed_sessions());
    ASSERT_TRUE(result.found);
    EXPECT_EQ(result.found->kind, credential_kind::session);
    EXPECT_EQ(result.found->secret, "hello");
}

TEST(credentials, url_encoded_signed_cookie_as_express_sends_it_is_accepted)
{
    auto const sources =
        cookie_only({"sid=s%3Ahello.DGDUkGlIkCzPz%2BC0B064FNgHdEjox7ch8tOBGslZ5QI"});
    EXPECT_EQ(secret_of(extract_credential(sources, signed_sessions())), "hello");
}

TEST(credentials, tampered_signature_is_refused)
{
    auto const sources = cookie_only({"sid=s:hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QJ"});
    auto const result = extract_credential(sources, signed_sessions());
    EXPECT_FALSE(result.found);
    EXPECT_EQ(result.refusal, "bad cookie signature");
}

TEST(credentials, tampered_session_id_is_refused)
{
    auto const sources = cookie_only({"sid=s:hellp.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI"});
    EXPECT_EQ(secret_of(extract_credential(sources, signed_sessions())),
              "<refused: bad cookie signature>");
}

TEST(credentials, cookie_signed_with_an_older_secret_is_accepted)
{
    auto const cookie = "sid=" + sign_cookie("sess-42", "old-secret");
    auto const sources = cookie_only({cookie});
    EXPECT_EQ(secret_of(extract_credential(sources, signed_sessions({"new-secret", "old-secret"}))),
              "sess-42");
    EXPECT_EQ(secret_of(extract_credential(sources, signed_sessions({"new-secret"}))),
              "<refused: bad cookie signature>");
}

TEST(credentials, signed_mode_refuses_a_value_without_the_s_prefix)
{
    auto const cookie = "sid=" + hello_signed().substr(2);
    auto const sources = cookie_only({cookie});
    EXPECT_EQ(secret_of(extract_credential(sources, signed_sessions())),
              "<refused: bad cookie signature>");
    EXPECT_FALSE(unsign_cookie("hello", {"tobiiscool"}));
    EXPECT_FALSE(unsign_cookie("s:hello", {"tobiiscool"}));
}

TEST(credentials, session_id_containing_dots_is_split_at_the_last_one)
{
    auto const cookie = sign_cookie("a.b.c", "k");
    EXPECT_EQ(unsign_cookie(cookie, {"k"}), "a.b.c");
}

TEST(credentials, unsigned_mode_takes_the_raw_value)
{
    auto const cookie = "sid=" + hello_signed();
    auto const sources = cookie_only({cookie});
    EXPECT_EQ(secret_of(extract_credential(sources, auth_config{})), hello_signed());
}

TEST(credentials, malformed_secrets_are_refused_before_any_lookup)
{
    for (auto const& bad :
         std::vector<std::string>{"a b", "a\"b", "a\nb", "a*b", std::string(257, 'k')}) {
        credential_sources sources{std::nullopt, bad, std::nullopt, {}};
        auto const result = extract_credential(sources, auth_config{});
        EXPECT_FALSE(result.found) << bad;
        EXPECT_EQ(result.refusal, "malformed credentials");
    }
    EXPECT_TRUE(is_valid_credential(std::string(256, 'k')));
    EXPECT_TRUE(is_valid_credential("Az09_.:+/=-"));
}

TEST(credentials, malformed_session_id_inside_a_valid_signature_is_refused)
{
    auto const cookie = "sid=" + sign_cookie("a*b", "k");
    auto const sources = cookie_only({cookie});
    EXPECT_EQ(secret_of(extract_credential(sources, signed_sessions({"k"}))),
              "<refused: malformed credentials>");
}

TEST(credentials, url_encoded_space_in_a_cookie_is_refused)
{
    auto const sources = cookie_only({"sid=a%20b"});
    EXPECT_EQ(secret_of(extract_credential(sources, auth_config{})),
              "<refused: malformed credentials>");
}

TEST(credentials, refusal_never_repeats_the_credential)
{
    credential_sources sources{"Bearer secret*value", std::nullopt, std::nullopt, {}};
    auto const result = extract_credential(sources, auth_config{});
    EXPECT_EQ(result.refusal.find("secret"), std::string::npos);
}

TEST(credentials, redis_key_uses_the_configured_prefixes)
{
    auth_config auth;
    auth.session.key_prefix = "myapp:sess:";
    EXPECT_EQ(redis_key_for({credential_kind::session, "abc"}, auth), "myapp:sess:abc");
    EXPECT_EQ(redis_key_for({credential_kind::api_key, "abc"}, auth), "apikey:abc");
}

TEST(credentials, hashed_api_keys_are_looked_up_by_sha256_hex)
{
    auth_config auth;
    auth.api_key.hash = key_hash::sha256;
    EXPECT_EQ(redis_key_for({credential_kind::api_key, "abc"}, auth),
              "apikey:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // Session ids are never hashed: express-session stores them as they are.
    EXPECT_EQ(redis_key_for({credential_kind::session, "abc"}, auth), "sess:abc");
}

TEST(credentials, sha256_hex_matches_known_vectors)
{
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(credentials, constant_time_equal_compares_contents_and_length)
{
    EXPECT_TRUE(constant_time_equal("abc", "abc"));
    EXPECT_TRUE(constant_time_equal("", ""));
    EXPECT_FALSE(constant_time_equal("abc", "abd"));
    EXPECT_FALSE(constant_time_equal("abc", "abcd"));
    // A truncated signature never matches, whatever lies past its end.
    EXPECT_FALSE(constant_time_equal("abc", std::string_view("abc").substr(0, 2)));
}

} // namespace
} // namespace sse_server
