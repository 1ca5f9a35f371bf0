#include "sse_server/log/bus_page.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

using kind = redis_reply::kind;

redis_reply text(std::string t)
{
    return {kind::value, std::move(t), {}};
}

redis_reply array(std::vector<redis_reply> items)
{
    return {kind::array, {}, std::move(items)};
}

redis_reply texts(std::vector<std::string> values)
{
    std::vector<redis_reply> items;
    for (auto& v : values)
        items.push_back(text(std::move(v)));
    return array(std::move(items));
}

/** The page script's reply for a stream; `entries` flat, as the script gives them. */
redis_reply page_reply(bool anchor_found, std::vector<std::string> facts,
                       std::vector<redis_reply> entries, bool more)
{
    return array({text("stream"), text(anchor_found ? "1" : "0"), texts(std::move(facts)),
                  array(std::move(entries)), text(more ? "1" : "0")});
}

/** Entries as the script gives them: id, kind, value, and {} or {a}. */
std::vector<redis_reply> entries(std::vector<std::vector<std::string>> list)
{
    std::vector<redis_reply> out;
    for (auto& e : list) {
        out.push_back(text(e.at(0)));
        out.push_back(text(e.at(1)));
        out.push_back(text(e.at(2)));
        out.push_back(e.size() > 3 ? texts({e[3]}) : array({}));
    }
    return out;
}

TEST(bus_page, entries_come_with_their_body_or_as_the_size_left_in_redis)
{
    auto const page = read_bus_page(page_reply(true, {},
                                               entries({{"5-1", "n", "{}"},
                                                        {"5-2", "big", "4194304"},
                                                        {"5-3", "none", ""},
                                                        {"5-4", "n", "{}", R"({"users":[1]})"},
                                                        {"5-5", "r", R"({"users":[1]})"}}),
                                               true));
    ASSERT_TRUE(page);
    EXPECT_FALSE(page->wrong_type);
    EXPECT_TRUE(page->facts.exists);
    EXPECT_TRUE(page->facts.anchor_found);
    EXPECT_FALSE(page->facts.last_generated) << "no facts asked for when the anchor is found";
    EXPECT_TRUE(page->more);
    ASSERT_EQ(page->entries.size(), 5u);
    EXPECT_EQ(page->entries[0].id, (event_id{5, 1}));
    EXPECT_EQ(page->entries[0].n, "{}");
    EXPECT_EQ(page->entries[1].n, std::nullopt);
    EXPECT_EQ(page->entries[1].n_bytes, 4194304u);
    EXPECT_EQ(page->entries[2].n, std::nullopt);
    EXPECT_EQ(page->entries[2].n_bytes, 0u);
    EXPECT_EQ(page->entries[3].n, "{}");
    EXPECT_EQ(page->entries[3].a, R"({"users":[1]})");
    EXPECT_EQ(page->entries[3].n_bytes, 2u + 13u) << "both fields count toward the limit";
    EXPECT_EQ(page->entries[4].n, std::nullopt);
    EXPECT_EQ(page->entries[4].r, R"({"users":[1]})");
    EXPECT_EQ(page->entries[0].a, std::nullopt);
    EXPECT_EQ(page->entries[0].r, std::nullopt);
}

TEST(bus_page, the_facts_are_the_streams_counters)
{
    auto const page = read_bus_page(page_reply(false, {"9-0", "12", "3", "7-0"}, {}, false));
    ASSERT_TRUE(page);
    EXPECT_FALSE(page->facts.anchor_found);
    EXPECT_EQ(page->facts.last_generated, (event_id{9, 0}));
    EXPECT_EQ(page->facts.entries_added, 12u);
    EXPECT_EQ(page->facts.length, 3u);
    EXPECT_EQ(page->facts.first, (event_id{7, 0}));

    auto const empty = read_bus_page(page_reply(false, {"9-0", "", "0", ""}, {}, false));
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->facts.entries_added, std::nullopt) << "Redis before 7 does not count";
    EXPECT_EQ(empty->facts.first, std::nullopt);
}

TEST(bus_page, a_missing_key_and_a_key_of_another_type_are_told_apart)
{
    auto const none = read_bus_page(array({text("none")}));
    ASSERT_TRUE(none);
    EXPECT_FALSE(none->facts.exists);
    EXPECT_FALSE(none->wrong_type);
    auto const other = read_bus_page(array({text("string")}));
    ASSERT_TRUE(other);
    EXPECT_EQ(other->wrong_type, "string");
}

