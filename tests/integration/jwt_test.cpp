// Signed tokens against the real daemon (SPEC §2.2a): each algorithm with keys made by the test,
// the refusals, claims, a stream ending at exp, JWKS rotation on reload, and the Bearer value
// that is not a token staying an API key. No Redis key exists for any token.
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/test_jwt.hpp"

#include <csignal>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

namespace sse_server::test {
namespace {

using sse_server::testing::epoch_seconds;
using sse_server::testing::sign_jwt;
using sse_server::testing::sign_jwt_hs256;
using sse_server::testing::signing_input;
using sse_server::testing::test_key;
using sse_server::testing::test_key_type;
using json = nlohmann::json;

std::string const secret = "a-secret-of-at-least-thirty-two-bytes!";

json claims_of(std::string const& user, long long expires_in = 600)
{
    return {{"sub", user},
            {"exp", epoch_seconds(expires_in)},
            {"iss", "https://app.example"},
            {"aud", "sse"}};
}

header_list bearer(std::string const& token)
{
    return {{"Authorization", "Bearer " + token}};
}

class jwt_test : public ::testing::Test
{
protected:
    /** A daemon whose key file holds `keys_text`, with "jwt" first in auth.methods. */
    void start(std::string const& keys_text, bool secret_file = false, std::string extra = "")
    {
        std::ofstream(key_path_, std::ios::trunc) << keys_text;
        auto const key_line = std::string(secret_file ? "secret_file" : "key_file") + " = \"" +
                              key_path_.string() + "\"\n";
        daemon_.emplace(
            daemon_config(redis_, "[auth]\nmethods = [\"jwt\", \"api_key\", \"session\"]\n" +
                                      extra + "[auth.jwt]\n" + key_line +
                                      "issuer = \"https://app.example\"\naudience = \"sse\"\n"
                                      "grants_claim = \"grants\"\ngroups_claim = \"groups\"\n"
                                      "cookie = \"token\"\n"
                                      "[events]\ngrants = [\"public:*\", \"team:{group}:*\"]\n"
                                      "[log]\nlevel = \"debug\"\n"));
    }

    sse_stream open(std::string const& events, header_list const& headers)
    {
        return sse_stream{daemon_->clients_port(), "/events?events=" + events, headers};
    }

    int status_of(std::string const& token) { return open("", bearer(token)).status(); }

