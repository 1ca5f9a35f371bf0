// auth.hook.* and "hook" in auth.methods (SPEC §2.2a, §4): what the loader accepts and refuses,
// and which requests' credentials go to the hook.
#include "sse_server/auth/credentials.hpp"
#include "sse_server/config/config.hpp"
#include "sse_server/config/config_report.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

using namespace std::chrono_literals;

std::string refusal(std::string_view text)
{
    try {
        parse_config(text);
    } catch (config_error const& error) {
        return error.what();
    }
    return "<accepted>";
}

TEST(hook_config, defaults_are_the_specs)
{
    auto const cfg = parse_config("");
    EXPECT_EQ(cfg.auth.hook.url, "");
    EXPECT_EQ(cfg.auth.hook.timeout, 2s);
    EXPECT_EQ(cfg.auth.hook.cache_ttl, 30s);
    EXPECT_EQ(cfg.auth.hook.max_inflight, 64u);
}

TEST(hook_config, a_hook_is_an_http_url_with_its_settings)
{
    auto const cfg = parse_config("[auth]\nmethods = [\"hook\", \"api_key\"]\n"
                                  "[auth.hook]\nurl = \"http://app.internal:3000/sse/auth?x=1\"\n"
                                  "timeout = \"500ms\"\ncache_ttl = \"0s\"\nmax_inflight = 8\n");
    EXPECT_TRUE(cfg.auth.allows(auth_method::hook));
    EXPECT_EQ(cfg.auth.hook.where.host, "app.internal");
    EXPECT_EQ(cfg.auth.hook.where.port, 3000);
    EXPECT_EQ(cfg.auth.hook.where.target, "/sse/auth?x=1");
    EXPECT_EQ(cfg.auth.hook.timeout, 500ms);
    EXPECT_EQ(cfg.auth.hook.cache_ttl, 0s);
    EXPECT_EQ(cfg.auth.hook.max_inflight, 8u);
    auto const report = effective_config_text(cfg);
    EXPECT_NE(report.find("[auth.hook]\nurl = \"http://app.internal:3000/sse/auth?x=1\"\n"),
              std::string::npos)
        << report;
}

TEST(hook_config, urls_parse_with_default_ports_and_paths)
{
    auto const plain = parse_hook_url("http://127.0.0.1");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->port, 80);
    EXPECT_EQ(plain->target, "/");
    auto const v6 = parse_hook_url("http://[::1]:8000/a");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    auto const tls = parse_hook_url("https://app.example/auth");
    ASSERT_TRUE(tls);
    EXPECT_TRUE(tls->tls);
    EXPECT_EQ(tls->port, 443);
    for (auto const* bad :
         {"", "127.0.0.1:3000/a", "ftp://a/", "http://", "http://:80/a", "http://u:p@a/x",
          "http://a/b c", "http://a/b#frag", "http://a:0/", "http://a:99999/", "http://a/\r\nX: y"})
        EXPECT_FALSE(parse_hook_url(bad)) << bad;
}

TEST(hook_config, bad_values_are_refused_naming_the_key)
{
    EXPECT_NE(refusal("[auth.hook]\nurl = \"http://u:pw@a/x\"\n").find("auth.hook.url: expected"),
              std::string::npos);
    EXPECT_NE(refusal("[auth.hook]\ntimeout = \"0s\"\n").find("auth.hook.timeout"),
              std::string::npos);
    EXPECT_NE(refusal("[auth.hook]\nmax_inflight = 0\n").find("auth.hook.max_inflight"),
              std::string::npos);
    EXPECT_NE(refusal("[auth.hook]\nmax_inflight = 5000\n").find("at most 4096"),
              std::string::npos);
    EXPECT_NE(refusal("[auth]\nmethods = [\"hook\"]\n").find(R"("hook" needs auth.hook.url)"),
              std::string::npos);
    // A URL that nothing uses is said, not refused.
    auto const idle = parse_config("[auth.hook]\nurl = \"http://127.0.0.1:3000/a\"\n");
    ASSERT_EQ(idle.warnings.size(), 1u);
    EXPECT_NE(idle.warnings[0].find("never asked"), std::string::npos);
}

TEST(hook_config, a_reload_cannot_add_the_hook_without_a_url_set_at_start)
{
    auto running = parse_config("");
    auto const fresh = parse_config("[auth]\nmethods = [\"hook\"]\n"
                                    "[auth.hook]\nurl = \"http://127.0.0.1:3000/a\"\n");
    EXPECT_THROW(apply_reloadable(running, fresh), config_error);
    EXPECT_EQ(running.auth.methods.size(), 2u) << "nothing changed";
}

auth_config methods(std::vector<auth_method> ways)
{
    auth_config auth;
    auth.methods = std::move(ways);
    return auth;
}

TEST(hook_credentials, the_hook_takes_what_no_other_listed_way_takes_with_every_header)
{
    credential_sources sources;
    sources.cookie_headers = {"sessionid=abc", " theme=dark "};
    sources.origin = "https://app.example";
    auto const hook = extract_credential(sources, methods({auth_method::hook}));
    ASSERT_TRUE(hook.found);
    EXPECT_EQ(hook.found->kind, credential_kind::hook);
    EXPECT_EQ(hook.found->secret,
              "Cookie: sessionid=abc; theme=dark\r\nOrigin: https://app.example\r\n");

    // The session cookie is the session way's when listed; other cookies are the hook's.
    auto const both = methods({auth_method::session, auth_method::hook});
    EXPECT_EQ(extract_credential(sources, both).found->kind, credential_kind::hook);
    sources.cookie_headers.emplace_back("sid=s1");
    EXPECT_EQ(extract_credential(sources, both).found->kind, credential_kind::session);

    // A Bearer value: an API key's when listed, else the hook's, with the cookies too.
    sources.authorization = "Bearer k-1";
    EXPECT_EQ(
        extract_credential(sources, methods({auth_method::api_key, auth_method::hook})).found->kind,
        credential_kind::api_key);
    auto const bearer = extract_credential(sources, both);
    ASSERT_TRUE(bearer.found);
    EXPECT_EQ(bearer.found->kind, credential_kind::hook);
    EXPECT_NE(bearer.found->secret.find("Authorization: Bearer k-1\r\n"), std::string::npos);
    EXPECT_NE(bearer.found->secret.find("Cookie: "), std::string::npos);

    // X-API-Key alone, and another scheme, are the hook's too.
    credential_sources key;
    key.api_key_header = "k-2";
    EXPECT_EQ(extract_credential(key, methods({auth_method::hook})).found->secret,
              "X-API-Key: k-2\r\n");
    credential_sources basic;
    basic.authorization = "Basic dTpw";
    EXPECT_EQ(extract_credential(basic, methods({auth_method::hook})).found->kind,
              credential_kind::hook);
}

TEST(hook_credentials, nothing_to_judge_or_a_control_character_is_refused_without_asking)
{
    credential_sources only_origin;
    only_origin.origin = "https://app.example";
    EXPECT_EQ(extract_credential(only_origin, methods({auth_method::hook})).refusal,
              "no credentials");
    credential_sources empty_cookie;
    empty_cookie.cookie_headers = {"  "};
    EXPECT_EQ(extract_credential(empty_cookie, methods({auth_method::hook})).refusal,
              "no credentials");
    credential_sources control;
    control.cookie_headers = {std::string_view("a=b\x01", 4)};
    EXPECT_EQ(extract_credential(control, methods({auth_method::hook})).refusal,
              "malformed credentials");
    EXPECT_EQ(credential_kind_name(credential_kind::hook), "hook");
}

} // namespace
} // namespace sse_server
