// The notification examples of docs/integration.md, run as a reader would run them: the
// interpreter on the script, against the real daemon with a token, a browser-like stream
// listening. Skipped, saying so, where the interpreter is not installed.
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/shell_command.hpp"

#include <cstdlib>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

namespace sse_server::test {
namespace {

constexpr auto token = "guide-token";

struct example
{
    std::string interpreter;
    std::string script; // under docs/examples/
};

/** How the test is named by ctest (gtest would print the struct's bytes). */
void PrintTo(example const& ex, std::ostream* os)
{
    *os << ex.interpreter << ' ' << ex.script;
}

/** The interpreter is there, with what the example needs (PHP's curl extension is a package
    of its own, php-curl). */
bool runnable(example const& ex)
{
    auto const check = ex.interpreter == "php"
                           ? std::string("php -r 'exit(function_exists(\"curl_init\") ? 0 : 1);'")
                           : "command -v " + ex.interpreter;
    return std::system((check + " >/dev/null 2>&1").c_str()) == 0;
}

/** Runs the example with its environment variables set, the way the guide says to. */
command_result run(example const& ex, std::uint16_t notify_port, std::string const& with_token)
{
    return run_shell("env SSE_NOTIFY_URL=http://127.0.0.1:" + std::to_string(notify_port) +
                     "/notify SSE_NOTIFY_TOKEN=" + with_token + " timeout 60 " + ex.interpreter +
                     " '" + SSE_SERVER_SOURCE_DIR + "/docs/examples/" + ex.script + "'");
}

/** The JSON the script printed after `label: ` (null when it printed none). */
nlohmann::json printed(std::string const& output, std::string const& label)
{
    auto const at = output.find(label + ": ");
    if (at == std::string::npos)
        return nullptr;
    auto const start = at + label.size() + 2;
    auto j = nlohmann::json::parse(output.substr(start, output.find('\n', start) - start), nullptr,
                                   false);
    return j.is_discarded() ? nullptr : j;
}

class notify_example : public ::testing::TestWithParam<example>
{
protected:
    void SetUp() override
    {
        if (!runnable(GetParam()))
            GTEST_SKIP() << GetParam().interpreter << " (or what its example needs) is not "
                         << "installed: its example is not run";
        redis_.emplace();
        redis_->set("sess:s", R"({"userId":42})");
        daemon_.emplace(
            daemon_config(*redis_, std::string("[notify]\ntoken = \"") + token + "\"\n"));
        stream_.emplace(daemon_->clients_port(), "/events?events=orders",
                        header_list{{"Cookie", "sid=s"}});
        ASSERT_EQ(stream_->status(), 200);
        ASSERT_TRUE(stream_->next_event_named("connected"));
    }

    std::optional<redis_server> redis_;
    std::optional<daemon_process> daemon_;
    std::optional<sse_stream> stream_;
};

TEST_P(notify_example, posts_one_notification_and_a_batch_that_reach_a_subscribed_stream)
{
    auto const result = run(GetParam(), daemon_->notify_port(), token);
    ASSERT_EQ(result.exit_status, 0) << result.output;
    auto const one = printed(result.output, "one");
    auto const batch = printed(result.output, "batch");
    ASSERT_TRUE(one.is_object() && batch.is_object()) << result.output;
    EXPECT_EQ(one["accepted"], 1) << result.output;
    EXPECT_EQ(one["recipients"], 1) << result.output;
    EXPECT_EQ(batch["accepted"], 2) << result.output;

    ASSERT_TRUE(one["ids"].is_array() && one["ids"].size() == 1) << result.output;
    ASSERT_TRUE(batch["ids"].is_array() && batch["ids"].size() == 2) << result.output;

    // The stream gets the three rows in order, under the ids the script was answered.
    std::vector<std::string> const ids{one["ids"][0].get<std::string>(),
                                       batch["ids"][0].get<std::string>(),
                                       batch["ids"][1].get<std::string>()};
    std::vector<std::pair<std::string, int>> const expected{
        {"update", 12}, {"create", 13}, {"delete", 11}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        auto e = stream_->next_event();
        ASSERT_TRUE(e) << "event " << i << " never came";
        EXPECT_EQ(e->event, "db");
        EXPECT_EQ(e->id, ids[i]);
        auto const n = nlohmann::json::parse(e->data, nullptr, false);
        ASSERT_TRUE(n.is_object()) << e->data;
        EXPECT_EQ(n["name"], "orders");
        EXPECT_EQ(n["type"], expected[i].first) << e->data;
        EXPECT_EQ(n["id"], expected[i].second) << e->data;
    }
}

TEST_P(notify_example, with_a_wrong_token_exits_non_zero_naming_the_401_and_delivers_nothing)
{
    auto const result = run(GetParam(), daemon_->notify_port(), "not-the-token");
    EXPECT_NE(result.exit_status, 0) << result.output;
    EXPECT_NE(result.output.find("sse-server answered 401"), std::string::npos) << result.output;

    // A notification posted afterwards is the first event the stream sees.
    auto const marker = R"({"name":"orders","type":"marker","id":1})";
    ASSERT_EQ(post_notify(daemon_->notify_port(), marker,
                          {{"Authorization", std::string("Bearer ") + token}})
                  .status,
              202);
    auto e = stream_->next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data, marker);
}

INSTANTIATE_TEST_SUITE_P(examples, notify_example,
                         ::testing::Values(example{"node", "notify.mjs"},
                                           example{"python3", "notify.py"},
                                           example{"php", "notify.php"}),
                         [](auto const& tested) { return tested.param.interpreter; });

} // namespace
} // namespace sse_server::test
