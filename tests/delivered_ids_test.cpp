#include "sse_server/log/delivered_ids.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

TEST(delivered_ids, holds_the_last_ids_delivered_and_forgets_the_oldest)
{
    delivered_ids ids(3);
    for (std::uint64_t ms = 1; ms <= 4; ++ms)
        ids.add({ms, 0});
    EXPECT_FALSE(ids.holds({1, 0})) << "the oldest went";
    EXPECT_TRUE(ids.holds({2, 0}));
    EXPECT_TRUE(ids.holds({4, 0}));
    EXPECT_FALSE(ids.holds({3, 1})) << "an id between two delivered ones was not delivered";
    EXPECT_FALSE(ids.holds({5, 0}));
}

TEST(delivered_ids, an_id_below_the_last_starts_another_history)
{
    delivered_ids ids(10);
    ids.add({5, 0});
    ids.add({6, 0});
    ids.add({3, 0}); // read from the start of a re-created stream
    EXPECT_FALSE(ids.holds({5, 0}));
    EXPECT_TRUE(ids.holds({3, 0}));
    ids.clear();
    EXPECT_FALSE(ids.holds({3, 0}));
}

} // namespace
} // namespace sse_server
