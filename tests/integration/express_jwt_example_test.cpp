// The express-jwt example of docs/integration.md (docs/examples/express-jwt), run as a reader
// runs it: `npm ci`, `node app.mjs` with a secret file, and the daemon started with the
// example's own sse-server.toml pointing at the same file. The token the app signs with
// Node's crypto opens a stream, as a Bearer header or as the cookie, with the rights it
// carries; changed or expired, it opens none.
// Skipped, saying why, where Node or npm is missing or npm cannot reach its registry.
#include "sse_server/base/base64url.hpp"
#include "support/child_process.hpp"
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/node_example.hpp"
#include "support/redis_server.hpp"
#include "support/test_jwt.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <optional>

namespace sse_server::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// What `head -c 48 /dev/urandom | base64` would print: 64 bytes, and a line end.
constexpr auto secret = "c3NlLXNlcnZlciBleHByZXNzLWp3dCBleGFtcGxlLCBub3QgYSByZWFsIHNlY3Jl";

/** The claims of a token, decoded (null when it has no readable middle part). */
json claims_of(std::string const& token)
{
    auto const first = token.find('.');
    auto const second = token.find('.', first + 1);
    auto const payload = decode_base64url(token.substr(first + 1, second - first - 1), 8192);
    return payload ? json::parse(*payload, nullptr, false) : json();
}

class express_jwt_example : public ::testing::Test
{
protected:
    void SetUp() override
    {
        auto const example = prepare_node_example("express-jwt", SSE_SERVER_TEST_WORK_DIR);
        if (!example.skip_reason.empty())
            GTEST_SKIP() << example.skip_reason;
        ASSERT_TRUE(example.failure.empty()) << example.failure;

        std::ofstream(secret_path_, std::ios::trunc) << secret << '\n';
        // The daemon exactly as the example configures it, but for where the secret file is.
        auto toml = file_text(example.app_dir / "sse-server.toml");
        std::string const relative = "secret_file = \"jwt-secret\"";
        ASSERT_NE(toml.find(relative), std::string::npos) << toml;
        toml.replace(toml.find(relative), relative.size(),
                     "secret_file = \"" + secret_path_.string() + "\"");
        daemon_.emplace(daemon_config(redis_, toml));

        app_.emplace(std::vector<std::string>{"/usr/bin/env", "node",
                                              (example.app_dir / "app.mjs").string()},
                     environment_with({{"JWT_SECRET_FILE", secret_path_.string()},
                                       {"PORT", "0"},
                                       {"NODE_ENV", "development"}}));
        ASSERT_TRUE(app_->wait_for_output("listening on", 30s)) << app_->output();
        app_port_ = port_printed(app_->output());
        ASSERT_NE(app_port_, 0) << app_->output();
    }

    void TearDown() override { fs::remove(secret_path_); }

    /** Logs user 42 in through the app; returns the token of its answer (empty on failure). */
    std::string login_token()
    {
        login_ = http_request(app_port_, "GET", "/login?user=42");
        EXPECT_EQ(login_.status, 200) << login_.body << app_->output();
        auto const body = json::parse(login_.body, nullptr, false);
        if (!body.is_object() || !body["token"].is_string()) {
            ADD_FAILURE() << "no token in " << login_.body;
            return {};
        }
        return body["token"].get<std::string>();
    }

    int status_with(header_list const& headers, std::string const& events = "orders")
    {
        return sse_stream(daemon_->clients_port(), "/events?events=" + events, headers).status();
    }

    static header_list bearer(std::string const& token)
    {
        return {{"Authorization", "Bearer " + token}};
    }

    // No Redis key is ever read: the daemon still wants a Redis for notifications.
    redis_server redis_;
    fs::path secret_path_ =
        fs::path(::testing::TempDir()) / ("express-jwt-secret-" + std::to_string(::getpid()));
    std::optional<daemon_process> daemon_;
    std::optional<child_process> app_;
    std::uint16_t app_port_ = 0;
    http_response login_; // the app's answer to the last login
};

TEST_F(express_jwt_example, the_apps_token_opens_a_stream_within_its_grants_as_bearer_or_cookie)
{
    auto const token = login_token();

    sse_stream s{daemon_->clients_port(), "/events?events=orders,inbox:42", bearer(token)};
    ASSERT_EQ(s.status(), 200) << s.response().body << daemon_->output();
    auto const hello = s.next_event_named("connected");
    ASSERT_TRUE(hello);
    EXPECT_NE(hello->data.find(R"("user":"42")"), std::string::npos) << hello->data;

    // The cookie the login set, as a browser's EventSource sends it.
    ASSERT_EQ(login_.header("set-cookie").rfind("sse_token=" + token + ";", 0), 0u)
        << login_.header("set-cookie");
    EXPECT_EQ(status_with({{"Cookie", "sse_token=" + token}}, "inbox:42"), 200);

    // The grants the token carries: another user's inbox, and any other name, are not in them.
    EXPECT_EQ(status_with(bearer(token), "inbox:43"), 403);
    EXPECT_EQ(status_with(bearer(token), "payroll"), 403);
}

TEST_F(express_jwt_example, a_changed_or_expired_token_opens_nothing)
{
    auto const token = login_token();
    auto claims = claims_of(token);
    ASSERT_TRUE(claims.is_object()) << token;
    EXPECT_EQ(claims["sub"], "42");

    // Another user in the same token, the app's signature kept: the signature no longer fits.
    auto as_43 = claims;
    as_43["sub"] = "43";
    auto const signature = token.substr(token.rfind('.'));
    auto const tampered =
        sse_server::testing::signing_input(json{{"alg", "HS256"}, {"typ", "JWT"}}, as_43) +
        signature;
    EXPECT_EQ(status_with(bearer(tampered)), 401);
    EXPECT_EQ(status_with({{"Cookie", "sse_token=" + tampered}}), 401);

    // The app's claims signed with the right secret, but their exp two minutes ago (beyond
    // auth.jwt.leeway, 30 s): what the app's token becomes once TOKEN_TTL_SECONDS have passed.
    auto expired = claims;
    expired["exp"] = sse_server::testing::epoch_seconds(-120);
    EXPECT_EQ(status_with(bearer(sse_server::testing::sign_jwt_hs256(secret, expired))), 401);
    // The same token with a fresh exp passes: only the exp made the difference.
    expired["exp"] = sse_server::testing::epoch_seconds(600);
    EXPECT_EQ(status_with(bearer(sse_server::testing::sign_jwt_hs256(secret, expired))), 200);
    EXPECT_EQ(status_with(bearer(token)), 200);
}

} // namespace
} // namespace sse_server::test
