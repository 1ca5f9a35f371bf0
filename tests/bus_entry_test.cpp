#include "sse_server/log/bus_entry.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

constexpr auto order = R"({"name":"orders","type":"update","id":7})";

bus_entry check(std::optional<std::string_view> n, std::size_t n_bytes = 0,
                std::optional<std::string_view> a = std::nullopt,
                std::optional<std::string_view> r = std::nullopt)
{
    bus_page_entry raw{event_id{5, 1}, std::nullopt, n_bytes, std::nullopt, std::nullopt};
    if (n)
        raw.n = std::string(*n);
    if (a)
        raw.a = std::string(*a);
    if (r)
        raw.r = std::string(*r);
    if (n || r)
        raw.n_bytes = (n ? n->size() : r->size()) + (a ? a->size() : 0);
    return check_bus_entry(raw, 1024);
}

TEST(bus_entry, a_valid_entry_becomes_the_notification_it_carries)
{
    auto const read = check(order);
    EXPECT_EQ(read.id, (event_id{5, 1}));
    ASSERT_TRUE(read.item);
    EXPECT_EQ(read.item->name, "orders");
    EXPECT_EQ(read.item->id, "7");
    EXPECT_EQ(read.item->body, order) << "clients get n byte for byte";
}

TEST(bus_entry, each_kind_of_invalid_entry_is_named_and_keeps_its_id)
{
    auto const padded = std::string(order) + std::string(2000, ' ');
    auto const batch = std::string("[") + order + "]";
    std::vector<std::pair<bus_entry, std::string_view>> const cases{
        {check(std::nullopt), "no field n"},
        {check("not json"), "n is not one JSON object"},
        {check(batch), "n is not one JSON object"}, // a batch is one entry per item
        {check(R"({"name":"orders","id":1})"), "n is not a valid notification"},
        {check(padded), "n larger than notify.max_body_bytes"},
        {check(std::nullopt, 4 << 20), "n larger than notify.max_body_bytes"}};
    for (auto const& [read, problem] : cases) {
        EXPECT_EQ(read.problem, problem);
        EXPECT_FALSE(read.item) << problem;
        EXPECT_EQ(read.id, (event_id{5, 1})) << "reading goes on after it";
    }
    EXPECT_EQ(cases.back().first.n_bytes, 4u << 20) << "the size of one left unread";
}

TEST(bus_entry, the_field_a_is_the_audience_of_the_notification)
{
    auto const read = check(order, 0, R"({"users":[7],"groups":["team:a"]})");
    ASSERT_TRUE(read.item) << read.problem;
    ASSERT_TRUE(read.item->audience);
    EXPECT_EQ(read.item->audience->users, std::vector<std::string>{"7"});
    EXPECT_EQ(read.item->audience->groups, std::vector<std::string>{"team:a"});
    EXPECT_EQ(read.item->body, order) << "the audience is never in what clients get";

    auto const in_n = check(R"({"name":"orders","type":"update","id":7,"audience":{"users":[1]}})");
    ASSERT_TRUE(in_n.item) << "an application may write it inside n, as it would POST it";
    ASSERT_TRUE(in_n.item->audience);
    EXPECT_EQ(in_n.item->audience->users, std::vector<std::string>{"1"});
    EXPECT_EQ(in_n.item->body.find("audience"), std::string::npos);
}

TEST(bus_entry, an_invalid_audience_makes_the_entry_invalid_not_public)
{
    std::vector<std::pair<bus_entry, std::string_view>> const cases{
        {check(order, 0, "not json"), "a is not a valid audience"},
        {check(order, 0, R"({"users":[{}]})"), "a is not a valid audience"},
        {check(order, 0, R"({"teams":["a"]})"), "a is not a valid audience"},
        {check(R"({"name":"orders","type":"update","id":7,"audience":{"users":[1]}})", 0,
               R"({"users":[2]})"),
         "an audience both in n and in a"},
        {check(order, 0, std::string(1024, ' ')), "n larger than notify.max_body_bytes"}};
    for (auto const& [read, problem] : cases) {
        EXPECT_EQ(read.problem, problem);
        EXPECT_FALSE(read.item) << problem;
    }
}

TEST(bus_entry, the_field_r_is_a_revalidation_of_users)
{
    auto const read = check(std::nullopt, 0, std::nullopt, R"({"users":["7",8]})");
    ASSERT_TRUE(read.revalidate) << read.problem;
    EXPECT_EQ(*read.revalidate, (std::vector<std::string>{"7", "8"}));
    EXPECT_FALSE(read.item);

    EXPECT_EQ(check(std::nullopt, 0, std::nullopt, R"({"users":"7"})").problem,
              "r is not a valid list of users");
    EXPECT_EQ(check(std::nullopt, 0, R"({"users":[1]})", R"({"users":["7"]})").problem,
              "a revalidation with an audience");
    EXPECT_FALSE(check(std::nullopt, 0, std::nullopt, R"({"users":"7"})").revalidate);
}

} // namespace
} // namespace sse_server