TEST(bus_page, replies_of_another_shape_are_refused)
{
    EXPECT_FALSE(read_bus_page({kind::error, "NOSCRIPT", {}}));
    EXPECT_FALSE(read_bus_page(array({})));
    EXPECT_FALSE(read_bus_page(page_reply(true, {}, {text("5-1"), text("n")}, false)));
    EXPECT_FALSE(read_bus_page(
        page_reply(true, {}, {text("5-1"), text("n"), text("{}"), text("")}, false)))
        << "the fourth element is a list";
    EXPECT_FALSE(read_bus_page(page_reply(true, {}, entries({{"x", "n", "{}"}}), false)));
    EXPECT_FALSE(read_bus_page(page_reply(true, {}, entries({{"5-1", "what", "{}"}}), false)));
    EXPECT_FALSE(read_bus_page(page_reply(true, {}, entries({{"5-1", "big", "many"}}), false)));
    EXPECT_FALSE(read_bus_page(page_reply(false, {"9-0"}, {}, false)));
}

TEST(bus_page, the_command_passes_everything_as_arguments_of_one_script)
{
    bus_page_request r;
    r.key = "sse:events";
    r.after = event_id{5, 1};
    r.last = event_id{9, 0};
    r.byte_budget = 1024;
    r.max_entries = 10;
    r.max_body_bytes = 512;
    auto const command = bus_page_command(r);
    ASSERT_EQ(command.size(), 10u);
    EXPECT_EQ(command[0], "EVAL");
    EXPECT_EQ(command[2], "1");
    EXPECT_EQ(command[3], "sse:events");
    EXPECT_EQ(std::vector<std::string>(command.begin() + 4, command.end()),
              (std::vector<std::string>{"5-1", "", "9-0", "1024", "10", "512"}));
    EXPECT_EQ(bus_page_command({"k", {}, event_id{5, 1}, {}, 0, 0, 0})[6], "+");

    // By digest: the same arguments, the script named instead of sent.
    auto const digest = bus_page_digest();
    EXPECT_EQ(digest.size(), 40u);
    auto const by_digest = bus_page_command(r, digest);
    EXPECT_EQ(by_digest[0], "EVALSHA");
    EXPECT_EQ(by_digest[1], digest);
    EXPECT_EQ(std::vector<std::string>(by_digest.begin() + 2, by_digest.end()),
              std::vector<std::string>(command.begin() + 2, command.end()));
    EXPECT_TRUE(script_not_cached({kind::error, "NOSCRIPT No matching script.", {}}));
    EXPECT_FALSE(script_not_cached({kind::error, "ERR unknown command", {}}));
}

stream_facts counters(event_id last, std::uint64_t added, std::uint64_t length,
                      std::optional<event_id> first)
{
    stream_facts f;
    f.exists = true;
    f.last_generated = last;
    f.entries_added = added;
    f.length = length;
    f.first = first;
    return f;
}

TEST(bus_page, an_entry_read_still_there_proves_nothing_after_it_was_trimmed)
{
    stream_facts f;
    f.exists = true;
    f.anchor_found = true;
    EXPECT_EQ(judge_continuity({5, 0}, f, std::nullopt), continuity::intact);
}

TEST(bus_page, a_position_that_is_the_last_id_lost_nothing_even_when_the_stream_is_empty)
{
    EXPECT_EQ(judge_continuity({5, 0}, counters({5, 0}, 7, 0, {}), std::nullopt),
              continuity::intact);
    EXPECT_EQ(judge_continuity({}, stream_facts{}, 0), continuity::intact)
        << "no stream yet, none when reading began";
}

TEST(bus_page, an_older_entry_still_there_means_the_position_was_deleted_not_trimmed)
{
    EXPECT_EQ(judge_continuity({5, 0}, counters({9, 0}, 7, 3, event_id{4, 0}), std::nullopt),
              continuity::intact);
}

TEST(bus_page, the_counters_tell_trimmed_to_empty_then_appended_from_a_loss)
{
    // The position was entry 7 of the stream; since, one was appended and one is there.
    auto const appended_once = counters({9, 0}, 8, 1, event_id{9, 0});
    EXPECT_EQ(judge_continuity({5, 0}, appended_once, 7), continuity::intact);
    // Two appended, one there: the other was trimmed before it was read.
    EXPECT_EQ(judge_continuity({5, 0}, counters({9, 0}, 9, 1, event_id{9, 0}), 7),
              continuity::trimmed);
    EXPECT_EQ(judge_continuity({5, 0}, appended_once, std::nullopt), continuity::trimmed)
        << "without the counter, a gap may hide a loss";
}

TEST(bus_page, a_stream_gone_or_behind_the_position_was_recreated)
{
    EXPECT_EQ(judge_continuity({5, 0}, stream_facts{}, 7), continuity::recreated);
    EXPECT_EQ(judge_continuity({5, 0}, counters({3, 0}, 2, 2, event_id{2, 0}), 7),
              continuity::recreated);
    EXPECT_EQ(judge_continuity({5, 0}, counters({9, 0}, 2, 2, event_id{8, 0}), 7),
              continuity::recreated)
        << "fewer entries ever appended than before the position";
}

} // namespace
} // namespace sse_server
