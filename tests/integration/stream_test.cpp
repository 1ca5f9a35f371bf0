// The clients port end to end: a real redis-server, the server object in-process, real sockets.
#include "sse_server/auth/credentials.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <nlohmann/json.hpp>

namespace sse_server::test {
namespace {


/** Redis with two logged-in users (a browser session for 42, an API key for 7) and a server. */
class stream_test : public ::testing::Test
{
protected:
    void SetUp() override
    {
        redis_.set("sess:alice-session", R"({"cookie":{"path":"/"},"userId":42})");
        redis_.set("apikey:bob-key", "7");
    }

    void start(config cfg) { server_.emplace(std::move(cfg)); }
    void start() { start(test_config(redis_)); }

    std::uint16_t clients() const { return server_->clients_port(); }
    std::uint16_t notify() const { return server_->notify_port(); }

    static header_list alice() { return {{"Cookie", "theme=dark; sid=alice-session"}}; }
    static header_list bob() { return {{"Authorization", "Bearer bob-key"}}; }

    /** Opens a stream and consumes the `connected` event. */
    sse_stream open(std::string const& target, header_list const& headers)
    {
        sse_stream s{clients(), target, headers};
        EXPECT_EQ(s.status(), 200) << s.response().body;
        auto hello = s.next_event();
        EXPECT_TRUE(hello && hello->event == "connected");
        return s;
    }

    nlohmann::json post(std::string const& body)
    {
        auto r = post_notify(notify(), body);
        EXPECT_EQ(r.status, 202) << r.body;
        return nlohmann::json::parse(r.body, nullptr, false);
    }

