#include "sse_server/rights/grants.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace sse_server;

namespace {

std::vector<std::string> const no_groups;

bool granted(std::string_view pattern, std::string_view name, std::string_view user = "42",
             std::vector<std::string> const& groups = no_groups)
{
    return grants(pattern, name, user, groups);
}

} // namespace

TEST(grants, an_event_name_grants_that_name_only)
{
    EXPECT_TRUE(granted("orders", "orders"));
    EXPECT_FALSE(granted("orders", "orders2"));
    EXPECT_FALSE(granted("orders", "order"));
    EXPECT_FALSE(granted("orders", "Orders")) << "names compare exactly";
}

TEST(grants, a_trailing_star_grants_every_name_with_that_prefix)
{
    EXPECT_TRUE(granted("orders:*", "orders:17"));
    EXPECT_TRUE(granted("orders:*", "orders:"));
    EXPECT_FALSE(granted("orders:*", "orders"));
    EXPECT_FALSE(granted("orders:*", "invoices:17"));
    EXPECT_TRUE(granted("*", "anything.at:all"));
}

TEST(grants, user_stands_for_the_user_id)
{
    EXPECT_TRUE(granted("inbox:{user}", "inbox:42", "42"));
    EXPECT_FALSE(granted("inbox:{user}", "inbox:43", "42"));
    EXPECT_FALSE(granted("inbox:{user}", "inbox:421", "42")) << "the whole id, not a prefix";
    EXPECT_TRUE(granted("u.{user}.*", "u.42.orders", "42"));
    EXPECT_FALSE(granted("u.{user}.*", "u.4.orders", "42"));
}

TEST(grants, group_stands_for_any_one_of_the_users_groups)
{
    std::vector<std::string> const groups{"acme", "ac", "globex"};
    EXPECT_TRUE(granted("team:{group}:*", "team:acme:orders", "42", groups));
    EXPECT_TRUE(granted("team:{group}:*", "team:ac:orders", "42", groups));
    EXPECT_TRUE(granted("team:{group}", "team:globex", "42", groups));
    EXPECT_FALSE(granted("team:{group}", "team:initech", "42", groups));
    EXPECT_FALSE(granted("team:{group}", "team:acm", "42", groups)) << "a group, not a prefix";
    EXPECT_FALSE(granted("team:{group}:*", "team:acme:orders", "42", no_groups))
        << "no group, nothing granted by a group pattern";
}

TEST(grants, malformed_patterns_grant_nothing)
{
    for (std::string_view const pattern :
         {"", "or*ders", "**", "orders *", "{users}", "{group}{group}", "a/b", "{user"})
        EXPECT_FALSE(is_valid_grant_pattern(pattern)) << pattern;
    EXPECT_FALSE(granted("or*ders", "or*ders"));
    EXPECT_FALSE(granted(std::string(257, 'a'), std::string(257, 'a')));
    // Patterns that would match as text, checked for form only once they do.
    EXPECT_FALSE(granted("orders *", "orders x"));
    EXPECT_FALSE(granted("{group}{group}", "ab", "42", {"a", "b"}));
    std::vector<std::string> const names{"orders x"};
    std::vector<std::string> const patterns{"orders *"};
    EXPECT_EQ(first_not_granted(names, patterns, {}, "42", {}), "orders x");
    for (std::string_view const pattern : {"*", "a", "{user}", "{group}:*", "x.{user}.{group}"})
        EXPECT_TRUE(is_valid_grant_pattern(pattern)) << pattern;
}

TEST(grants, the_first_name_not_granted_by_any_pattern_is_named)
{
    std::vector<std::string> const names{"orders:1", "inbox:42", "admin"};
    std::vector<std::string> const everyone{"orders:*"};
    std::vector<std::string> const own{"inbox:{user}"};
    EXPECT_EQ(first_not_granted(names, everyone, own, "42", no_groups), "admin");
    std::vector<std::string> const admin{"admin", "inbox:{user}"};
    EXPECT_EQ(first_not_granted(names, everyone, admin, "42", no_groups), std::nullopt);
    EXPECT_EQ(first_not_granted(names, everyone, own, "7", no_groups), "inbox:42");
    EXPECT_EQ(not_granted_reason("orders:17"), R"(events: "orders:17" is not granted)");
}

TEST(grants, the_default_star_grants_every_name_as_the_seed_did)
{
    std::vector<std::string> const names{"orders", "a.b:c-d_e"};
    std::vector<std::string> const defaults{"*"};
    EXPECT_EQ(first_not_granted(names, defaults, {}, "42", no_groups), std::nullopt);
}