    redis_server redis_;
    std::filesystem::path key_path_ =
        std::filesystem::path(::testing::TempDir()) /
        ("jwt-keys-" + std::to_string(::getpid()) + "-" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::optional<daemon_process> daemon_;
};

TEST_F(jwt_test, each_algorithm_opens_a_stream_with_no_redis_lookup)
{
    test_key const rsa(test_key_type::rsa);
    test_key const ec(test_key_type::ec_p256);
    test_key const ed(test_key_type::ed25519);
    start(json{{"keys", {rsa.jwk("r"), ec.jwk("e"), ed.jwk("d")}}}.dump());
    auto const tokens = {
        sign_jwt(rsa, "RS256", claims_of("1"), "r"), sign_jwt(rsa, "PS256", claims_of("2"), "r"),
        sign_jwt(ec, "ES256", claims_of("3"), "e"), sign_jwt(ed, "EdDSA", claims_of("4"), "d")};
    int user = 0;
    for (auto const& token : tokens) {
        auto s = open("public:news", bearer(token));
        ASSERT_EQ(s.status(), 200) << s.response().body;
        auto const hello = s.next_event_named("connected");
        ASSERT_TRUE(hello);
        EXPECT_NE(hello->data.find("\"user\":\"" + std::to_string(++user) + "\""),
                  std::string::npos)
            << hello->data;
    }
    // The cookie carries one too.
    EXPECT_EQ(
        open("", {{"Cookie", "token=" + sign_jwt(ed, "EdDSA", claims_of("5"), "d")}}).status(),
        200);
    EXPECT_TRUE(
        metric_becomes(daemon_->notify_port(), R"(sse_server_auth_total{outcome="ok"})", 5));
}

TEST_F(jwt_test, hs256_with_a_secret_file)
{
    start(secret + "\n", true);
    EXPECT_EQ(status_of(sign_jwt_hs256(secret, claims_of("7"))), 200);
    EXPECT_EQ(status_of(sign_jwt_hs256(secret + "!", claims_of("7"))), 401);
}

TEST_F(jwt_test, refused_tokens_are_401_and_counted_unauthorized)
{
    test_key const rsa(test_key_type::rsa);
    start(rsa.public_pem());
    auto const with = [&](json changes) {
        auto c = claims_of("1");
        if (changes.is_object())
            c.update(changes);
        return sign_jwt(rsa, "RS256", c);
    };
    auto const good = with({});
    auto forged = good;
    forged[forged.find('.') + 2] ^= 1; // a payload bit
    std::vector<std::string> const bad{
        with({{"exp", epoch_seconds(-120)}}),
        with({{"nbf", epoch_seconds(3600)}}),
        with({{"iss", "https://evil.example"}}),
        with({{"aud", "other"}}),
        signing_input(json{{"alg", "none"}}, claims_of("1")) + ".bm9uZQ",
        // HS256 "signed" with the public key's PEM: the classic confusion.
        sign_jwt_hs256(rsa.public_pem(), claims_of("1")),
        forged,
        "eyJhbGciOiJSUzI1NiJ9.garbage!.x",
    };
    for (auto const& token : bad) {
        auto s = open("", bearer(token));
        EXPECT_EQ(s.status(), 401) << token.substr(0, 60);
    }
    EXPECT_EQ(status_of(good), 200);
    EXPECT_TRUE(metric_becomes(daemon_->notify_port(),
                               R"(sse_server_auth_total{outcome="unauthorized"})",
                               static_cast<double>(bad.size())));
    EXPECT_TRUE(daemon_->wait_for_output("token refused: expired", 10s));
    EXPECT_EQ(daemon_->output().find(good.substr(good.rfind('.'))), std::string::npos)
        << "no token in the logs";
}

TEST_F(jwt_test, claims_grant_names_and_groups_receive_their_audience)
{
    test_key const ed(test_key_type::ed25519);
    start(ed.public_pem());
    auto c = claims_of("1");
    c["grants"] = {"inbox:{user}"};
    c["groups"] = {"acme"};
    auto const token = sign_jwt(ed, "EdDSA", c);
    auto refused = open("inbox:2", bearer(token));
    EXPECT_EQ(refused.status(), 403);
    EXPECT_EQ(refused.response().body, "events: \"inbox:2\" is not granted\n");
    EXPECT_EQ(open("inbox:1,team:acme:orders", bearer(token)).status(), 200);

    auto member = open("public:news", bearer(token));
    auto other = open("public:news", bearer(sign_jwt(ed, "EdDSA", claims_of("2"))));
    ASSERT_TRUE(member.next_event_named("connected"));
    ASSERT_TRUE(other.next_event_named("connected"));
    auto const r =
        post_notify(daemon_->notify_port(),
                    R"({"name":"public:news","type":"t","id":1,"audience":{"groups":["acme"]}})");
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_NE(r.body.find(R"("recipients":1)"), std::string::npos) << r.body;
    auto const e = member.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data, R"({"name":"public:news","type":"t","id":1})");
}

TEST_F(jwt_test, a_stream_ends_cleanly_at_the_tokens_exp)
{
    start(secret, true);
    auto s = open("public:news", bearer(sign_jwt_hs256(secret, claims_of("1", 2))));
    ASSERT_EQ(s.status(), 200);
    ASSERT_TRUE(s.next_event_named("connected"));
    EXPECT_TRUE(s.ends_cleanly(20s));
    EXPECT_TRUE(metric_becomes(daemon_->notify_port(),
                               R"(sse_server_connections_closed_total{reason="expired"})", 1));
}

TEST_F(jwt_test, a_rotated_jwks_applies_at_reload_and_revalidation_ends_streams_of_old_keys)
{
    test_key const old_key(test_key_type::ec_p256);
    test_key const new_key(test_key_type::ec_p256);
    start(json{{"keys", {old_key.jwk("2026-11")}}}.dump(), false, "revalidate_interval = \"1s\"\n");
    auto const old_token = sign_jwt(old_key, "ES256", claims_of("1"), "2026-11");
    auto const new_token = sign_jwt(new_key, "ES256", claims_of("1"), "2026-12");
    auto live = open("public:news", bearer(old_token));
    ASSERT_EQ(live.status(), 200);
    ASSERT_TRUE(live.next_event_named("connected"));
    EXPECT_EQ(status_of(new_token), 401) << "kid not in the set";

    // The new key is added: both verify.
    std::ofstream(key_path_, std::ios::trunc)
        << json{{"keys", {old_key.jwk("2026-11"), new_key.jwk("2026-12")}}}.dump();
    daemon_->signal(SIGHUP);
    ASSERT_TRUE(daemon_->wait_for_output("applied auth.jwt.key_file", 10s)) << daemon_->output();
    EXPECT_EQ(status_of(new_token), 200);
    EXPECT_EQ(status_of(old_token), 200);

    // The old key is removed: its tokens are refused, and its open stream ends at the next
    // revalidation.
    std::ofstream(key_path_, std::ios::trunc) << json{{"keys", {new_key.jwk("2026-12")}}}.dump();
    daemon_->signal(SIGHUP);
    ASSERT_TRUE(live.ends_cleanly(20s));
    EXPECT_EQ(status_of(old_token), 401);
    EXPECT_EQ(status_of(new_token), 200);
}

TEST_F(jwt_test, a_bearer_value_that_is_not_a_token_stays_an_api_key)
{
    redis_.set("apikey:k-42", "42");
    test_key const ed(test_key_type::ed25519);
    start(ed.public_pem());
    auto s = open("", bearer("k-42"));
    ASSERT_EQ(s.status(), 200);
    auto const hello = s.next_event_named("connected");
    ASSERT_TRUE(hello);
    EXPECT_NE(hello->data.find(R"("user":"42")"), std::string::npos);
}

TEST(jwt_config, a_key_file_that_does_not_parse_or_jwt_without_a_key_stops_the_start)
{
    auto const path =
        std::filesystem::path(::testing::TempDir()) / ("not-a-key-" + std::to_string(::getpid()));
    std::ofstream(path) << "hello\n";
    daemon_process bad_key{"[auth]\nmethods = [\"jwt\"]\n[auth.jwt]\nkey_file = \"" +
                               path.string() + "\"\n",
                           {"--check-config"},
                           {},
                           false};
    EXPECT_NE(bad_key.wait_exit(20s).value_or(0), 0);
    EXPECT_NE(bad_key.output().find("auth.jwt.key_file: "), std::string::npos) << bad_key.output();
    EXPECT_NE(bad_key.output().find("neither a PEM public key"), std::string::npos);

    daemon_process no_key{"[auth]\nmethods = [\"jwt\"]\n", {"--check-config"}, {}, false};
    EXPECT_NE(no_key.wait_exit(20s).value_or(0), 0);
    EXPECT_NE(no_key.output().find(R"(auth.methods: "jwt" needs auth.jwt.key_file)"),
              std::string::npos)
        << no_key.output();

    std::filesystem::remove(path);
}

} // namespace
} // namespace sse_server::test
