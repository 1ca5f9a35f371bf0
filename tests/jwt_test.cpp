#include "sse_server/auth/jwt.hpp"
#include "sse_server/base/base64url.hpp"
#include "sse_server/config/jwt_keys.hpp"
#include "support/test_jwt.hpp"

#include <gtest/gtest.h>
#include <string>

using namespace sse_server;
using namespace sse_server::testing;
using json = nlohmann::json;

namespace {

constexpr long long now_s = 1'800'000'000;
wall_clock::time_point const now{std::chrono::seconds{now_s}};

std::string const secret = "0123456789abcdef0123456789abcdef-hs256";

json payload(json extra = json::object())
{
    json p{{"sub", "42"}, {"exp", now_s + 600}};
    if (extra.is_object())
        p.update(extra);
    return p;
}

jwt_auth_config with_keys(jwt_keys_result loaded)
{
    EXPECT_TRUE(loaded.keys) << loaded.error;
    jwt_auth_config cfg;
    cfg.keys = loaded.keys;
    return cfg;
}

jwt_verdict verify(std::string_view token, jwt_auth_config const& cfg, wall_clock::time_point at)
{
    claims_pools pools; // a pool of its own: each token stands alone
    return verify_jwt(token, cfg, at, pools);
}

std::string refusal(std::string const& token, jwt_auth_config const& cfg)
{
    auto const verdict = verify(token, cfg, now);
    EXPECT_FALSE(verdict.token) << "accepted: " << token.substr(0, 40);
    return verdict.refusal;
}

/** `token` with another payload and its own header and signature: a forgery. */
std::string with_payload(std::string const& token, json const& forged)
{
    auto const dot1 = token.find('.');
    auto const dot2 = token.find('.', dot1 + 1);
    return token.substr(0, dot1 + 1) + encode_base64url(forged.dump()) + token.substr(dot2);
}

// Each accepted algorithm, with a key made now: PEM and JWK alike.
struct case_of_alg
{
    test_key_type type;
    char const* alg;
};

class each_alg : public ::testing::TestWithParam<case_of_alg>
{
};

} // namespace

TEST_P(each_alg, a_token_signed_with_the_key_is_accepted_from_pem_and_from_jwks)
{
    test_key const key(GetParam().type);
    auto const token = sign_jwt(key, GetParam().alg, payload());
    auto const from_pem =
        verify(token, with_keys(parse_jwt_public_keys(key.public_pem())), now);
    ASSERT_TRUE(from_pem.token) << from_pem.refusal;
    EXPECT_EQ(from_pem.token->user_id, "42");
    EXPECT_EQ(from_pem.token->claims.valid_until,
              wall_clock::time_point{std::chrono::seconds{now_s + 600}});

    json const set{{"keys", {key.jwk("k1")}}};
    auto const with_kid = sign_jwt(key, GetParam().alg, payload(), "k1");
    auto const from_jwks = verify(with_kid, with_keys(parse_jwt_public_keys(set.dump())), now);
    ASSERT_TRUE(from_jwks.token) << from_jwks.refusal;
    EXPECT_EQ(refusal(with_payload(token, payload({{"sub", "43"}})),
                      with_keys(parse_jwt_public_keys(key.public_pem()))),
              "bad signature");
}

INSTANTIATE_TEST_SUITE_P(jwt, each_alg,
                         ::testing::Values(case_of_alg{test_key_type::rsa, "RS256"},
                                           case_of_alg{test_key_type::rsa, "PS256"},
                                           case_of_alg{test_key_type::ec_p256, "ES256"},
                                           case_of_alg{test_key_type::ed25519, "EdDSA"}),
                         [](auto const& param_info) { return std::string(param_info.param.alg); });

TEST(jwt, hs256_with_the_secret_is_accepted_and_another_secret_is_not)
{
    auto const cfg = with_keys(parse_jwt_secret(secret + "\n"));
    auto const verdict = verify(sign_jwt_hs256(secret, payload()), cfg, now);
    ASSERT_TRUE(verdict.token) << verdict.refusal;
    EXPECT_EQ(verdict.token->user_id, "42");
    EXPECT_EQ(refusal(sign_jwt_hs256(secret + "x", payload()), cfg), "bad signature");
}

