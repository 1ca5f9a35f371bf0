#include "sse_server/stream/revalidation_round.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace sse_server {
namespace {

using users = std::vector<std::string>;

// Hands out every slice of a round, each counted with the streams as they are at that moment.
std::vector<users> slices(revalidation_round round, std::size_t budget,
                          std::map<std::string, std::size_t> const& streams)
{
    std::vector<users> out;
    auto const streams_of = [&](std::string const& user) {
        auto it = streams.find(user);
        return it == streams.end() ? std::size_t{0} : it->second;
    };
    while (!round.done())
        out.push_back(round.next(budget, streams_of));
    EXPECT_TRUE(round.next(budget, streams_of).empty()) << "nothing after the last slice";
    return out;
}

TEST(revalidation_round, hands_out_every_user_once_in_slices_within_the_budget)
{
    auto const got = slices(revalidation_round{{"a", "b", "c", "d", "e"}}, 4,
                            {{"a", 1}, {"b", 2}, {"c", 1}, {"d", 3}, {"e", 1}});
    EXPECT_EQ(got, (std::vector<users>{{"a", "b", "c"}, {"d", "e"}}));
}

TEST(revalidation_round, a_user_with_more_streams_than_the_budget_is_checked_alone)
{
    auto const got =
        slices(revalidation_round{{"a", "many", "b"}}, 2, {{"a", 1}, {"many", 5}, {"b", 1}});
    EXPECT_EQ(got, (std::vector<users>{{"a"}, {"many"}, {"b"}}));
}

TEST(revalidation_round, users_whose_streams_ended_since_cost_nothing)
{
    // "gone" closed its last stream after the round began: it rides along with the others.
    auto const got = slices(revalidation_round{{"a", "gone", "b", "c"}}, 2,
                            {{"a", 1}, {"b", 1}, {"c", 1}});
    EXPECT_EQ(got, (std::vector<users>{{"a", "gone", "b"}, {"c"}}));
}

TEST(revalidation_round, a_budget_of_one_is_one_stream_at_a_time)
{
    auto const got = slices(revalidation_round{{"a", "b"}}, 1, {{"a", 1}, {"b", 1}});
    EXPECT_EQ(got, (std::vector<users>{{"a"}, {"b"}}));
}

TEST(revalidation_round, a_round_without_users_is_done_at_once)
{
    revalidation_round round{{}};
    EXPECT_TRUE(round.done());
    EXPECT_TRUE(round.next(10, [](std::string const&) { return std::size_t{1}; }).empty());
}

} // namespace
} // namespace sse_server