    redis_server redis_;
    std::optional<running_server> server_;
};

std::string note(std::string const& name, std::string const& id, std::string const& extra = "")
{
    return R"({"name":")" + name + R"(","type":"update","id":)" + id + extra + "}";
}

TEST_F(stream_test, stream_starts_with_headers_retry_and_connected_event)
{
    start();
    sse_stream s{clients(), "/events?events=orders,users&events=orders&origin=tab-1", alice()};
    ASSERT_EQ(s.status(), 200);
    EXPECT_EQ(s.response().header("content-type"), "text/event-stream; charset=utf-8");
    EXPECT_EQ(s.response().header("cache-control"), "no-cache, no-transform");
    EXPECT_EQ(s.response().header("x-accel-buffering"), "no");
    auto hello = s.next_event();
    ASSERT_TRUE(hello);
    EXPECT_EQ(hello->event, "connected");
    EXPECT_EQ(nlohmann::json::parse(hello->data),
              nlohmann::json::parse(
                  R"({"origin":"tab-1","user":"42","events":["orders","users"]})"));
    EXPECT_EQ(hello->data.find("\"origin\""), 1u) << "keys in the documented order";
    EXPECT_EQ(s.retry_ms(), 3000);
}

TEST_F(stream_test, origin_is_generated_when_absent)
{
    start();
    sse_stream s{clients(), "/events", alice()};
    auto hello = s.next_event();
    ASSERT_TRUE(hello);
    auto const origin = nlohmann::json::parse(hello->data)["origin"].get<std::string>();
    EXPECT_EQ(origin.size(), 36u);
    EXPECT_EQ(origin[14], '4') << "a UUID v4: " << origin;
}

TEST_F(stream_test, clients_receive_their_subscriptions_and_own_account_events_only)
{
    start();
    auto a = open("/events?events=orders", alice());
    auto b = open("/events?events=invoices", bob());

    post(note("orders", "1"));
    post(note("invoices", "2"));
    post(note("user", "42"));    // alice's account
    post(note("user", "\"7\"")); // bob's account, id as a string
    post(note("user", "99"));    // someone else
    post(note("products", "3")); // nobody subscribed
    post(note("orders", "4", R"(,"data":{"total":10})"));

    auto expect_next = [](sse_stream& s, std::string const& body) {
        auto e = s.next_event();
        ASSERT_TRUE(e) << "expected " << body;
        EXPECT_EQ(e->event, "db");
        EXPECT_EQ(e->data, body);
        EXPECT_FALSE(e->id.empty());
    };
    expect_next(a, note("orders", "1"));
    expect_next(a, note("user", "42"));
    expect_next(a, note("orders", "4", R"(,"data":{"total":10})"));
    expect_next(b, note("invoices", "2"));
    expect_next(b, note("user", "\"7\""));

    // Nothing else: a final marker each would receive is the very next event.
    post(note("user", "42", R"(,"marker":true)"));
    post(note("user", "7", R"(,"marker":true)"));
    expect_next(a, note("user", "42", R"(,"marker":true)"));
    expect_next(b, note("user", "7", R"(,"marker":true)"));
}

TEST_F(stream_test, subscribing_to_the_account_event_by_name_is_refused)
{
    start();
    // Otherwise anyone could read every user's account changes, live or replayed.
    sse_stream spy{clients(), "/events?events=orders,user", bob()};
    EXPECT_EQ(spy.status(), 400);
    EXPECT_NE(spy.response().body.find("reserved"), std::string::npos) << spy.response().body;
    auto a = open("/events", alice());
    auto r = post(note("user", "42"));
    EXPECT_EQ(r["recipients"], 1) << "alice alone, through the account rule";
    auto first = a.next_event();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->data, note("user", "42"));
}

TEST_F(stream_test, event_ids_increase)
{
    start();
    auto a = open("/events?events=orders", alice());
    for (int i = 0; i < 5; ++i)
        post(note("orders", std::to_string(i)));
    std::string previous;
    for (int i = 0; i < 5; ++i) {
        auto e = a.next_event();
        ASSERT_TRUE(e);
        auto const dash = e->id.find('-');
        ASSERT_NE(dash, std::string::npos) << e->id;
        if (!previous.empty()) {
            auto const p = previous.find('-');
            auto const older = std::make_pair(std::stoull(previous.substr(0, p)),
                                              std::stoull(previous.substr(p + 1)));
            auto const newer = std::make_pair(std::stoull(e->id.substr(0, dash)),
                                              std::stoull(e->id.substr(dash + 1)));
            EXPECT_LT(older, newer);
        }
        previous = e->id;
    }
}

TEST_F(stream_test, api_key_is_accepted_from_x_api_key_and_from_query_when_allowed)
{
    auto cfg = test_config(redis_);
    cfg.auth.api_key.allow_query = true;
    start(cfg);
    auto by_header = open("/events", {{"X-API-Key", "bob-key"}});
    auto by_query = open("/events?api_key=bob-key", {});
    post(note("user", "7"));
    EXPECT_TRUE(by_header.next_event());
    EXPECT_TRUE(by_query.next_event());
}

TEST_F(stream_test, query_api_key_is_refused_unless_allowed)
{
    start();
    sse_stream s{clients(), "/events?api_key=bob-key", {}};
    EXPECT_EQ(s.status(), 401);
}

TEST_F(stream_test, missing_or_wrong_credentials_get_401)
{
    start();
    EXPECT_EQ(sse_stream(clients(), "/events", {}).status(), 401);
    EXPECT_EQ(sse_stream(clients(), "/events", {{"Cookie", "sid=nobody"}}).status(), 401);
    EXPECT_EQ(sse_stream(clients(), "/events", {{"X-API-Key", "wrong"}}).status(), 401);
    EXPECT_EQ(sse_stream(clients(), "/events", {{"Cookie", "sid=a*b"}}).status(), 401);
    // An invalid Bearer token does not fall through to a valid cookie.
    header_list both = alice();
    both.emplace_back("Authorization", "Bearer wrong");
    auto refused = sse_stream(clients(), "/events", both);
    EXPECT_EQ(refused.status(), 401);
    EXPECT_EQ(refused.response().header("content-type"), "text/plain; charset=utf-8");
    EXPECT_FALSE(refused.response().body.empty());
}

TEST_F(stream_test, malformed_credentials_are_refused_without_asking_redis)
{
    start();
    auto get_calls = [&] {
        // Redis counts the GETs it served: the daemon's lookups, and nothing else here.
        auto const stats = redis_.command({"INFO", "commandstats"});
        auto const at = stats.find("cmdstat_get:calls=");
        return at == std::string::npos ? 0L : std::stol(stats.substr(at + 18));
    };
    auto const before = get_calls();
    for (auto const& bad : {header_list{{"Cookie", "sid=a*b"}},
                            header_list{{"Cookie", "sid=\"x y\""}},
                            header_list{{"X-API-Key", "key\twith tab"}},
                            header_list{{"Authorization", "Bearer " + std::string(257, 'k')}},
                            header_list{{"Cookie", "sid=%0D%0AFLUSHALL"}}})
        EXPECT_EQ(sse_stream(clients(), "/events", bad).status(), 401) << bad[0].second;
    EXPECT_EQ(get_calls(), before);
    // A well-formed but unknown one is looked up.
    EXPECT_EQ(sse_stream(clients(), "/events", {{"Cookie", "sid=unknown"}}).status(), 401);
    EXPECT_EQ(get_calls(), before + 1);
}

TEST_F(stream_test, session_without_user_id_gets_401)
{
    redis_.set("sess:anonymous", R"({"cookie":{}})");
    start();
    EXPECT_EQ(sse_stream(clients(), "/events", {{"Cookie", "sid=anonymous"}}).status(), 401);
}

TEST_F(stream_test, signed_cookies_are_verified_with_every_listed_secret)
{
    auto cfg = test_config(redis_);
    cfg.auth.session.secrets = {"new-secret", "old-secret"};
    cfg.auth.session.cookie = "connect.sid";
    cfg.auth.session.user_id_pointer = "/passport/user";
    redis_.set("sess:s1", R"({"passport":{"user":"u_1"}})");
    start(cfg);

    auto encode = [](std::string v) {
        // What express sends: the value URL-encoded.
        std::string out;
        for (char c : v)
            out += c == ':' ? std::string("%3A") : c == '/' ? "%2F" : c == '+' ? "%2B"
                 : c == '=' ? "%3D" : std::string(1, c);
        return out;
    };
    auto with = [&](std::string const& secret) {
        return header_list{{"Cookie", "connect.sid=" + encode(sign_cookie("s1", secret))}};
    };
    auto current = open("/events", with("new-secret"));
    auto rotated = open("/events", with("old-secret"));
    EXPECT_EQ(sse_stream(clients(), "/events", with("stolen-secret")).status(), 401);
    EXPECT_EQ(sse_stream(clients(), "/events", {{"Cookie", "connect.sid=s1"}}).status(), 401);
    post(note("user", "\"u_1\""));
    EXPECT_TRUE(current.next_event());
    EXPECT_TRUE(rotated.next_event());
}

TEST_F(stream_test, redis_down_gives_503_with_retry_after)
{
    start();
    redis_.stop();
    sse_stream s{clients(), "/events", alice()};
    EXPECT_EQ(s.status(), 503);
    EXPECT_FALSE(s.response().header("retry-after").empty());
}

TEST_F(stream_test, bad_requests_get_400_with_a_reason)
{
    start();
    auto bad_name = sse_stream(clients(), "/events?events=ok,not%20ok", alice());
    EXPECT_EQ(bad_name.status(), 400);
    EXPECT_NE(bad_name.response().body.find("invalid event name"), std::string::npos);
    EXPECT_EQ(sse_stream(clients(), "/events?origin=a.b", alice()).status(), 400);

    std::string many = "/events?events=e0";
    for (int i = 1; i <= 64; ++i)
        many += ",e" + std::to_string(i);
    auto too_many = sse_stream(clients(), many, alice());
    EXPECT_EQ(too_many.status(), 400);
    EXPECT_NE(too_many.response().body.find("too many"), std::string::npos);

    EXPECT_EQ(sse_stream(clients(), "/elsewhere", alice()).status(), 404);
    EXPECT_EQ(http_request(clients(), "POST", "/events", alice()).status, 405);
}

TEST_F(stream_test, multi_line_bodies_arrive_as_sent)
{
    start();
    auto a = open("/events?events=orders", alice());
    std::string const pretty = "{\n  \"name\": \"orders\",\r\n  \"type\": \"create\",\n  \"id\": 5\n}";
    post(pretty);
    auto e = a.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data, "{\n  \"name\": \"orders\",\n  \"type\": \"create\",\n  \"id\": 5\n}");
}

