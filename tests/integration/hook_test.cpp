// The auth hook against the real daemon (SPEC §2.2a): a hook server of the test's own answers
// each stream request; its 200 opens with its claims, its 401 and 403 are the client's, and
// anything else (500, no answer, no connection, a malformed or oversized answer) is a 503 with
// Retry-After. Answers are cached per credential, a storm of one user is one request, a storm
// of many is held to auth.hook.max_inflight, and revalidation asks the hook again.
#include "sse_server/ops/process_limits.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/test_certificates.hpp"
#include "support/test_hook_server.hpp"

#include <gtest/gtest.h>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sse_server::test {
namespace {

using answer = test_hook_server::answer;
using request = test_hook_server::request;

/** The hook of an app whose session cookie is `sessionid`: `sessionid=u<id>` is user <id>,
    `sessionid=denied` a 403, anything else a 401. */
answer app_hook(request const& r)
{
    auto const at = r.cookie.find("sessionid=");
    if (at == std::string::npos)
        return {401, R"({"error":"no session"})"};
    auto const sid = r.cookie.substr(at + 10, r.cookie.find(';', at) - at - 10);
    if (sid == "denied")
        return {403, ""};
    if (!sid.starts_with("u"))
        return {401, ""};
    return {200, R"({"user":")" + sid.substr(1) +
                     R"(","grants":["orders:*","public"],"groups":["team-a"]})"};
}

header_list cookie(std::string const& sid)
{
    return {{"Cookie", "theme=dark; sessionid=" + sid}};
}

/** The status of an HTTP response head read from `conn`, or 0. */
int status_of(tcp_connection& conn)
{
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos)
        if (conn.read_some(head, 10s) <= 0)
            return 0;
    return head.starts_with("HTTP/1.1 ") ? std::stoi(head.substr(9, 3)) : 0;
}

std::string stream_request(std::string const& sid)
{
    return "GET /events?events=orders:1 HTTP/1.1\r\nHost: sse\r\nCookie: sessionid=" + sid +
           "\r\n\r\n";
}

class hook_test : public ::testing::Test
{
protected:
    /** A daemon whose only way in is the hook at `url`, with more [auth.hook] keys. */
    void start_at(std::string const& url, std::string const& hook_extra = "",
                  std::map<std::string, std::string> env = {})
    {
        daemon_.emplace(daemon_config(redis_, "[auth]\nmethods = [\"hook\"]\n"
                                              "[auth.hook]\nurl = \"" +
                                                  url + "\"\n" + hook_extra +
                                                  "[events]\ngrants = []\n"
                                                  "[limits]\nmax_connections_per_user = 200\n"),
                        std::vector<std::string>{}, std::move(env));
    }
    void start(std::string const& hook_extra = "") { start_at(hook_.url(), hook_extra); }

    sse_stream open(header_list const& headers, std::string const& events = "orders:1")
    {
        return sse_stream{daemon_->clients_port(), "/events?events=" + events, headers};
    }

    std::optional<double> metric(std::string const& series)
    {
        return metric_value(daemon_->notify_port(), series);
    }

    redis_server redis_;
    test_hook_server hook_{app_hook};
    std::optional<daemon_process> daemon_;
};

TEST_F(hook_test, a_200_opens_with_the_user_and_claims_the_hook_gave)
{
    start();
    auto s = open({{"Cookie", "theme=dark; sessionid=u42"},
                   {"Authorization", "Basic dTpw"},
                   {"X-API-Key", "k-1"},
                   {"Origin", "https://app.example"}},
                  "orders:1,public");
    ASSERT_EQ(s.status(), 200) << s.response().body;
    auto const hello = s.next_event_named("connected");
    ASSERT_TRUE(hello);
    EXPECT_NE(hello->data.find(R"("user":"42")"), std::string::npos) << hello->data;

    // The hook was told every credential header, and the Origin, as the request had them.
    auto const seen = hook_.seen();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].target, "/sse/auth");
    EXPECT_EQ(seen[0].cookie, "theme=dark; sessionid=u42");
    EXPECT_EQ(seen[0].authorization, "Basic dTpw");
    EXPECT_EQ(seen[0].api_key, "k-1");
    EXPECT_EQ(seen[0].origin, "https://app.example");

    // The grants came from the hook (events.grants is empty): anything else is 403.
    auto refused = open(cookie("u42"), "invoices");
    EXPECT_EQ(refused.status(), 403);
    EXPECT_NE(refused.response().body.find("invoices"), std::string::npos);

    // The group came from the hook too: an audience of team-a reaches the stream.
    ASSERT_EQ(
        post_notify(daemon_->notify_port(),
                    R"({"name":"orders:1","type":"t","id":1,"audience":{"groups":["team-a"]}})")
            .status,
        202);
    auto const event = s.next_event_named("db");
    ASSERT_TRUE(event);
    // Other headers are another credential: asked again.
    EXPECT_EQ(metric(R"(sse_server_hook_requests_total{result="ok"})"), 2);
}

