#include "sse_server/server.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

using namespace std::chrono_literals;

TEST(sweep_period, follows_the_shortest_timeout_of_either_port)
{
    config cfg;
    EXPECT_EQ(sweep_period(cfg), 1000ms) << "defaults: every second";
    cfg.notify.idle_timeout = 300ms;
    EXPECT_EQ(sweep_period(cfg), 75ms) << "a 300 ms notify idle timeout is late by 75 ms at most";
    cfg.client.header_timeout = 100ms;
    EXPECT_EQ(sweep_period(cfg), 25ms);
    cfg.client.send_timeout = 1ms;
    EXPECT_EQ(sweep_period(cfg), 10ms) << "never more often than every 10 ms";
}

TEST(sweep_period, a_short_stream_lifetime_takes_part_and_zero_does_not)
{
    config cfg;
    cfg.client.max_lifetime = 0ms;
    EXPECT_EQ(sweep_period(cfg), 1000ms) << "off: the sweep stays as it was";
    cfg.client.max_lifetime = 1h;
    EXPECT_EQ(sweep_period(cfg), 1000ms) << "a long lifetime costs no extra sweep";
    cfg.client.max_lifetime = 300ms;
    EXPECT_EQ(sweep_period(cfg), 75ms) << "a 300 ms lifetime ends at most 75 ms late";
}

TEST(sweep_period, is_at_most_an_eighth_of_the_heartbeat)
{
    // Heartbeats are due a heartbeat less two periods after the last write: a period of at
    // most 1/8 keeps them at least 0.75 of client.heartbeat apart.
    config cfg;
    cfg.client.heartbeat = 4s;
    EXPECT_EQ(sweep_period(cfg), 500ms);
    cfg.client.heartbeat = 2s;
    EXPECT_EQ(sweep_period(cfg), 250ms);
}

} // namespace
} // namespace sse_server