TEST_F(stream_test, batch_items_arrive_in_order_as_compact_json)
{
    start();
    auto a = open("/events?events=orders", alice());
    auto r = post(R"([ {"name":"orders", "type":"create", "id":1, "data":{"b":1,"a":2}},
                       {"name":"orders", "type":"delete", "id":2} ])");
    EXPECT_EQ(r["accepted"], 2);
    EXPECT_EQ(r["recipients"], 2);
    auto first = a.next_event();
    auto second = a.next_event();
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->data, R"({"name":"orders","type":"create","id":1,"data":{"b":1,"a":2}})");
    EXPECT_EQ(second->data, R"({"name":"orders","type":"delete","id":2})");
}

TEST_F(stream_test, notification_with_origin_reaches_the_announcing_client_intact)
{
    start();
    auto a = open("/events?events=orders&origin=window-7", alice());
    auto const body = note("orders", "1", R"(,"origin":"window-7")");
    post(body);
    auto e = a.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data, body);
    EXPECT_EQ(nlohmann::json::parse(e->data)["origin"], "window-7");
}

TEST_F(stream_test, cors_headers_only_for_configured_origins)
{
    auto cfg = test_config(redis_);
    cfg.client.cors_origins = {"https://app.example.com"};
    start(cfg);
    auto with_origin = [&](std::string const& origin) {
        auto h = alice();
        h.emplace_back("Origin", origin);
        return h;
    };
    sse_stream allowed{clients(), "/events", with_origin("https://app.example.com")};
    EXPECT_EQ(allowed.response().header("access-control-allow-origin"),
              "https://app.example.com");
    EXPECT_EQ(allowed.response().header("access-control-allow-credentials"), "true");
    EXPECT_EQ(allowed.response().header("vary"), "Origin");
    sse_stream other{clients(), "/events", with_origin("https://evil.example")};
    EXPECT_EQ(other.status(), 200);
    EXPECT_EQ(other.response().header("access-control-allow-origin"), "");
}