TEST_F(hook_test, a_401_and_a_403_reach_the_client)
{
    start();
    EXPECT_EQ(open(cookie("nobody")).status(), 401);
    EXPECT_EQ(open(cookie("denied")).status(), 403);
    // No credential at all: refused without asking the hook.
    EXPECT_EQ(open({{"Origin", "https://app.example"}}).status(), 401);
    EXPECT_EQ(hook_.requests(), 2u);
    EXPECT_TRUE(
        metric_becomes(daemon_->notify_port(), R"(sse_server_auth_total{outcome="forbidden"})", 1));
    EXPECT_EQ(metric(R"(sse_server_hook_requests_total{result="unauthorized"})"), 1);
}

TEST_F(hook_test, failures_of_the_hook_are_503_with_retry_after_and_never_a_stream)
{
    start(R"(timeout = "300ms")"
          "\n");
    std::string const big(200 * 1024, ' ');
    std::vector<std::pair<answer, std::string>> const failures{
        {{500, R"({"user":"1"})"}, "error"},
        {{200, "not json"}, "malformed"},
        {{200, R"(["1"])"}, "malformed"},
        {{200, R"({"user":null})"}, "malformed"},
        {{200, R"({"user":""})"}, "malformed"},
        {{200, R"({"user":"a\u0000b"})"}, "malformed"},
        {{200, R"({"user":"1","pad":")" + big + R"("})"}, "oversized"},
        {{302, ""}, "error"},
        {{0, "", true}, "timeout"}};
    int n = 0;
    std::map<std::string, int> counted;
    for (auto const& item : failures) {
        auto const failure = item.first;
        auto const& label = item.second;
        hook_.set_responder([failure](request const&) { return failure; });
        auto s = open(cookie("u" + std::to_string(++n)));
        EXPECT_EQ(s.status(), 503) << label;
        EXPECT_FALSE(s.response().header("retry-after").empty()) << label;
        EXPECT_TRUE(metric_becomes(daemon_->notify_port(),
                                   R"(sse_server_hook_requests_total{result=")" + label + "\"}",
                                   ++counted[label]))
            << label;
    }
    // Failures are not cached: the same credential asks again, and opens once the hook is well.
    hook_.set_responder(app_hook);
    EXPECT_EQ(open(cookie("u1")).status(), 200);
}

TEST_F(hook_test, a_hook_that_refuses_connections_is_503)
{
    start_at("http://127.0.0.1:" + std::to_string(refused_port()) + "/auth");
    auto s = open(cookie("u1"));
    EXPECT_EQ(s.status(), 503);
    EXPECT_FALSE(s.response().header("retry-after").empty());
    EXPECT_TRUE(metric_becomes(daemon_->notify_port(),
                               R"(sse_server_hook_requests_total{result="failed"})", 1));
    // Readiness does not depend on the hook: the app may be down while streams live on.
    EXPECT_TRUE(readyz_becomes(daemon_->notify_port(), 200));
}

TEST_F(hook_test, an_https_hook_is_verified_with_the_system_cas)
{
    test_certificates const certs;
    test_hook_server tls_hook{
        app_hook, test_hook_server::tls_identity{certs.server_cert(), certs.server_key()}};
    // OpenSSL's default CA bundle is SSL_CERT_FILE when set: the test's CA stands for the
    // system's.
    start_at(tls_hook.url(), "", {{"SSL_CERT_FILE", certs.ca()}});
    auto s = open(cookie("u5"));
    EXPECT_EQ(s.status(), 200) << s.response().body;
    EXPECT_EQ(open(cookie("u6")).status(), 200) << "on the kept-alive connection";
    EXPECT_EQ(tls_hook.requests(), 2u);

    // A certificate no trusted CA signed: no answer is taken from it.
    daemon_.reset();
    start_at(tls_hook.url(), "", {{"SSL_CERT_FILE", certs.other_ca()}});
    EXPECT_EQ(open(cookie("u7")).status(), 503);
    EXPECT_TRUE(metric_becomes(daemon_->notify_port(),
                               R"(sse_server_hook_requests_total{result="failed"})", 1));
    EXPECT_EQ(tls_hook.requests(), 2u);
}

TEST_F(hook_test, one_hook_request_for_a_hundred_streams_of_one_user_opened_together)
{
    start(R"(timeout = "20s")"
          "\n");
    hook_.hold();
    std::vector<tcp_connection> clients;
    for (int i = 0; i < 100; ++i) {
        clients.emplace_back(daemon_->clients_port());
        clients.back().send(stream_request("u7"));
    }
    // Every request is in the daemon, the first one at the hook, the others waiting for it.
    ASSERT_TRUE(metric_reaches(daemon_->notify_port(),
                               R"(sse_server_hook_lookups_total{result="joined"})", 99));
    hook_.release();
    for (auto& client : clients)
        EXPECT_EQ(status_of(client), 200);
    EXPECT_EQ(hook_.requests(), 1u);
    // A reconnect within the TTL is answered from the cache.
    EXPECT_EQ(open({{"Cookie", "sessionid=u7"}}).status(), 200);
    EXPECT_EQ(hook_.requests(), 1u);
    EXPECT_EQ(metric(R"(sse_server_hook_lookups_total{result="hit"})"), 1);
}

