// auth.methods and auth.jwt.* (SPEC §2.2a, §4): what the loader accepts and refuses, what a
// reload of a rotated key file applies, and which credential each method makes of a request.
#include "sse_server/auth/credentials.hpp"
#include "sse_server/config/config.hpp"
#include "sse_server/config/config_report.hpp"
#include "sse_server/config/jwt_keys.hpp"
#include "support/test_jwt.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

namespace sse_server {
namespace {

using testing::test_key;
using testing::test_key_type;
using json = nlohmann::json;

std::string refusal(std::string_view text)
{
    try {
        parse_config(text);
    } catch (config_error const& error) {
        return error.what();
    }
    return "<accepted>";
}

/** A file holding `text`, removed with the object. */
class key_file
{
public:
    explicit key_file(std::string const& text)
        : path_(std::filesystem::temp_directory_path() /
                ("sse-jwt-key-" + std::to_string(::getpid()) + "-" + std::to_string(++count_)))
    {
        write(text);
    }
    ~key_file() { std::filesystem::remove(path_); }
    key_file(key_file const&) = delete;
    key_file& operator=(key_file const&) = delete;
    void write(std::string const& text) const
    {
        std::ofstream(path_, std::ios::binary | std::ios::trunc) << text;
    }
    std::string path() const { return path_.string(); }

private:
    static inline int count_ = 0;
    std::filesystem::path path_;
};

std::string const secret = "0123456789abcdef0123456789abcdef";

TEST(jwt_config, the_methods_default_to_api_keys_and_sessions)
{
    auto const cfg = parse_config("");
    EXPECT_EQ(cfg.auth.methods,
              (std::vector<auth_method>{auth_method::api_key, auth_method::session}));
    EXPECT_FALSE(cfg.auth.jwt.keys);
    EXPECT_EQ(cfg.auth.jwt.user_claim, "sub");
    EXPECT_EQ(cfg.auth.jwt.leeway, std::chrono::seconds{30});
}

TEST(jwt_config, unknown_repeated_or_missing_methods_and_a_hook_without_url_are_refused)
{
    EXPECT_NE(refusal("[auth]\nmethods = [\"hook\"]\n").find("\"hook\" needs auth.hook.url"),
              std::string::npos);
    EXPECT_NE(refusal("[auth]\nmethods = [\"ldap\"]\n").find("expected \"api_key\""),
              std::string::npos);
    EXPECT_NE(refusal("[auth]\nmethods = [\"session\", \"session\"]\n").find("listed twice"),
              std::string::npos);
    EXPECT_NE(refusal("[auth]\nmethods = []\n").find("at least one"), std::string::npos);
    EXPECT_EQ(refusal(R"([auth]
methods = ["jwt"]
)"),
              R"(auth.methods: "jwt" needs auth.jwt.key_file or auth.jwt.secret_file )"
              "(the keys that verify tokens)");
}

TEST(jwt_config, keys_come_from_a_pem_a_jwks_or_a_secret_and_a_bad_file_is_named)
{
    test_key const ec(test_key_type::ec_p256);
    key_file const pem(ec.public_pem());
    key_file const jwks(json{{"keys", {ec.jwk("a")}}}.dump());
    key_file const hmac(secret + "\n");
    key_file const junk("not a key\n");
    auto const with = [](std::string const& key, std::string const& path) {
        return "[auth]\nmethods = [\"jwt\"]\n[auth.jwt]\n" + key + " = \"" + path + "\"\n";
    };
    auto const from_pem = parse_config(with("key_file", pem.path()));
    ASSERT_TRUE(from_pem.auth.jwt.keys);
    EXPECT_EQ(from_pem.auth.jwt.keys->keys.front().type, jwt_key_type::ec_p256);
    EXPECT_EQ(parse_config(with("key_file", jwks.path())).auth.jwt.keys->keys.front().kid, "a");
    EXPECT_EQ(parse_config(with("secret_file", hmac.path())).auth.jwt.keys->keys.front().secret,
              secret);
    EXPECT_EQ(refusal(with("key_file", junk.path())),
              "auth.jwt.key_file: \"" + junk.path() +
                  "\": neither a PEM public key (-----BEGIN PUBLIC KEY-----) nor a JWKS document "
                  "({\"keys\":[...]})");
    EXPECT_NE(refusal(with("key_file", pem.path()) + "secret_file = \"" + hmac.path() + "\"\n")
                  .find("not both"),
              std::string::npos);
    EXPECT_NE(refusal(with("secret_file", junk.path())).find("at least 32 bytes"),
              std::string::npos);
    EXPECT_NE(refusal(with("key_file", "/nonexistent/key.pem")).find("cannot read"),
              std::string::npos);
}

TEST(jwt_config, a_token_cookie_of_the_session_cookies_name_is_refused)
{
    key_file const hmac(secret);
    EXPECT_NE(refusal("[auth]\nmethods = [\"jwt\", \"session\"]\n[auth.jwt]\nsecret_file = \"" +
                      hmac.path() + "\"\ncookie = \"sid\"\n")
                  .find("auth.jwt.cookie: must differ"),
              std::string::npos);
}

TEST(jwt_config, a_key_file_rotated_in_place_is_applied_by_a_reload)
{
    test_key const old_key(test_key_type::ed25519);
    test_key const new_key(test_key_type::ed25519);
    key_file const file(json{{"keys", {old_key.jwk("old")}}}.dump());
    auto const text =
        "[auth]\nmethods = [\"jwt\"]\n[auth.jwt]\nkey_file = \"" + file.path() + "\"\n";
    auto running = parse_config(text);
    file.write(json{{"keys", {old_key.jwk("old"), new_key.jwk("new")}}}.dump());
    auto const fresh = parse_config(text);
    auto const outcome = apply_reloadable(running, fresh);
    EXPECT_EQ(outcome.applied, std::vector<std::string>{"auth.jwt.key_file"});
    EXPECT_TRUE(outcome.need_restart.empty());
    ASSERT_EQ(running.auth.jwt.keys->keys.size(), 2u);
    EXPECT_TRUE(running.auth.jwt.keys->find("new"));

    // The same contents again: nothing to say.
    EXPECT_TRUE(apply_reloadable(running, parse_config(text)).applied.empty());
}

credential_sources bearer(std::string_view authorization)
{
    credential_sources sources;
    sources.authorization = authorization;
    return sources;
}

auth_config methods(std::vector<auth_method> ways)
{
    auth_config auth;
    auth.methods = std::move(ways);
    return auth;
}

std::string const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl";

TEST(jwt_credentials, a_compact_jws_after_bearer_is_a_token_only_when_jwt_is_a_method)
{
    auto const as_token = extract_credential(bearer("Bearer " + token),
                                             methods({auth_method::jwt, auth_method::api_key}));
    ASSERT_TRUE(as_token.found);
    EXPECT_EQ(as_token.found->kind, credential_kind::jwt);
    EXPECT_EQ(as_token.found->secret, token);

    auto const as_key = extract_credential(bearer("Bearer " + token), auth_config{});
    ASSERT_TRUE(as_key.found) << "without jwt, it is an API key as before";
    EXPECT_EQ(as_key.found->kind, credential_kind::api_key);

    auto const key = extract_credential(bearer("Bearer k-42"),
                                        methods({auth_method::jwt, auth_method::api_key}));
    ASSERT_TRUE(key.found);
    EXPECT_EQ(key.found->kind, credential_kind::api_key);
}

TEST(jwt_credentials, without_api_keys_a_bearer_that_is_no_token_is_refused_not_skipped)
{
    auto sources = bearer("Bearer k-42");
    sources.cookie_headers = {"sid=abc"};
    auto const result =
        extract_credential(sources, methods({auth_method::jwt, auth_method::session}));
    EXPECT_FALSE(result.found);
    EXPECT_EQ(result.refusal, "bearer token is not a JWT");
}

TEST(jwt_credentials, the_sources_of_a_method_not_listed_are_not_read)
{
    credential_sources sources;
    sources.api_key_header = "k-42";
    sources.cookie_headers = {"sid=abc"};
    auto const session = extract_credential(sources, methods({auth_method::session}));
    ASSERT_TRUE(session.found);
    EXPECT_EQ(session.found->kind, credential_kind::session);
    auto const none = extract_credential(bearer("Bearer k-42"), methods({auth_method::session}));
    EXPECT_EQ(none.refusal, "no credentials");
    sources.api_key_header.reset();
    EXPECT_EQ(extract_credential(sources, methods({auth_method::api_key})).refusal,
              "no credentials");
}

TEST(jwt_credentials, the_token_cookie_comes_before_the_session_cookie)
{
    auto auth = methods({auth_method::jwt, auth_method::session});
    auth.jwt.cookie = "token";
    credential_sources sources;
    std::string const both = "sid=abc; token=" + token;
    sources.cookie_headers = {both};
    auto const result = extract_credential(sources, auth);
    ASSERT_TRUE(result.found);
    EXPECT_EQ(result.found->kind, credential_kind::jwt);
    sources.cookie_headers = {"sid=abc; token=not-a-token"};
    EXPECT_EQ(extract_credential(sources, auth).refusal, "malformed token cookie");
    sources.cookie_headers = {"sid=abc"};
    EXPECT_EQ(extract_credential(sources, auth).found->kind, credential_kind::session);
}

} // namespace
} // namespace sse_server