TEST(jwt, the_algorithm_must_fit_the_key)
{
    test_key const rsa(test_key_type::rsa);
    test_key const ec(test_key_type::ec_p256);
    auto const rsa_cfg = with_keys(parse_jwt_public_keys(rsa.public_pem()));
    // The classic confusion: HS256 "signed" with the public key's own PEM bytes as the secret.
    EXPECT_EQ(refusal(sign_jwt_hs256(rsa.public_pem(), payload()), rsa_cfg),
              "alg does not fit the key");
    EXPECT_EQ(refusal(sign_jwt(ec, "ES256", payload()), rsa_cfg), "alg does not fit the key");
    auto const ec_cfg = with_keys(parse_jwt_public_keys(ec.public_pem()));
    EXPECT_EQ(refusal(sign_jwt(rsa, "RS256", payload()), ec_cfg), "alg does not fit the key");
    EXPECT_EQ(refusal(sign_jwt(rsa, "PS256", payload()), ec_cfg), "alg does not fit the key");
    // A secret verifies HS256 only.
    auto const secret_cfg = with_keys(parse_jwt_secret(secret));
    EXPECT_EQ(refusal(sign_jwt(rsa, "RS256", payload()), secret_cfg), "alg does not fit the key");
    // A JWK's own alg narrows the RSA key to it.
    auto jwk = rsa.jwk("k");
    jwk["alg"] = "PS256";
    auto const narrowed = with_keys(parse_jwt_public_keys(json{{"keys", {jwk}}}.dump()));
    EXPECT_EQ(refusal(sign_jwt(rsa, "RS256", payload(), "k"), narrowed),
              "alg does not fit the key");
    EXPECT_TRUE(verify(sign_jwt(rsa, "PS256", payload(), "k"), narrowed, now).token);
}

TEST(jwt, alg_none_and_unknown_algorithms_are_refused)
{
    auto const cfg = with_keys(parse_jwt_secret(secret));
    auto const unsigned_token = [](std::string const& alg) {
        return signing_input(json{{"alg", alg}, {"typ", "JWT"}}, payload()) + ".c2ln";
    };
    EXPECT_EQ(refusal(unsigned_token("none"), cfg), "alg none");
    EXPECT_EQ(refusal(unsigned_token("NONE"), cfg), "alg none");
    EXPECT_EQ(refusal(unsigned_token("HS512"), cfg), "unsupported alg");
    EXPECT_EQ(refusal(unsigned_token("RS1"), cfg), "unsupported alg");
    // With an empty signature the token is not even a compact JWS of three parts.
    EXPECT_EQ(refusal(signing_input(json{{"alg", "none"}}, payload()) + ".", cfg),
              "not a compact JWS");
}

TEST(jwt, a_tampered_payload_fails_the_signature)
{
    test_key const key(test_key_type::ec_p256);
    auto const cfg = with_keys(parse_jwt_public_keys(key.public_pem()));
    auto const token = sign_jwt(key, "ES256", payload());
    EXPECT_EQ(refusal(with_payload(token, payload({{"sub", "1"}})), cfg), "bad signature");
}

TEST(jwt, the_time_claims_hold_with_the_leeway)
{
    auto cfg = with_keys(parse_jwt_secret(secret));
    cfg.leeway = std::chrono::seconds{30};
    auto const at = [&](json extra) { return sign_jwt_hs256(secret, payload(std::move(extra))); };
    EXPECT_EQ(refusal(at({{"exp", now_s - 31}}), cfg), "expired");
    EXPECT_TRUE(verify(at({{"exp", now_s - 29}}), cfg, now).token) << "within the leeway";
    EXPECT_EQ(refusal(at({{"nbf", now_s + 31}}), cfg), "not yet valid");
    EXPECT_TRUE(verify(at({{"nbf", now_s + 29}}), cfg, now).token);
    json no_exp = payload();
    no_exp.erase("exp");
    EXPECT_EQ(refusal(sign_jwt_hs256(secret, no_exp), cfg), "no exp");
    EXPECT_EQ(refusal(at({{"exp", "tomorrow"}}), cfg), "exp is not a number");
    EXPECT_EQ(refusal(at({{"nbf", "now"}}), cfg), "nbf is not a number");
    // A fractional NumericDate is one too; a far future one is capped, not overflowed.
    EXPECT_TRUE(verify(at({{"exp", now_s + 0.5}}), cfg, now).token);
    auto const far = verify(at({{"exp", 1e300}}), cfg, now);
    ASSERT_TRUE(far.token);
    EXPECT_GT(*far.token->claims.valid_until, now);
}

TEST(jwt, issuer_and_audience_are_checked_when_configured)
{
    auto cfg = with_keys(parse_jwt_secret(secret));
    cfg.issuer = "https://app.example";
    cfg.audience = "sse";
    auto const with = [&](json extra) { return sign_jwt_hs256(secret, payload(std::move(extra))); };
    EXPECT_TRUE(verify(with({{"iss", "https://app.example"}, {"aud", "sse"}}), cfg, now).token);
    EXPECT_TRUE(
        verify(with({{"iss", "https://app.example"}, {"aud", {"api", "sse"}}}), cfg, now)
            .token);
    EXPECT_EQ(refusal(with({{"iss", "https://evil.example"}, {"aud", "sse"}}), cfg),
              "wrong issuer");
    EXPECT_EQ(refusal(with({{"aud", "sse"}}), cfg), "wrong issuer");
    EXPECT_EQ(refusal(with({{"iss", "https://app.example"}, {"aud", "api"}}), cfg),
              "wrong audience");
    EXPECT_EQ(refusal(with({{"iss", "https://app.example"}, {"aud", {"api", 1}}}), cfg),
              "wrong audience");
    EXPECT_EQ(refusal(with({{"iss", "https://app.example"}}), cfg), "wrong audience");
}

