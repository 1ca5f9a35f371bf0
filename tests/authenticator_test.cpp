#include "sse_server/auth/authenticator.hpp"
#include "sse_server/config/jwt_keys.hpp"
#include "sse_server/redis/redis_client.hpp"
#include "support/redis_server.hpp"
#include "support/test_jwt.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <optional>
#include <string>

namespace sse_server {
namespace {

using namespace std::chrono_literals;
using outcome = auth_result::outcome;

TEST(user_id_from_session, reads_the_default_pointer)
{
    EXPECT_EQ(user_id_from_session(R"({"userId":"u_1","name":"Ada"})", "/userId"), "u_1");
}

TEST(user_id_from_session, reads_a_passport_session)
{
    auto const session =
        R"({"cookie":{"originalMaxAge":null,"httpOnly":true,"path":"/"},"passport":{"user":42}})";
    EXPECT_EQ(user_id_from_session(session, "/passport/user"), "42");
}

TEST(user_id_from_session, integer_and_string_ids_are_the_same_user)
{
    EXPECT_EQ(user_id_from_session(R"({"userId":42})", "/userId"), "42");
    EXPECT_EQ(user_id_from_session(R"({"userId":"42"})", "/userId"), "42");
}

TEST(user_id_from_session, a_missing_or_unusable_id_is_none)
{
    EXPECT_EQ(user_id_from_session(R"({"user":42})", "/userId"), std::nullopt);
    EXPECT_EQ(user_id_from_session(R"({"userId":""})", "/userId"), std::nullopt);
    EXPECT_EQ(user_id_from_session(R"({"userId":null})", "/userId"), std::nullopt);
    EXPECT_EQ(user_id_from_session(R"({"userId":true})", "/userId"), std::nullopt);
    EXPECT_EQ(user_id_from_session(R"({"userId":1.5})", "/userId"), std::nullopt);
    EXPECT_EQ(user_id_from_session(R"({"userId":{"id":1}})", "/userId"), std::nullopt);
    EXPECT_EQ(user_id_from_session(R"({"userId":"a\nb"})", "/userId"), std::nullopt);
    EXPECT_EQ(user_id_from_session(R"({"passport":{}})", "/passport/user"), std::nullopt);
    EXPECT_EQ(user_id_from_session(R"({"passport":"x"})", "/passport/user"), std::nullopt);
}

TEST(user_id_from_session, a_value_that_is_not_json_is_none)
{
    EXPECT_EQ(user_id_from_session("not json", "/userId"), std::nullopt);
    EXPECT_EQ(user_id_from_session(R"({"userId":42)", "/userId"), std::nullopt);
    EXPECT_EQ(user_id_from_session("", "/userId"), std::nullopt);
}

TEST(user_id_from_session, a_malformed_pointer_finds_nothing_and_throws_nothing)
{
    EXPECT_EQ(user_id_from_session(R"({"userId":42})", "userId"), std::nullopt);
    EXPECT_EQ(user_id_from_session(R"({"userId":42})", "/userId~"), std::nullopt);
}

TEST(user_id_from_api_key, takes_a_bare_id_as_it_is)
{
    EXPECT_EQ(user_id_from_api_key("42", "/userId"), "42");
    EXPECT_EQ(user_id_from_api_key("u_42", "/userId"), "u_42");
    EXPECT_EQ(user_id_from_api_key("  u_42\r\n", "/userId"), "u_42");
}

TEST(user_id_from_api_key, takes_a_json_string_without_its_quotes)
{
    EXPECT_EQ(user_id_from_api_key(R"("u_42")", "/userId"), "u_42");
}

TEST(user_id_from_api_key, reads_json_at_the_pointer)
{
    EXPECT_EQ(user_id_from_api_key(R"({"userId":"u_7","scopes":["read"]})", "/userId"), "u_7");
    EXPECT_EQ(user_id_from_api_key(R"({"owner":{"id":7}})", "/owner/id"), "7");
    EXPECT_EQ(user_id_from_api_key(R"({"owner":{"id":7}})", "/userId"), std::nullopt);
}

TEST(user_id_from_api_key, empty_or_unusable_values_are_none)
{
    EXPECT_EQ(user_id_from_api_key("", "/userId"), std::nullopt);
    EXPECT_EQ(user_id_from_api_key(" \n ", "/userId"), std::nullopt);
    EXPECT_EQ(user_id_from_api_key(R"("")", "/userId"), std::nullopt);
    EXPECT_EQ(user_id_from_api_key("null", "/userId"), std::nullopt);
    EXPECT_EQ(user_id_from_api_key("[42]", "/userId"), std::nullopt);
    EXPECT_EQ(user_id_from_api_key(R"({"userId":42)", "/userId"), std::nullopt);
    EXPECT_EQ(user_id_from_api_key("u_1\nu_2", "/userId"), std::nullopt);
}

/** A real Redis, a connected client and an authenticator on it. */
struct rig
{
    rig()
    {
        redis.url.host = "127.0.0.1";
        redis.url.port = server.port();
        client.start();
        auto const deadline = std::chrono::steady_clock::now() + 10s;
        while (!client.connected() && std::chrono::steady_clock::now() < deadline)
            ioc.run_for(10ms);
    }

