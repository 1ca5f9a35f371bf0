// The pure parts of the auth hook (SPEC §2.2a): what its answer means, how long it is kept,
// the key it is kept under, the request it is sent; and the cache itself.
#include "sse_server/auth/credentials.hpp"
#include "sse_server/auth/hook_answer.hpp"
#include "sse_server/auth/hook_cache.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

using outcome = auth_result::outcome;
using namespace std::chrono_literals;

hook_verdict answer(unsigned status, std::string_view body)
{
    claims_pools pools; // a pool of its own: each answer stands alone
    return read_hook_answer(status, body, pools);
}

TEST(hook_answer, a_200_gives_the_user_and_the_claims)
{
    auto const v = answer(
        200, R"({"user":"42","grants":["orders:*","bad pattern"],"groups":["team-a"],"x":{}})");
    EXPECT_EQ(v.auth.result, outcome::ok);
    EXPECT_EQ(std::string(v.label), "ok");
    EXPECT_EQ(v.auth.user_id, "42");
    EXPECT_EQ(v.auth.claims.grants, std::vector<std::string>{"orders:*"});
    EXPECT_EQ(v.auth.claims.groups, std::vector<std::string>{"team-a"});
    EXPECT_FALSE(v.auth.claims.problems.empty()) << "a dropped pattern is said, for the log";

    // An integer is the same user as its digits; claims are optional.
    auto const number = answer(200, R"({"user":42})");
    EXPECT_EQ(number.auth.result, outcome::ok);
    EXPECT_EQ(number.auth.user_id, "42");
    EXPECT_TRUE(number.auth.claims.grants.empty());
    // Grants that are not an array of strings count as none (fail closed).
    auto const odd = answer(200, R"({"user":"1","grants":"*"})");
    EXPECT_EQ(odd.auth.result, outcome::ok);
    EXPECT_TRUE(odd.auth.claims.grants.empty());
}

TEST(hook_answer, a_200_without_a_usable_user_is_malformed_and_unavailable)
{
    for (auto const* body :
         {"", "not json", "[]", R"("42")", R"({"user":null})", R"({"user":""})", R"({"user":1.5})",
          R"({"user":["1"]})", R"({"user":"a\nb"})", R"({"id":"1"})", R"({"user":"1")"}) {
        auto const v = answer(200, body);
        EXPECT_EQ(v.auth.result, outcome::unavailable) << body;
        EXPECT_EQ(std::string(v.label), "malformed") << body;
    }
}

TEST(hook_answer, 401_and_403_pass_on_and_any_other_status_is_unavailable)
{
    EXPECT_EQ(answer(401, R"({"user":"1"})").auth.result, outcome::unauthorized);
    EXPECT_EQ(answer(403, "").auth.result, outcome::forbidden);
    for (unsigned status : {201u, 204u, 301u, 302u, 400u, 404u, 429u, 500u, 502u, 503u}) {
        auto const v = answer(status, R"({"user":"1"})");
        EXPECT_EQ(v.auth.result, outcome::unavailable) << status;
        EXPECT_EQ(std::string(v.label), "error") << status;
        EXPECT_NE(v.auth.reason.find(std::to_string(status)), std::string::npos);
    }
}

TEST(hook_answer, a_401_is_kept_five_seconds_a_failure_never)
{
    EXPECT_EQ(hook_answer_ttl(outcome::ok, 30s), 30s);
    EXPECT_EQ(hook_answer_ttl(outcome::forbidden, 30s), 30s);
    EXPECT_EQ(hook_answer_ttl(outcome::unauthorized, 30s), 5s);
    EXPECT_EQ(hook_answer_ttl(outcome::unauthorized, 2s), 2s);
    EXPECT_EQ(hook_answer_ttl(outcome::unavailable, 30s), 0s);
    EXPECT_EQ(hook_answer_ttl(outcome::ok, 0s), 0s);
}

TEST(hook_answer, the_cache_key_is_a_hash_of_the_headers_never_the_credential)
{
    std::string const lines = "Cookie: sessionid=secret-value\r\nOrigin: https://a.example\r\n";
    auto const key = hook_cache_key(lines);
    EXPECT_EQ(key, sha256_hex(lines));
    EXPECT_EQ(key.size(), 64u);
    EXPECT_EQ(key.find("secret"), std::string::npos);
    EXPECT_NE(key, hook_cache_key("Cookie: sessionid=secret-value\r\n"))
        << "another Origin is another credential: the app may judge by it";
}

TEST(hook_answer, the_request_carries_the_target_the_host_and_the_header_lines)
{
    hook_url where{false, "127.0.0.1", 3000, "/sse/auth?v=1"};
    EXPECT_EQ(hook_request(where, "Cookie: a=b\r\n"),
              "GET /sse/auth?v=1 HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nUser-Agent: sse-server\r\n"
              "Accept: application/json\r\nCookie: a=b\r\n\r\n");
    hook_url v6{false, "::1", 80, "/"};
    EXPECT_NE(hook_request(v6, "").find("\r\nHost: [::1]\r\n"), std::string::npos);
}

TEST(hook_cache, an_answer_is_found_until_it_expires)
{
    hook_cache cache(8);
    auto const t0 = hook_cache::clock::time_point{} + 1h;
    cache.store("k", auth_result{outcome::ok, "42", {}, {}}, t0, 30s);
    auto const found = cache.find("k", t0 + 29s);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->user_id, "42");
    EXPECT_FALSE(cache.find("k", t0 + 30s));
    EXPECT_EQ(cache.size(), 0u) << "an expired answer is dropped when found";
    EXPECT_FALSE(cache.find("other", t0));
}

TEST(hook_cache, a_newer_answer_replaces_and_one_not_to_keep_drops_the_older)
{
    hook_cache cache(8);
    auto const t0 = hook_cache::clock::time_point{} + 1h;
    cache.store("k", auth_result{outcome::ok, "42", {}, {}}, t0, 30s);
    cache.store("k", auth_result{outcome::unauthorized, {}, "gone", {}}, t0 + 1s, 5s);
    EXPECT_EQ(cache.find("k", t0 + 2s)->result, outcome::unauthorized);
    EXPECT_FALSE(cache.find("k", t0 + 7s));
    cache.store("k", auth_result{outcome::ok, "42", {}, {}}, t0, 30s);
    cache.store("k", auth_result{outcome::ok, "42", {}, {}}, t0, 0s);
    EXPECT_FALSE(cache.find("k", t0));
}

TEST(hook_cache, holds_at_most_its_capacity_the_oldest_going_first)
{
    hook_cache cache(3);
    auto const t0 = hook_cache::clock::time_point{} + 1h;
    for (int i = 0; i < 5; ++i)
        cache.store("k" + std::to_string(i), auth_result{outcome::ok, std::to_string(i), {}, {}},
                    t0, 30s);
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_FALSE(cache.find("k0", t0));
    EXPECT_FALSE(cache.find("k1", t0));
    EXPECT_TRUE(cache.find("k4", t0));
    // Full, the oldest stored goes first, whatever its expiry.
    cache.store("short", auth_result{outcome::unauthorized, {}, {}, {}}, t0, 1s);
    cache.store("late", auth_result{outcome::ok, "9", {}, {}}, t0 + 2s, 30s);
    EXPECT_LE(cache.size(), 3u);
    EXPECT_TRUE(cache.find("late", t0 + 2s));
}

} // namespace
} // namespace sse_server
