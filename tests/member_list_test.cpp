#include "sse_server/stream/member_list.hpp"

#include <gtest/gtest.h>
#include <vector>

namespace sse_server {
namespace {

// Stand-ins: the list only stores the pointers.
std::vector<subscriber*> fake_members(std::size_t n)
{
    std::vector<subscriber*> members;
    for (std::size_t i = 1; i <= n; ++i)
        members.push_back(reinterpret_cast<subscriber*>(i * 64)); // NOLINT: never dereferenced
    return members;
}

TEST(member_list, holds_its_members_in_order_through_growing)
{
    for (std::size_t n : {1u, 2u, 3u, 17u, 1000u}) {
        member_list list;
        auto const members = fake_members(n);
        for (auto* s : members)
            list.push_back(s);
        ASSERT_EQ(list.size(), n);
        EXPECT_EQ(std::vector<subscriber*>(list.begin(), list.end()), members);
        EXPECT_EQ(list.back(), members.back());
    }
}

TEST(member_list, the_last_member_takes_the_place_of_one_that_leaves)
{
    member_list list;
    auto const members = fake_members(3);
    for (auto* s : members)
        list.push_back(s);
    list[0] = list.back(); // the registry's leave(): the last takes the place, then pops
    list.pop_back();
    EXPECT_EQ(std::vector<subscriber*>(list.begin(), list.end()),
              (std::vector<subscriber*>{members[2], members[1]}));
    list.pop_back();
    list.pop_back();
    EXPECT_TRUE(list.empty());
    list.push_back(members[1]); // reused after emptying
    EXPECT_EQ(list.back(), members[1]);
    EXPECT_EQ(list.size(), 1u);
}

TEST(member_list, one_member_is_kept_inside_the_list)
{
    member_list list;
    list.push_back(fake_members(1).front());
    auto const* inside = reinterpret_cast<char const*>(&list);
    auto const* first = reinterpret_cast<char const*>(list.begin());
    EXPECT_GE(first, inside);
    EXPECT_LT(first, inside + sizeof(list));
    EXPECT_EQ(sizeof(member_list), sizeof(void*));
}

} // namespace
} // namespace sse_server
