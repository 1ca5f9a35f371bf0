#include "sse_server/rights/name_list.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace sse_server;
using strings = std::vector<std::string>;

namespace {

/** Interns `names` kept as they are, counting how many times the pool made a list. */
name_pool::entry kept(name_pool& pool, strings const& names, int& made, std::uint8_t notes = 0)
{
    return pool.intern(names, [&] {
        ++made;
        return name_pool::entry{name_list(names), notes};
    });
}

} // namespace

TEST(name_list, reads_as_the_vector_it_was_made_from_and_compares_by_content)
{
    name_list const list{"a", "b"};
    EXPECT_EQ(list.size(), 2u);
    EXPECT_EQ(list[1], "b");
    EXPECT_EQ(list, (strings{"a", "b"}));
    EXPECT_EQ(list, name_list(strings{"a", "b"})) << "equal content, another list";
    EXPECT_NE(list.identity(), name_list(strings{"a", "b"}).identity());
    auto const copy = list;
    EXPECT_EQ(copy.identity(), list.identity()) << "a copy is the same list";
    EXPECT_FALSE(list == name_list{"a"});
    name_list const none;
    EXPECT_TRUE(none.empty());
    EXPECT_EQ(none.identity(), nullptr);
    EXPECT_EQ(none, name_list(strings{}));
}

TEST(name_pool, equal_lists_are_one_list_made_once)
{
    name_pool pool;
    int made = 0;
    auto const first = kept(pool, {"acme", "admins"}, made, 3);
    auto const again = kept(pool, {"acme", "admins"}, made);
    EXPECT_EQ(made, 1);
    EXPECT_EQ(again.list.identity(), first.list.identity());
    EXPECT_EQ(again.notes, 3) << "what was noted of the list comes with it";
    auto const other = kept(pool, {"admins", "acme"}, made);
    EXPECT_EQ(made, 2) << "the order of the names counts";
    EXPECT_NE(other.list.identity(), first.list.identity());
}

TEST(name_pool, lists_whose_names_split_differently_are_different_lists)
{
    name_pool pool;
    int made = 0;
    for (auto const& names : std::vector<strings>{
             {"ab", "c"}, {"a", "bc"}, {"abc"}, {"", "abc"}, {"abc", ""}, {""}, {"", ""}, {}})
        kept(pool, names, made);
    EXPECT_EQ(made, 8);
    EXPECT_EQ(pool.size(), 8u);
}

TEST(name_pool, lists_nobody_holds_go_and_held_ones_stay)
{
    name_pool pool;
    int made = 0;
    auto const held = kept(pool, {"held"}, made).list;
    for (int i = 0; i < 1000; ++i)
        kept(pool, {"gone" + std::to_string(i)}, made);
    EXPECT_LT(pool.size(), 200u) << "lists dropped by everyone are not kept forever";
    auto const again = kept(pool, {"held"}, made);
    EXPECT_EQ(again.list.identity(), held.identity()) << "a held list is still the one given";
    EXPECT_EQ(made, 1001);
}