TEST_F(stream_test, idle_streams_get_heartbeat_comments)
{
    auto cfg = test_config(redis_);
    cfg.client.heartbeat = std::chrono::milliseconds(200);
    start(cfg);
    auto a = open("/events", alice());
    EXPECT_TRUE(a.await_comments(2)) << "heartbeats only, nothing else, until the second";
}

TEST_F(stream_test, heartbeats_of_an_idle_stream_come_no_closer_than_three_quarters_apart)
{
    // client.heartbeat = 400 ms: comments are due 0.75 to 1 heartbeat apart (300–400 ms), so
    // 8 of them span at least 6 × 300 ms, allowing one delayed on its way (a loaded machine
    // only delays them further). They used to come every tick of half a heartbeat less a
    // sweep: 8 in about 1 s.
    auto cfg = test_config(redis_);
    cfg.client.heartbeat = std::chrono::milliseconds(400);
    start(cfg);
    auto a = open("/events", alice());
    ASSERT_TRUE(a.await_comments(8, 30s)) << "an idle stream gets its heartbeats, nothing else";
    auto const& at = a.comment_times();
    EXPECT_GE(at[7] - at[0], 6 * 300ms);
}

TEST_F(stream_test, idle_streams_outlive_the_send_timeout)
{
    // The send timeout bounds writes only; a quiet client is not a stalled one.
    auto cfg = test_config(redis_);
    cfg.client.send_timeout = std::chrono::milliseconds(300);
    cfg.client.heartbeat = std::chrono::milliseconds(200);
    start(cfg);
    auto a = open("/events?events=orders", alice());
    // Heartbeats only, due at least 150 ms apart: 11 of them span more than four send timeouts.
    ASSERT_TRUE(a.await_comments(11, 30s));
    post(note("orders", "1"));
    auto e = a.next_event();
    ASSERT_TRUE(e) << "the stream is still open";
    EXPECT_EQ(e->data, note("orders", "1"));
}

TEST_F(stream_test, http_1_0_clients_get_an_unchunked_stream)
{
    start();
    tcp_connection c{clients()};
    c.send("GET /events HTTP/1.0\r\nCookie: sid=alice-session\r\n\r\n");
    std::string got;
    while (got.find("event: connected") == std::string::npos)
        ASSERT_GT(c.read_some(got, 10s), 0) << got;
    EXPECT_EQ(got.rfind("HTTP/1.0 200", 0), 0u) << got;
    EXPECT_EQ(got.find("chunked"), std::string::npos) << got;
}

TEST_F(stream_test, a_client_that_hangs_up_while_being_authenticated_is_let_go_at_once)
{
    // The hang-up (FIN) arrives while Redis is being asked, before the stream starts; the
    // stream must end then, not at the next heartbeat or write.
    auto cfg = test_config(redis_);
    cfg.client.heartbeat = std::chrono::seconds(60);
    start(cfg);
    tcp_connection c{clients()};
    c.send("GET /events HTTP/1.1\r\nHost: x\r\nCookie: sid=alice-session\r\n\r\n");
    ::shutdown(c.fd(), SHUT_WR);
    EXPECT_TRUE(c.closed_within(5s));
    EXPECT_TRUE(metric_reaches(
        notify(), R"(sse_server_connections_closed_total{reason="client_gone"})", 1, 5s));
}

} // namespace
} // namespace sse_server::test