TEST(jwt, the_user_id_is_a_string_or_an_integer_at_the_user_claim)
{
    auto cfg = with_keys(parse_jwt_secret(secret));
    auto const user_of = [&](json extra) {
        auto const v = verify(sign_jwt_hs256(secret, payload(std::move(extra))), cfg, now);
        return v.token ? v.token->user_id : "refused: " + v.refusal;
    };
    EXPECT_EQ(user_of({{"sub", 42}}), "42");
    EXPECT_EQ(user_of({{"sub", ""}}), "refused: no user id in sub");
    EXPECT_EQ(user_of({{"sub", 4.2}}), "refused: no user id in sub");
    EXPECT_EQ(user_of({{"sub", "a\nb"}}), "refused: no user id in sub");
    cfg.user_claim = "uid";
    EXPECT_EQ(user_of({{"uid", "u_7"}}), "u_7");
    EXPECT_EQ(user_of({}), "refused: no user id in uid");
}

TEST(jwt, grants_and_groups_follow_the_rules_of_the_session_claims)
{
    auto cfg = with_keys(parse_jwt_secret(secret));
    cfg.grants_claim = "https://app.example/grants";
    cfg.groups_claim = "groups";
    auto const v = verify(
        sign_jwt_hs256(secret, payload({{"https://app.example/grants", {"orders:*", "bad name"}},
                                        {"groups", {"acme", 7}}})),
        cfg, now);
    ASSERT_TRUE(v.token) << v.refusal;
    EXPECT_EQ(v.token->claims.grants, std::vector<std::string>{"orders:*"});
    EXPECT_TRUE(v.token->claims.groups.empty()) << "not an array of strings: none (fail closed)";
    EXPECT_EQ(v.token->claims.problems.size(), 2u);
}

TEST(jwt, garbage_oversized_and_bad_base64_are_refused_before_any_key_is_used)
{
    auto const cfg = with_keys(parse_jwt_secret(secret));
    EXPECT_EQ(refusal("garbage", cfg), "not a compact JWS");
    EXPECT_EQ(refusal("a.b.c.d", cfg), "not a compact JWS");
    EXPECT_EQ(refusal("a..c", cfg), "not a compact JWS");
    EXPECT_EQ(refusal("ab=.cd.ef", cfg), "not a compact JWS");
    EXPECT_EQ(refusal("a.bc.de", cfg), "bad base64url") << "one character is no encoding";
    EXPECT_EQ(refusal("eyJ.eyJ.e", cfg), "bad base64url");
    auto const good = sign_jwt_hs256(secret, payload({{"pad", std::string(9000, 'x')}}));
    EXPECT_EQ(refusal(good, cfg), "token too long");
    EXPECT_EQ(refusal(encode_base64url("[1]") + ".e30.c2ln", cfg), "header is not a JSON object");
    EXPECT_EQ(refusal(encode_base64url(R"({"alg":"HS256","crit":["b64"]})") + ".e30.c2ln", cfg),
              "crit header");
    EXPECT_EQ(refusal(encode_base64url(R"({"alg":"HS256","typ":"JOSE+JSON"})") + ".e30.c2ln", cfg),
              "typ is not JWT");
}

TEST(jwt, only_the_loaded_set_is_looked_up_by_kid)
{
    test_key const a(test_key_type::ed25519);
    test_key const b(test_key_type::rsa);
    test_key const stranger(test_key_type::ed25519);
    auto const cfg =
        with_keys(parse_jwt_public_keys(json{{"keys", {a.jwk("a"), b.jwk("b")}}}.dump()));
    EXPECT_TRUE(verify(sign_jwt(a, "EdDSA", payload(), "a"), cfg, now).token);
    EXPECT_TRUE(verify(sign_jwt(b, "RS256", payload(), "b"), cfg, now).token);
    EXPECT_EQ(refusal(sign_jwt(stranger, "EdDSA", payload(), "c"), cfg), "unknown kid");
    EXPECT_EQ(refusal(sign_jwt(stranger, "EdDSA", payload(), "a"), cfg), "bad signature");
    EXPECT_EQ(refusal(sign_jwt(a, "EdDSA", payload()), cfg), "no kid, and several keys");
    EXPECT_EQ(refusal(sign_jwt(a, "EdDSA", payload(), "../../etc/passwd"), cfg), "unknown kid");
    // One key: a token without kid uses it; one with another kid does not.
    auto const one = with_keys(parse_jwt_public_keys(json{{"keys", {a.jwk("a")}}}.dump()));
    EXPECT_TRUE(verify(sign_jwt(a, "EdDSA", payload()), one, now).token);
    EXPECT_EQ(refusal(sign_jwt(a, "EdDSA", payload(), "b"), one), "unknown kid");
    // One key without a kid (a PEM key) serves a token whatever kid it names.
    auto const pem = with_keys(parse_jwt_public_keys(a.public_pem()));
    EXPECT_TRUE(verify(sign_jwt(a, "EdDSA", payload(), "any"), pem, now).token);
}

