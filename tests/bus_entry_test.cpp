#include "sse_server/bus_entry.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

redis_reply text(std::string t)
{
    return {redis_reply::kind::value, std::move(t), {}};
}

redis_reply array(std::vector<redis_reply> items)
{
    return {redis_reply::kind::array, {}, std::move(items)};
}

/** `[id, [field, value, …]]`, as XRANGE gives one entry. */
redis_reply entry(std::string id, std::vector<std::string> fields)
{
    std::vector<redis_reply> values;
    for (auto& f : fields)
        values.push_back(text(std::move(f)));
    return array({text(std::move(id)), array(std::move(values))});
}

constexpr auto order = R"({"name":"orders","type":"update","id":7})";

TEST(bus_entry, a_valid_entry_becomes_the_notification_it_carries)
{
    auto const read = read_bus_entries(array({entry("5-1", {"n", order})}), 1024);
    ASSERT_EQ(read.size(), 1u);
    EXPECT_EQ(read[0].id, (event_id{5, 1}));
    ASSERT_TRUE(read[0].item);
    EXPECT_EQ(read[0].item->name, "orders");
    EXPECT_EQ(read[0].item->id, "7");
    EXPECT_EQ(read[0].item->body, order) << "clients get n byte for byte";
}

TEST(bus_entry, each_kind_of_invalid_entry_is_named_and_keeps_its_id)
{
    auto const read = read_bus_entries(
        array({entry("1-0", {"other", order}), entry("2-0", {"n", "not json"}),
               entry("3-0", {"n", std::string("[") + order + "]"}),
               entry("4-0", {"n", R"({"name":"orders","id":1})"}),
               entry("5-0", {"n", std::string(order) + std::string(2000, ' ')}),
               entry("6-0", {"x", "1", "n", order})}),
        1024);
    ASSERT_EQ(read.size(), 6u);
    EXPECT_EQ(read[0].problem, "no field n");
    EXPECT_EQ(read[1].problem, "n is not one JSON object");
    EXPECT_EQ(read[2].problem, "n is not one JSON object") << "a batch is one entry per item";
    EXPECT_EQ(read[3].problem, "n is not a valid notification");
    EXPECT_EQ(read[4].problem, "n above notify.max_body_bytes");
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_FALSE(read[i].item) << i;
        EXPECT_EQ(read[i].id, (event_id{i + 1, 0})) << "reading goes on after it";
    }
    EXPECT_TRUE(read[5].item) << "other fields beside n are ignored";
}

TEST(bus_entry, shapes_that_are_not_entries_are_refused_without_an_id)
{
    auto const read = read_bus_entries(
        array({text("5-1"), array({text("not-an-id"), array({})}), array({text("5-2")})}), 1024);
    ASSERT_EQ(read.size(), 3u);
    for (auto const& e : read) {
        EXPECT_FALSE(e.id);
        EXPECT_FALSE(e.item);
        EXPECT_EQ(e.problem, "not a stream entry");
    }
    EXPECT_TRUE(read_bus_entries(text("x"), 1024).empty());
}

TEST(bus_entry, an_xread_reply_holds_the_entries_of_its_one_stream)
{
    auto const reply = array({array({text("sse:events"), array({entry("5-1", {"n", order})})})});
    auto const* entries = xread_entries(reply);
    ASSERT_TRUE(entries);
    EXPECT_EQ(read_bus_entries(*entries, 1024).size(), 1u);
    EXPECT_FALSE(xread_entries(redis_reply{redis_reply::kind::nil, {}, {}}))
        << "a blocking read that timed out";
}

} // namespace
} // namespace sse_server
