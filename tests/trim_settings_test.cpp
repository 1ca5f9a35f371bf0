#include "sse_server/log/trim_settings.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

redis_reply hash(std::vector<std::string> items)
{
    redis_reply r{redis_reply::kind::array, {}, {}};
    for (auto& i : items)
        r.elements.push_back({redis_reply::kind::value, std::move(i), {}});
    return r;
}

TEST(trim_settings, the_field_names_both_settings)
{
    EXPECT_EQ(settings_field({100000, std::chrono::minutes(5)}), "max_len=100000 max_age=300000ms");
}

TEST(trim_settings, current_settings_of_others_are_reported_and_expired_ones_go)
{
    auto const mine = settings_field({100000, std::chrono::minutes(5)});
    auto const seen = read_settings(hash({mine, "2000", "max_len=500 max_age=300000ms", "2000",
                                          "max_len=9 max_age=1000ms", "999", "junk", "soon"}),
                                    mine, 1000);
    EXPECT_EQ(seen.others, std::vector<std::string>{"max_len=500 max_age=300000ms"});
    EXPECT_EQ(seen.expired, (std::vector<std::string>{"max_len=9 max_age=1000ms", "junk"}));
}

TEST(trim_settings, alone_or_in_agreement_there_is_nothing_to_say)
{
    auto const mine = settings_field({10, std::chrono::seconds(4)});
    EXPECT_TRUE(read_settings(hash({mine, "2000"}), mine, 1000).others.empty());
    EXPECT_TRUE(read_settings({redis_reply::kind::nil, {}, {}}, mine, 1000).others.empty());
}

} // namespace
} // namespace sse_server