TEST(jwt_keys, files_that_are_no_keys_are_refused_with_a_reason)
{
    EXPECT_NE(parse_jwt_public_keys("hello").error.find("neither a PEM public key"),
              std::string::npos);
    EXPECT_NE(parse_jwt_public_keys(R"({"k":1})").error.find("not a JWKS"), std::string::npos);
    EXPECT_NE(parse_jwt_public_keys(R"({"keys":[]})").error.find("no usable"), std::string::npos);
    EXPECT_NE(parse_jwt_public_keys(R"({"keys":[{"kty":"RSA","n":"AQAB"}]})")
                  .error.find("malformed RSA key"),
              std::string::npos);
    EXPECT_NE(parse_jwt_secret("short\n").error.find("at least 32 bytes"), std::string::npos);
    test_key const small(test_key_type::rsa, 1024);
    EXPECT_NE(parse_jwt_public_keys(small.public_pem()).error.find("too short"), std::string::npos);
    test_key const a(test_key_type::ec_p256);
    test_key const b(test_key_type::ec_p256);
    EXPECT_NE(parse_jwt_public_keys(json{{"keys", {a.jwk("x"), b.jwk("x")}}}.dump())
                  .error.find("used twice"),
              std::string::npos);
    EXPECT_NE(parse_jwt_public_keys(json{{"keys", {a.jwk("x"), b.jwk()}}}.dump())
                  .error.find("each needs a \"kid\""),
              std::string::npos);
    // A point off the curve is no key.
    auto off = a.jwk("x");
    off["y"] = encode_base64url(std::string(32, '\x01'));
    EXPECT_FALSE(parse_jwt_public_keys(json{{"keys", {off}}}.dump()).keys);
}

TEST(jwt_keys, encryption_keys_and_secrets_in_a_jwks_are_skipped_and_said)
{
    test_key const a(test_key_type::ec_p256);
    auto enc = a.jwk("e");
    enc["use"] = "enc";
    json const oct{{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "s"}};
    auto const loaded = parse_jwt_public_keys(json{{"keys", {a.jwk("a"), enc, oct}}}.dump());
    ASSERT_TRUE(loaded.keys) << loaded.error;
    EXPECT_EQ(loaded.keys->keys.size(), 1u);
    EXPECT_EQ(loaded.skipped.size(), 2u);
}

TEST(jwt_keys, the_secret_is_the_file_less_its_final_line_end)
{
    auto const loaded = parse_jwt_secret(secret + "\r\n");
    ASSERT_TRUE(loaded.keys);
    EXPECT_EQ(loaded.keys->keys.front().secret, secret);
    EXPECT_EQ(parse_jwt_secret(secret + "\n\n").keys->keys.front().secret, secret + "\n");
}

TEST(base64url, decodes_what_it_encodes_and_refuses_the_rest)
{
    for (std::string const s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe"})
        EXPECT_EQ(decode_base64url(encode_base64url(s), 64), s);
    EXPECT_FALSE(decode_base64url("Zm9v", 2)) << "larger than allowed";
    EXPECT_FALSE(decode_base64url("Zm9=", 64));
    EXPECT_FALSE(decode_base64url("Z", 64));
    EXPECT_FALSE(decode_base64url("Zh", 64)) << "non-zero leftover bits";
    EXPECT_FALSE(decode_base64url("Zm+v", 64)) << "base64, not base64url";
}

TEST(jwt, looks_like_jwt_tells_a_token_from_an_api_key)
{
    EXPECT_TRUE(looks_like_jwt(sign_jwt_hs256(secret, payload())));
    EXPECT_FALSE(looks_like_jwt("sk_live_abc123"));
    EXPECT_FALSE(looks_like_jwt("a.b"));
    EXPECT_FALSE(looks_like_jwt("a.b.c/d"));
    EXPECT_FALSE(looks_like_jwt(std::string(9000, 'a') + ".b.c"));
}
