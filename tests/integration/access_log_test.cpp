// The access log (log.access) as an operator reads it from the daemon's output: one line per
// stream ended and per stream refused, the client's address (from a trusted proxy's headers
// only), never a credential, and within a budget under floods.
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"

#include <csignal>
#include <gtest/gtest.h>
#include <string>
#include <thread>
#include <vector>

namespace sse_server::test {
namespace {

/** The output's lines holding `text`. */
std::vector<std::string> lines_with(std::string const& output, std::string const& text)
{
    std::vector<std::string> found;
    for (auto at = output.find(text); at != std::string::npos; at = output.find(text, at + 1)) {
        auto const start = output.rfind('\n', at) + 1; // npos + 1 == 0
        found.push_back(output.substr(start, output.find('\n', at) - start));
    }
    return found;
}

/** The last line holding `text`, once it is in the output. */
std::string awaited_line(daemon_process& d, std::string const& text)
{
    if (!d.wait_for_output(text, 10s))
        return "<no line with " + text + ">\n" + d.output();
    return lines_with(d.output(), text).back();
}

std::string const orders = R"({"name":"orders","type":"create","id":1})";

TEST(access_log, a_stream_that_ends_is_one_line_saying_who_how_long_how_much_and_why)
{
    redis_server redis;
    redis.set("sess:s42", R"({"userId":42})");
    daemon_process d{daemon_config(redis)};
    {
        sse_stream s{
            d.clients_port(), "/events?events=orders&origin=tab-7", {{"Cookie", "sid=s42"}}};
        ASSERT_EQ(s.status(), 200);
        ASSERT_TRUE(s.next_event_named("connected"));
        for (int i = 0; i < 2; ++i) {
            ASSERT_EQ(post_notify(d.notify_port(), orders).status, 202);
            ASSERT_TRUE(s.next_event());
        }
    } // the client hangs up
    auto const line = awaited_line(d, "access: stream ended");
    EXPECT_NE(line.find("access: stream ended client=127.0.0.1 user=42 origin=tab-7 duration="),
              std::string::npos)
        << line;
    EXPECT_NE(line.find("s events=2 bytes="), std::string::npos) << line;
    EXPECT_TRUE(line.ends_with(" reason=client_gone")) << line;
    auto const bytes = std::stoul(line.substr(line.find("bytes=") + 6));
    EXPECT_GT(bytes, 2 * orders.size()) << line;
    EXPECT_EQ(d.output().find("s42"), std::string::npos) << "the session id was logged";
}

TEST(access_log, a_refused_stream_says_the_status_and_reason_and_never_the_credential)
{
    redis_server redis;
    daemon_process d{daemon_config(redis)};
    sse_stream cookie{d.clients_port(), "/events", {{"Cookie", "sid=SeCrEtCoOkIe"}}};
    EXPECT_EQ(cookie.status(), 401);
    sse_stream key{d.clients_port(), "/events", {{"X-API-Key", "SeCrEtApIkEy"}}};
    EXPECT_EQ(key.status(), 401);
    sse_stream bad_name{d.clients_port(), "/events?events=a%20b", {{"X-API-Key", "k"}}};
    EXPECT_EQ(bad_name.status(), 400);

    auto const line = awaited_line(d, "status=400");
    EXPECT_NE(line.find(R"(access: stream refused client=127.0.0.1 status=400 reason="invalid)"),
              std::string::npos)
        << line;
    auto const unauthorized = lines_with(d.output(), "status=401");
    ASSERT_EQ(unauthorized.size(), 2u) << d.output();
    for (auto const& l : unauthorized)
        EXPECT_NE(l.find("access: stream refused client=127.0.0.1 status=401 reason=unauthorized"),
                  std::string::npos)
            << l;
    EXPECT_EQ(d.output().find("SeCrEt"), std::string::npos) << d.output();
}

TEST(access_log, the_client_address_comes_from_a_trusted_proxy_and_from_no_one_else)
{
    redis_server redis;
    // The test's connections come from 127.0.0.1: here, a trusted proxy.
    daemon_process proxied{daemon_config(redis),
                           {},
                           {{"SSE_SERVER_LISTEN_TRUSTED_PROXIES", R"(["127.0.0.0/8", "::1"])"}}};
    sse_stream forwarded_for{
        proxied.clients_port(), "/events", {{"X-Forwarded-For", "6.6.6.6, 198.51.100.23"}}};
    EXPECT_EQ(forwarded_for.status(), 401);
    EXPECT_NE(awaited_line(proxied, "client=198.51.100.23").find("status=401"), std::string::npos);
    sse_stream forwarded{proxied.clients_port(),
                         "/events",
                         {{"Forwarded", R"(for="[2001:db8::5]:4711";proto=https)"}}};
    EXPECT_EQ(forwarded.status(), 401);
    EXPECT_NE(awaited_line(proxied, "client=2001:db8::5").find("status=401"), std::string::npos);
    EXPECT_EQ(proxied.output().find("6.6.6.6"), std::string::npos)
        << "what the client wrote itself was believed";

    daemon_process direct{daemon_config(redis)};
    sse_stream spoofed{direct.clients_port(), "/events", {{"X-Forwarded-For", "198.51.100.23"}}};
    EXPECT_EQ(spoofed.status(), 401);
    EXPECT_NE(awaited_line(direct, "access: stream refused").find("client=127.0.0.1 "),
              std::string::npos);
    EXPECT_EQ(direct.output().find("198.51.100.23"), std::string::npos) << direct.output();
}

TEST(access_log, log_access_false_writes_none)
{
    redis_server redis;
    redis.set("sess:s", R"({"userId":1})");
    daemon_process d{daemon_config(redis, "[log]\naccess = false\n")};
    {
        sse_stream s{d.clients_port(), "/events", {{"Cookie", "sid=s"}}};
        ASSERT_EQ(s.status(), 200);
        ASSERT_TRUE(s.next_event_named("connected"));
        sse_stream refused{d.clients_port(), "/events"};
        EXPECT_EQ(refused.status(), 401);
    }
    // The stream ends at the latest with the daemon; everything it logged is in by its exit.
    d.signal(SIGTERM);
    ASSERT_EQ(d.wait_exit(20s), 0);
    EXPECT_EQ(d.output().find("access:"), std::string::npos) << d.output();
}

// "access: stream refused 401: 123 more in the last 1 s, ...": the counts of the summaries.
std::size_t summarised(std::string const& output)
{
    std::size_t total = 0;
    std::string const start = "access: stream refused 401: ";
    for (auto const& line : lines_with(output, start))
        total += std::stoul(line.substr(line.find(start) + start.size()));
    return total;
}

TEST(access_log, a_flood_of_refusals_is_logged_within_its_budget_and_the_rest_counted)
{
    redis_server redis;
    daemon_process d{daemon_config(redis)};
    constexpr std::size_t flood = 600;
    auto const started = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < flood; ++i) {
        sse_stream refused{d.clients_port(), "/events"};
        ASSERT_EQ(refused.status(), 401);
    }
    auto const seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
            .count();
    // Every refusal is either a line of its own or counted in a summary, a second later.
    std::size_t logged = 0;
    auto const deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
        logged = lines_with(d.output(), "access: stream refused client=").size();
        if (logged + summarised(d.output()) >= flood)
            break;
        std::this_thread::sleep_for(50ms); // polling the output for the summaries' counts
    }
    EXPECT_EQ(logged + summarised(d.output()), flood) << d.output();
    // At most 100 lines in each second the flood lasted (its first and last counted whole).
    EXPECT_LE(logged, 100u * static_cast<std::size_t>(seconds + 2));
}

} // namespace
} // namespace sse_server::test
