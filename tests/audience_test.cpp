#include "sse_server/event/audience.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace sse_server;
using strings = std::vector<std::string>;

namespace {

std::string error_of(std::string_view text)
{
    auto const r = parse_audience(text);
    EXPECT_FALSE(r.value) << text;
    return r.error;
}

} // namespace

TEST(audience, users_and_groups_are_read_ids_as_text)
{
    auto const r = parse_audience(R"({"users":[42,"u_7","42"],"groups":["acme","team:1"]})");
    ASSERT_TRUE(r.value) << r.error;
    EXPECT_EQ(r.value->users, (strings{"42", "u_7", "42"}));
    EXPECT_EQ(r.value->groups, (strings{"acme", "team:1"}));
}

TEST(audience, either_list_may_be_absent)
{
    auto const users_only = parse_audience(R"({"users":["1"]})");
    ASSERT_TRUE(users_only.value);
    EXPECT_TRUE(users_only.value->groups.empty());
    auto const none = parse_audience("{}");
    ASSERT_TRUE(none.value);
    EXPECT_FALSE(none.value->admits("1", strings{"acme"})) << "both lists empty: nobody";
}

TEST(audience, a_stream_is_admitted_by_its_user_or_one_of_its_groups)
{
    auto const a = parse_audience(R"({"users":[42],"groups":["acme"]})").value.value();
    EXPECT_TRUE(a.admits("42", {}));
    EXPECT_TRUE(a.admits("7", strings{"globex", "acme"}));
    EXPECT_FALSE(a.admits("7", strings{"globex"}));
    EXPECT_FALSE(a.admits("420", {})) << "ids compare whole";
}

TEST(audience, anything_else_is_refused_naming_where)
{
    EXPECT_EQ(error_of(R"(["1"])"), "audience: must be an object");
    EXPECT_EQ(error_of("null"), "audience: must be an object");
    EXPECT_EQ(error_of(R"({"users":"1"})"), "audience.users: must be an array");
    EXPECT_EQ(error_of(R"({"users":[1,true]})"), "audience.users[1]: must be a string or an integer");
    EXPECT_EQ(error_of(R"({"users":[1.5]})"), "audience.users[0]: must be a string or an integer");
    EXPECT_EQ(error_of(R"({"users":[["1"]]})"), "audience.users[0]: must be a string or an integer");
    EXPECT_EQ(error_of(R"({"groups":[7]})"), "audience.groups[0]: must be a string");
    EXPECT_EQ(error_of(R"({"groups":["ok","no space"]})"),
              "audience.groups[1]: must match [A-Za-z0-9_.:-]{1,128}");
    EXPECT_EQ(error_of(R"({"roles":[]})"), "audience.roles: unknown member (users and groups only)");
    EXPECT_EQ(error_of(R"({"users":[)"), "audience: invalid JSON");
    EXPECT_EQ(error_of(""), "audience: invalid JSON");
}

TEST(audience, deep_nesting_is_refused_at_the_first_bracket_too_many)
{
    std::string deep(100000, '[');
    EXPECT_EQ(error_of(R"({"users":)" + deep), "audience.users[0]: must be a string or an integer");
}

TEST(audience, its_compact_json_reads_back_the_same)
{
    auto const a = parse_audience(R"({ "groups": ["g"], "users": [ 1, "x\"y" ] })").value.value();
    EXPECT_EQ(a.json(), R"({"users":["1","x\"y"],"groups":["g"]})");
    auto const again = parse_audience(a.json()).value.value();
    EXPECT_EQ(again.users, a.users);
    EXPECT_EQ(again.groups, a.groups);
}
