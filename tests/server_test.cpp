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

} // namespace
} // namespace sse_server