    auth_result authenticate(credential_kind kind, std::string secret)
    {
        std::optional<auth_result> result;
        auth.async_authenticate({kind, std::move(secret)},
                                [&](auth_result r) { result = std::move(r); });
        EXPECT_FALSE(result.has_value()) << "completed inline";
        auto const deadline = std::chrono::steady_clock::now() + 10s;
        while (!result && std::chrono::steady_clock::now() < deadline) {
            if (ioc.stopped())
                ioc.restart();
            ioc.run_for(10ms);
        }
        return result.value_or(auth_result{outcome::unavailable, {}, "<never completed>", {}});
    }

    test::redis_server server;
    net::io_context ioc;
    redis_config redis;
    auth_config cfg;
    redis_client client{ioc, redis};
    authenticator auth{ioc.get_executor(), client, cfg};
};

TEST(authenticator, a_session_in_redis_yields_its_user)
{
    rig r;
    r.cfg.session.user_id_pointer = "/passport/user";
    r.server.set("sess:abc", R"({"cookie":{"path":"/"},"passport":{"user":42}})");

    auto const result = r.authenticate(credential_kind::session, "abc");

    EXPECT_EQ(result.result, outcome::ok);
    EXPECT_EQ(result.user_id, "42");
}

TEST(authenticator, an_unknown_session_is_unauthorized)
{
    rig r;
    auto const result = r.authenticate(credential_kind::session, "nope");

    EXPECT_EQ(result.result, outcome::unauthorized);
    EXPECT_EQ(result.reason, "unknown session");
}

TEST(authenticator, a_session_without_a_user_id_is_unauthorized)
{
    rig r;
    r.server.set("sess:anon", R"({"cookie":{"path":"/"}})");

    auto const result = r.authenticate(credential_kind::session, "anon");

    EXPECT_EQ(result.result, outcome::unauthorized);
    EXPECT_EQ(result.reason, "no user id in session");
}

TEST(authenticator, an_api_key_may_hold_a_bare_id_or_json)
{
    rig r;
    r.server.set("apikey:k1", "u_7");
    r.server.set("apikey:k2", R"({"userId":"u_8"})");

    auto const bare = r.authenticate(credential_kind::api_key, "k1");
    auto const json = r.authenticate(credential_kind::api_key, "k2");
    auto const unknown = r.authenticate(credential_kind::api_key, "k3");

    EXPECT_EQ(bare.result, outcome::ok);
    EXPECT_EQ(bare.user_id, "u_7");
    EXPECT_EQ(json.result, outcome::ok);
    EXPECT_EQ(json.user_id, "u_8");
    EXPECT_EQ(unknown.result, outcome::unauthorized);
    EXPECT_EQ(unknown.reason, "unknown API key");
}

TEST(authenticator, hashed_api_keys_are_looked_up_by_their_sha256)
{
    rig r;
    r.cfg.api_key.hash = key_hash::sha256;
    // sha256("k_hashed_3")
    r.server.set("apikey:4eb7a6e1539c0ab2833c9aca4da08562cb8693f79321d171c634e30d9c64b14b", "9");
    r.server.set("apikey:k_plain", "10");

    auto const hashed = r.authenticate(credential_kind::api_key, "k_hashed_3");
    auto const plain = r.authenticate(credential_kind::api_key, "k_plain");

    EXPECT_EQ(hashed.result, outcome::ok);
    EXPECT_EQ(hashed.user_id, "9");
    EXPECT_EQ(plain.result, outcome::unauthorized);
}

TEST(authenticator, a_key_of_the_wrong_type_is_unauthorized)
{
    rig r;
    r.server.command({"LPUSH", "sess:list", "x"});

    EXPECT_EQ(r.authenticate(credential_kind::session, "list").result, outcome::unauthorized);
}

TEST(authenticator, redis_down_is_unavailable_not_unauthorized)
{
    rig r;
    r.server.set("sess:abc", R"({"userId":"u_1"})");
    r.server.stop();

    auto const result = r.authenticate(credential_kind::session, "abc");

    EXPECT_EQ(result.result, outcome::unavailable);
    EXPECT_FALSE(result.reason.empty());
}

TEST(authenticator, a_token_is_verified_here_with_no_redis_key_and_never_inline)
{
    rig r;
    std::string const secret = "a secret for the authenticator's own test";
    r.cfg.jwt.keys = parse_jwt_secret(secret).keys;
    auto const exp = testing::epoch_seconds(600);
    auto const good = r.authenticate(
        credential_kind::jwt,
        testing::sign_jwt_hs256(secret, {{"sub", "u_7"}, {"exp", exp}, {"groups", {"acme"}}}));
    EXPECT_EQ(good.result, outcome::ok) << good.reason;
    EXPECT_EQ(good.user_id, "u_7");
    EXPECT_EQ(good.claims.valid_until,
              std::chrono::system_clock::time_point{std::chrono::seconds{exp}});
    auto const bad = r.authenticate(credential_kind::jwt,
                                    testing::sign_jwt_hs256(secret + "!", {{"sub", "u_7"}}));
    EXPECT_EQ(bad.result, outcome::unauthorized);
    EXPECT_EQ(bad.reason, "token refused: bad signature");
}

} // namespace
} // namespace sse_server
