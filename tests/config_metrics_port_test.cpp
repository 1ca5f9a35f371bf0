// listen.metrics (SPEC §4): an optional third port with health, readiness and metrics only.
#include "sse_server/config/config.hpp"

#include <gtest/gtest.h>
#include <string>

namespace sse_server {
namespace {

std::optional<std::string> no_variable(std::string const&)
{
    return std::nullopt;
}

env_lookup metrics_variable(std::string value)
{
    return [value = std::move(value)](std::string const& name) -> std::optional<std::string> {
        if (name == "SSE_SERVER_LISTEN_METRICS")
            return value;
        return std::nullopt;
    };
}

// The message of the config_error that `text` (and `env`) cause; "<accepted>" when none.
std::string refusal(std::string_view text, env_lookup const& env = no_variable)
{
    try {
        parse_config(text, env);
    } catch (config_error const& error) {
        return error.what();
    }
    return "<accepted>";
}

TEST(config_metrics_port, is_off_by_default)
{
    EXPECT_FALSE(parse_config("").listen.metrics);
    EXPECT_FALSE(parse_config("listen.metrics = \"\"").listen.metrics);
}

TEST(config_metrics_port, takes_a_host_and_port_like_the_other_ports)
{
    auto const v4 = parse_config("[listen]\nmetrics = \"0.0.0.0:9090\"\n").listen.metrics;
    ASSERT_TRUE(v4);
    EXPECT_EQ(v4->host, "0.0.0.0");
    EXPECT_EQ(v4->port, 9090);
    auto const v6 = parse_config("listen.metrics = \"[::1]:9091\"").listen.metrics;
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, 9091);
}

TEST(config_metrics_port, a_public_address_needs_no_token_since_it_has_no_notify)
{
    EXPECT_NO_THROW(parse_config("listen.metrics = \"0.0.0.0:9090\""));
}

TEST(config_metrics_port, an_invalid_address_is_refused_with_the_key_named)
{
    for (auto const* text : {"listen.metrics = \"9090\"", "listen.metrics = \"0.0.0.0\"",
                             "listen.metrics = \"0.0.0.0:99999\"", "listen.metrics = 9090"}) {
        auto const message = refusal(text);
        EXPECT_EQ(message.rfind("listen.metrics: expected ", 0), 0u) << text << ": " << message;
    }
}

TEST(config_metrics_port, the_environment_overrides_the_file)
{
    auto const c = parse_config("listen.metrics = \"127.0.0.1:9090\"",
                                metrics_variable("127.0.0.1:9137"));
    ASSERT_TRUE(c.listen.metrics);
    EXPECT_EQ(c.listen.metrics->port, 9137);
    // Empty turns the port off again, as for cluster.redis_url.
    EXPECT_FALSE(parse_config("listen.metrics = \"127.0.0.1:9090\"", metrics_variable(""))
                     .listen.metrics);
    auto const message = refusal("", metrics_variable("localhost"));
    EXPECT_EQ(message.rfind("listen.metrics (from SSE_SERVER_LISTEN_METRICS): expected", 0), 0u)
        << message;
}

} // namespace
} // namespace sse_server
