// The express-session example of docs/integration.md (docs/examples/express-session), run as
// a reader runs it: `npm ci`, `node app.mjs` on a real Redis, and the daemon started with the
// example's own sse-server.toml. A login in the app opens a stream on the daemon with the
// cookie the app set, and a change made through the app's API reaches the user's tabs with
// the origin of the tab that made it: the settings the guide gives are the ones that work.
// Skipped, saying why, where Node or npm is missing or npm cannot reach its registry.
#include "support/child_process.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/node_example.hpp"
#include "support/redis_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <optional>

namespace sse_server::test {
namespace {

// The page's origin as the example's sse-server.toml allows it (client.cors_origins): the
// app serves the page, the daemon the stream, on another port and so another origin.
constexpr auto page_origin = "http://localhost:3000";

class express_session_example : public ::testing::Test
{
protected:
    void SetUp() override
    {
        auto const example = prepare_node_example("express-session", SSE_SERVER_TEST_WORK_DIR);
        if (!example.skip_reason.empty())
            GTEST_SKIP() << example.skip_reason;
        ASSERT_TRUE(example.failure.empty()) << example.failure;

        redis_.emplace();
        // The daemon exactly as the example configures it: a logout reaches open streams
        // through the app's POST /revalidate, not the periodic revalidation (60 s).
        daemon_.emplace(daemon_config(*redis_, file_text(example.app_dir / "sse-server.toml")),
                        std::vector<std::string>{}, std::map<std::string, std::string>{});
        // The app with its own defaults for the secret and the token (those of the example's
        // sse-server.toml), told only where Redis and the daemon are.
        app_.emplace(std::vector<std::string>{"/usr/bin/env", "node",
                                              (example.app_dir / "app.mjs").string()},
                     environment_with({{"REDIS_URL", redis_->url()},
                                       {"SSE_NOTIFY_URL",
                                        "http://127.0.0.1:" +
                                            std::to_string(daemon_->notify_port()) + "/notify"},
                                       {"PORT", "0"},
                                       {"NODE_ENV", "development"}},
                                      "SSE_"));
        ASSERT_TRUE(app_->wait_for_output("listening on", 30s)) << app_->output();
        app_port_ = port_printed(app_->output());
        ASSERT_NE(app_port_, 0) << app_->output();
    }

    /** Logs alice in through the app; returns the cookie it set (`connect.sid=s%3A…`). */
    std::string login()
    {
        auto const r = http_request(app_port_, "POST", "/login",
                                    {{"Content-Type", "application/json"}},
                                    R"({"username":"alice","password":"wonderland"})");
        EXPECT_EQ(r.status, 200) << r.body << app_->output();
        auto const set_cookie = r.header("set-cookie");
        EXPECT_EQ(set_cookie.rfind("connect.sid=s%3A", 0), 0u) << set_cookie;
        return set_cookie.substr(0, set_cookie.find(';'));
    }

    /** A tab of the page: its stream, opened with the cookie and the tab's origin. */
    sse_stream open_tab(std::string const& cookie, std::string const& origin)
    {
        return sse_stream(daemon_->clients_port(), "/events?events=orders&origin=" + origin,
                          {{"Cookie", cookie}, {"Origin", page_origin}});
    }

    /** The `connected` event's data, the stream's greeting. */
    static nlohmann::json greeting(sse_stream& tab)
    {
        auto const e = tab.next_event_named("connected");
        return e ? nlohmann::json::parse(e->data, nullptr, false) : nlohmann::json();
    }

    std::optional<redis_server> redis_;
    std::optional<daemon_process> daemon_;
    std::optional<child_process> app_;
    std::uint16_t app_port_ = 0;
};

TEST_F(express_session_example,
       a_login_in_the_app_opens_a_stream_and_a_change_reaches_every_tab_with_its_origin)
{
    auto const cookie = login();

    auto tab1 = open_tab(cookie, "tab-1");
    ASSERT_EQ(tab1.status(), 200) << tab1.response().body << daemon_->output();
    // The page is on another origin: the browser hands the stream to it only with these.
    EXPECT_EQ(tab1.response().header("access-control-allow-origin"), page_origin);
    EXPECT_EQ(tab1.response().header("access-control-allow-credentials"), "true");
    auto const hello = greeting(tab1);
    ASSERT_TRUE(hello.is_object());
    EXPECT_EQ(hello["user"], "42") << "the user id the app put at /userId";
    EXPECT_EQ(hello["origin"], "tab-1") << "the origin the page gave, read back";

    auto tab2 = open_tab(cookie, "tab-2");
    ASSERT_EQ(tab2.status(), 200) << tab2.response().body;
    ASSERT_TRUE(greeting(tab2).is_object());

    // The claims the login wrote: orders and the user's own inbox, nothing else.
    sse_stream inbox(daemon_->clients_port(), "/events?events=inbox:42",
                     {{"Cookie", cookie}, {"Origin", page_origin}});
    EXPECT_EQ(inbox.status(), 200) << inbox.response().body;
    sse_stream payroll(daemon_->clients_port(), "/events?events=payroll",
                       {{"Cookie", cookie}, {"Origin", page_origin}});
    EXPECT_EQ(payroll.status(), 403) << "granted by no pattern";

    // Tab 1 changes order 12 through the app's API, with the origin it read back.
    auto const changed = http_request(app_port_, "PATCH", "/api/orders/12",
                                      {{"Cookie", cookie},
                                       {"X-SSE-Origin", hello["origin"].get<std::string>()},
                                       {"Content-Type", "application/json"}},
                                      R"({"status":"shipped"})");
    ASSERT_EQ(changed.status, 200) << changed.body << app_->output();

    for (auto* tab : {&tab1, &tab2}) {
        auto const e = tab->next_event_named("db");
        ASSERT_TRUE(e) << "the change never came; the app said:\n" << app_->output();
        auto const n = nlohmann::json::parse(e->data, nullptr, false);
        ASSERT_TRUE(n.is_object()) << e->data;
        EXPECT_EQ(n["name"], "orders");
        EXPECT_EQ(n["id"], 12);
        EXPECT_EQ(n["data"]["status"], "shipped");
        // Tab 1 recognises its own change by this and skips it; tab 2 applies it.
        EXPECT_EQ(n["origin"], "tab-1") << e->data;
    }
}

TEST_F(express_session_example, a_logout_in_the_app_ends_the_open_stream_and_its_cookie_opens_none)
{
    auto const cookie = login();
    auto tab = open_tab(cookie, "tab-1");
    ASSERT_EQ(tab.status(), 200) << tab.response().body;
    ASSERT_TRUE(greeting(tab).is_object());

    auto const out = http_request(app_port_, "POST", "/logout", {{"Cookie", cookie}});
    ASSERT_EQ(out.status, 204) << out.body << app_->output();
    // connect-redis deleted the session, and the app's POST /revalidate ends the stream at
    // once, where the periodic revalidation would take up to a minute.
    EXPECT_TRUE(tab.ends_cleanly(5s));
    auto again = open_tab(cookie, "tab-1");
    EXPECT_EQ(again.status(), 401);

    // A cookie the app never signed is refused too, though its session exists in Redis.
    redis_->set("sess:forged", R"({"cookie":{},"userId":42})");
    auto forged = open_tab("connect.sid=s%3Aforged.bm90LWEtc2lnbmF0dXJl", "tab-1");
    EXPECT_EQ(forged.status(), 401);
}

} // namespace
} // namespace sse_server::test
