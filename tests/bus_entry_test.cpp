#include "sse_server/bus_entry.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

constexpr auto order = R"({"name":"orders","type":"update","id":7})";

bus_entry check(std::optional<std::string_view> n, std::size_t n_bytes = 0)
{
    return check_bus_entry(event_id{5, 1}, n, n ? n->size() : n_bytes, 1024);
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

} // namespace
} // namespace sse_server
