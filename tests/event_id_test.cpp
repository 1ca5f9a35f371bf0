#include "sse_server/event/event_id.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

TEST(event_id, prints_and_parses_as_ms_dash_seq)
{
    event_id const id{1700000000123, 7};
    EXPECT_EQ(id.to_string(), "1700000000123-7");
    EXPECT_EQ(event_id::parse("1700000000123-7"), id);
}

TEST(event_id, rejects_anything_but_two_numbers)
{
    for (auto const* bad : {"", "-", "1-", "-1", "1", "a-1", "1-a", "1-2-3", "+1-2", "1- 2",
                            "99999999999999999999999-1", " 1-2"})
        EXPECT_FALSE(event_id::parse(bad)) << bad;
}

TEST(event_id, orders_by_time_then_sequence)
{
    EXPECT_LT((event_id{1, 5}), (event_id{2, 0}));
    EXPECT_LT((event_id{2, 0}), (event_id{2, 1}));
}

TEST(event_id, generator_counts_within_a_millisecond_and_resets_after)
{
    event_id_generator ids;
    EXPECT_EQ(ids.next(100), (event_id{100, 0}));
    EXPECT_EQ(ids.next(100), (event_id{100, 1}));
    EXPECT_EQ(ids.next(101), (event_id{101, 0}));
}

TEST(event_id, generator_keeps_increasing_when_the_clock_steps_back)
{
    event_id_generator ids;
    auto const a = ids.next(500);
    auto const b = ids.next(400);
    EXPECT_LT(a, b);
    EXPECT_EQ(b, (event_id{500, 1}));
}

} // namespace
} // namespace sse_server
