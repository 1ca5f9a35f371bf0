#include "sse_server/rights/claims.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace sse_server;
using json = nlohmann::json;
using strings = std::vector<std::string>;

namespace {

claims read(std::string_view text, std::string const& grants = "/grants",
            std::string const& groups = "/groups")
{
    claims_pools pools; // a pool of its own: each read stands alone
    return claims_in(text, grants, groups, pools);
}

} // namespace

TEST(claims, arrays_of_strings_at_the_pointers_are_the_grants_and_groups)
{
    auto const c = read(R"({"userId":42,"grants":["orders:*","inbox:{user}"],
                            "groups":["acme","admins"]})");
    EXPECT_EQ(c.grants, (strings{"orders:*", "inbox:{user}"}));
    EXPECT_EQ(c.groups, (strings{"acme", "admins"}));
    EXPECT_TRUE(c.problems.empty());
}

TEST(claims, nested_pointers_are_followed)
{
    auto const c = read(R"({"sse":{"grants":["a"],"groups":["g"]}})", "/sse/grants", "/sse/groups");
    EXPECT_EQ(c.grants, strings{"a"});
    EXPECT_EQ(c.groups, strings{"g"});
}

TEST(claims, an_empty_pointer_reads_nothing_and_a_missing_member_is_no_claim)
{
    auto const c = read(R"({"grants":["a"],"groups":["g"]})", "", "");
    EXPECT_TRUE(c.grants.empty() && c.groups.empty());
    auto const missing = read(R"({"userId":1})");
    EXPECT_TRUE(missing.grants.empty() && missing.groups.empty());
    EXPECT_TRUE(missing.problems.empty()) << "a session without claims is not malformed";
}

TEST(claims, a_value_that_is_not_an_array_of_strings_counts_as_empty_and_says_so)
{
    for (auto const* bad : {R"("orders")", R"({"a":1})", R"(["a",1])", "null", "[[\"a\"]]"}) {
        auto const c = read(std::string(R"({"grants":)") + bad + R"(,"groups":)" + bad + "}");
        EXPECT_TRUE(c.grants.empty()) << bad;
        EXPECT_TRUE(c.groups.empty()) << bad;
        ASSERT_EQ(c.problems.size(), 2u) << bad;
        EXPECT_EQ(c.problems[0], R"(grants at "/grants" is not an array of strings: none used)");
    }
}

TEST(claims, malformed_patterns_and_group_names_are_dropped_the_rest_kept)
{
    auto const c = read(R"({"grants":["ok","b*d",""],"groups":["good","bad group",""]})");
    EXPECT_EQ(c.grants, strings{"ok"});
    EXPECT_EQ(c.groups, strings{"good"});
    EXPECT_EQ(c.problems.size(), 2u);
}

TEST(claims, the_limit_counts_usable_entries_and_a_wrong_kind_anywhere_voids_the_array)
{
    json value{{"grants", json::array()}};
    value["grants"].push_back("bad pattern");
    for (int i = 0; i < 256; ++i)
        value["grants"].push_back("p" + std::to_string(i));
    auto const exactly = read(value.dump(), "/grants", "");
    EXPECT_EQ(exactly.grants.size(), 256u) << "256 usable: all used, the malformed one dropped";
    EXPECT_EQ(exactly.problems, strings{"grants: malformed entries ignored"});
    value["grants"].push_back(1);
    auto const voided = read(value.dump(), "/grants", "");
    EXPECT_TRUE(voided.grants.empty()) << "a number after 256 strings";
    EXPECT_EQ(voided.problems.size(), 1u);
}

TEST(claims, the_last_of_duplicate_keys_counts_and_escapes_are_decoded)
{
    auto const c = read(R"({"groups":["a"],"groups":["b","c"],"sse":{"groups":1},
                            "grants":["\u006frders:*","x:{user}"]})");
    EXPECT_EQ(c.groups, (strings{"b", "c"}));
    EXPECT_EQ(c.grants, (strings{"orders:*", "x:{user}"}));
    auto const voided = read(R"({"groups":["a"],"groups":{"g":["b"]}})");
    EXPECT_TRUE(voided.groups.empty());
    EXPECT_EQ(voided.problems.size(), 1u);
    auto const gone = read(R"({"sse":{"groups":["a"]},"sse":{}})", "", "/sse/groups");
    EXPECT_TRUE(gone.groups.empty() && gone.problems.empty()) << "the later object has none";
}

TEST(claims, text_that_is_not_json_has_none)
{
    for (auto const* bad : {"", "{", R"({"groups":["a"])", R"({"groups":["a"]} x)", "\xff"}) {
        auto const c = read(bad);
        EXPECT_TRUE(c.grants.empty() && c.groups.empty() && c.problems.empty()) << bad;
    }
}

TEST(claims, at_most_256_groups_are_used)
{
    json value{{"groups", json::array()}};
    for (int i = 0; i < 300; ++i)
        value["groups"].push_back("g" + std::to_string(i));
    auto const c = read(value.dump(), "", "/groups");
    ASSERT_EQ(c.groups.size(), 256u);
    EXPECT_EQ(c.groups.back(), "g255");
    ASSERT_EQ(c.problems.size(), 1u);
    EXPECT_NE(c.problems[0].find("more than 256"), std::string::npos);
}

TEST(claims, equal_lists_read_from_two_values_are_one_list_with_the_same_problems)
{
    auto const text = R"({"grants":["orders:*","bad pattern"],"groups":["acme","no spaces","x"]})";
    claims_pools pools;
    auto const a = claims_in(text, "/grants", "/groups", pools);
    auto const b = claims_in(text, "/grants", "/groups", pools);
    EXPECT_EQ(a.grants, strings{"orders:*"});
    EXPECT_EQ(a.groups, (strings{"acme", "x"}));
    EXPECT_EQ(a.grants.identity(), b.grants.identity());
    EXPECT_EQ(a.groups.identity(), b.groups.identity());
    EXPECT_EQ(a.problems, b.problems) << "the second read says what the first said";
    EXPECT_EQ(b.problems,
              (strings{"grants: malformed entries ignored", "groups: malformed entries ignored"}));
    // The same names as grants and as groups are read by their own rules.
    auto const c = claims_in(R"({"grants":["a b","x:*"],"groups":["a b","x:*"]})", "/grants",
                             "/groups", pools);
    EXPECT_EQ(c.grants, strings{"x:*"});
    EXPECT_TRUE(c.groups.empty()) << "* is no group name";
    // Pools are owned, not shared behind the callers' backs: a reader of its own has its own.
    claims_pools others;
    auto const d = claims_in(text, "/grants", "/groups", others);
    EXPECT_EQ(d.groups, a.groups);
    EXPECT_NE(d.groups.identity(), a.groups.identity());
}
