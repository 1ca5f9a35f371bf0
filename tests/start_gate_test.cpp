#include "sse_server/ops/start_gate.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

using namespace std::chrono_literals;
using verdict = start_gate::verdict;

TEST(start_gate, waits_while_the_sessions_redis_has_not_answered_saying_why)
{
    auto const gate = decide_start(false, "connection refused", std::nullopt, 1s, 30s);
    EXPECT_EQ(gate.action, verdict::wait);
    EXPECT_EQ(gate.missing, "redis unavailable: connection refused");
    EXPECT_EQ(decide_start(false, "", std::nullopt, 0s, 30s).missing,
              "redis unavailable: connecting");
}

TEST(start_gate, in_cluster_mode_waits_for_the_bus_too)
{
    auto const gate = decide_start(true, "", "event bus: reading position not fixed yet", 1s, 30s);
    EXPECT_EQ(gate.action, verdict::wait);
    EXPECT_EQ(gate.missing, "event bus: reading position not fixed yet");
}

TEST(start_gate, opens_once_everything_answers_whenever_that_is)
{
    EXPECT_EQ(decide_start(true, "", std::nullopt, 0s, 30s).action, verdict::open);
    EXPECT_EQ(decide_start(true, "an old error", std::nullopt, 29s, 30s).action, verdict::open);
    auto const late = decide_start(true, "", std::nullopt, 31s, 30s);
    EXPECT_EQ(late.action, verdict::open);
    EXPECT_TRUE(late.missing.empty());
}

TEST(start_gate, opens_anyway_at_the_limit_still_saying_what_is_missing)
{
    auto const gate = decide_start(false, "connection refused", std::nullopt, 30s, 30s);
    EXPECT_EQ(gate.action, verdict::open_anyway);
    EXPECT_EQ(gate.missing, "redis unavailable: connection refused");
    EXPECT_EQ(decide_start(true, "", "event bus: x", 31s, 30s).action, verdict::open_anyway);
    EXPECT_EQ(decide_start(false, "", std::nullopt, 0s, 0s).action, verdict::open_anyway)
        << "server.ready_timeout = 0s: at once";
}

} // namespace
} // namespace sse_server
