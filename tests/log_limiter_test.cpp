#include "sse_server/ops/log_limiter.hpp"

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using sse_server::log_limiter;

namespace {

log_limiter::clock::time_point at(std::chrono::milliseconds t)
{
    return log_limiter::clock::time_point{} + t;
}

} // namespace

TEST(LogLimiter, LogsTheFirstOccurrenceOfAKindAndCountsTheRestOfItsWindow)
{
    log_limiter limiter(10s);
    EXPECT_TRUE(limiter.admit("redis down", at(0ms)));
    for (int i = 1; i <= 4312; ++i)
        EXPECT_FALSE(limiter.admit("redis down", at(std::chrono::milliseconds(i))));
    EXPECT_TRUE(limiter.take_expired(at(9999ms)).empty()) << "the window is still open";

    auto const due = limiter.take_expired(at(10s));
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].kind, "redis down");
    EXPECT_EQ(due[0].count, 4312u);
}

TEST(LogLimiter, KindsAreLimitedSeparately)
{
    log_limiter limiter(10s);
    EXPECT_TRUE(limiter.admit("redis down", at(0ms)));
    EXPECT_TRUE(limiter.admit("slow consumer closed", at(1ms)));
    EXPECT_FALSE(limiter.admit("redis down", at(2ms)));
    EXPECT_FALSE(limiter.admit("slow consumer closed", at(3ms)));
    EXPECT_FALSE(limiter.admit("slow consumer closed", at(4ms)));

    auto due = limiter.take_expired(at(10s + 1ms));
    ASSERT_EQ(due.size(), 2u);
    if (due[0].kind != "redis down")
        std::swap(due[0], due[1]);
    EXPECT_EQ(due[0].count, 1u);
    EXPECT_EQ(due[1].kind, "slow consumer closed");
    EXPECT_EQ(due[1].count, 2u);
}

TEST(LogLimiter, AFloodIsOneLineAndOneSummaryPerWindow)
{
    log_limiter limiter(10s);
    int logged = 0;
    std::uint64_t summarised = 0;
    for (int ms = 0; ms < 30'000; ms += 3) { // one occurrence every 3 ms for 30 s
        if (limiter.admit("stream refused", at(std::chrono::milliseconds(ms))))
            ++logged;
        for (auto const& s : limiter.take_expired(at(std::chrono::milliseconds(ms))))
            summarised += s.count;
    }
    for (auto const& s : limiter.take_expired(at(40s)))
        summarised += s.count;
    EXPECT_EQ(logged, 3);
    EXPECT_EQ(logged + summarised, 10'000u) << "every occurrence is logged or counted";
}

TEST(LogLimiter, AKindQuietForAWindowIsLoggedAgainAtOnce)
{
    log_limiter limiter(10s);
    EXPECT_TRUE(limiter.admit("redis down", at(0ms)));
    EXPECT_TRUE(limiter.take_expired(at(10s)).empty()) << "nothing was held back";
    EXPECT_TRUE(limiter.admit("redis down", at(25s)));
}

TEST(LogLimiter, AnOccurrenceAfterTheWindowWithoutASummaryYetIsCountedNotLost)
{
    log_limiter limiter(10s);
    EXPECT_TRUE(limiter.admit("redis down", at(0ms)));
    EXPECT_FALSE(limiter.admit("redis down", at(1s)));
    EXPECT_FALSE(limiter.admit("redis down", at(11s)));
    auto const due = limiter.take_expired(at(11s));
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].count, 2u);
}

TEST(LogLimiter, AllowsUpToItsBudgetPerWindowThenCountsAndStartsAfreshNextWindow)
{
    log_limiter limiter(1s, 3);
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(limiter.admit("stream ended", at(std::chrono::milliseconds(i)))) << i;
    for (int i = 3; i < 1000; ++i)
        EXPECT_FALSE(limiter.admit("stream ended", at(std::chrono::milliseconds(i)))) << i;
    EXPECT_TRUE(limiter.admit("stream refused 401", at(500ms))) << "another kind, its own budget";

    auto const due = limiter.take_expired(at(1s));
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].kind, "stream ended");
    EXPECT_EQ(due[0].count, 997u);
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(limiter.admit("stream ended", at(1s + std::chrono::milliseconds(i)))) << i;
    EXPECT_FALSE(limiter.admit("stream ended", at(1s + 3ms)));
}