TEST_F(hook_test, an_answer_is_asked_again_once_its_ttl_is_over)
{
    start(R"(cache_ttl = "1s")"
          "\n");
    auto const first = std::chrono::steady_clock::now();
    EXPECT_EQ(open(cookie("u8")).status(), 200);
    ASSERT_EQ(hook_.requests(), 1u);
    // Reconnects are answered from the cache until the TTL is over, then the hook is asked.
    auto const deadline = first + 10s;
    while (hook_.requests() == 1 && std::chrono::steady_clock::now() < deadline)
        ASSERT_EQ(open(cookie("u8")).status(), 200);
    EXPECT_EQ(hook_.requests(), 2u);
    EXPECT_GE(std::chrono::steady_clock::now() - first, 1s);
}

TEST_F(hook_test, revalidation_asks_the_hook_again_and_closes_a_stream_whose_user_is_gone)
{
    start();
    auto s = open(cookie("u9"));
    ASSERT_EQ(s.status(), 200);
    ASSERT_TRUE(s.next_event_named("connected"));
    auto kept = open(cookie("u10"));
    ASSERT_EQ(kept.status(), 200);
    ASSERT_TRUE(kept.next_event_named("connected"));
    auto other_tab = open(cookie("u10")); // answered from the cache
    ASSERT_EQ(other_tab.status(), 200);
    ASSERT_TRUE(other_tab.next_event_named("connected"));
    ASSERT_EQ(hook_.requests(), 2u);
    // The app logs user 9 out: its session is gone.
    hook_.set_responder([](request const& r) {
        return r.cookie.find("sessionid=u9") != std::string::npos ? answer{401, ""} : app_hook(r);
    });
    ASSERT_EQ(http_request(daemon_->notify_port(), "POST", "/revalidate",
                           {{"Content-Type", "application/json"}}, R"({"users":["9","10"]})")
                  .status,
              202);
    EXPECT_TRUE(s.ends_cleanly());
    // Asked again, not answered from the cache; user 10's two streams share one request.
    EXPECT_EQ(hook_.requests(), 4u);
    EXPECT_TRUE(metric_becomes(daemon_->notify_port(),
                               R"(sse_server_connections_closed_total{reason="revalidation"})", 1));
    // Its reconnect gets the hook's 401 (kept for a few seconds); user 10 streams on.
    EXPECT_EQ(open(cookie("u9")).status(), 401);
    ASSERT_EQ(
        post_notify(daemon_->notify_port(), R"({"name":"orders:1","type":"t","id":2})").status,
        202);
    EXPECT_TRUE(kept.next_event_named("db"));
}

TEST_F(hook_test, max_inflight_holds_under_a_storm_of_two_thousand_distinct_credentials)
{
    // 2 000 client sockets here, as many in the daemon.
    if (raise_open_file_limit() < 2200)
        GTEST_SKIP() << "the open-file limit of this machine is below 2200";
    hook_.set_responder([](request const& r) {
        auto a = app_hook(r);
        a.delay = 20ms; // so that requests pile up at the hook
        return a;
    });
    // A timeout far away: every request is either answered or refused as busy.
    start("max_inflight = 16\ntimeout = \"20s\"\n");
    std::vector<tcp_connection> clients;
    clients.reserve(2000);
    for (int i = 0; i < 2000; ++i) {
        clients.emplace_back(daemon_->clients_port());
        clients.back().send(stream_request("u" + std::to_string(i)));
    }
    int ok = 0;
    int unavailable = 0;
    for (auto& client : clients) {
        auto const status = status_of(client);
        ok += status == 200 ? 1 : 0;
        unavailable += status == 503 ? 1 : 0;
    }
    EXPECT_EQ(ok + unavailable, 2000);
    EXPECT_GT(ok, 16);
    EXPECT_LE(hook_.max_concurrent(), 16u);
    EXPECT_GE(hook_.requests(), static_cast<std::size_t>(ok));
    EXPECT_EQ(metric(R"(sse_server_hook_requests_total{result="ok"})"), ok);
}

TEST_F(hook_test, hook_settings_are_checked_at_load)
{
    auto const check = [&](std::string const& toml) {
        daemon_process d{daemon_config(redis_, toml), {"--check-config"}, {}, false};
        EXPECT_NE(d.wait_exit(20s).value_or(0), 0);
        return d.output();
    };
    EXPECT_NE(check("[auth]\nmethods = [\"hook\"]\n").find(R"("hook" needs auth.hook.url)"),
              std::string::npos);
    EXPECT_NE(check("[auth.hook]\nurl = \"ftp://a\"\n").find("auth.hook.url: expected http://"),
              std::string::npos);
    EXPECT_NE(check("[auth.hook]\nmax_inflight = 0\n").find("auth.hook.max_inflight"),
              std::string::npos);
}

} // namespace
} // namespace sse_server::test
