// The page script (bus_page) run by a real Redis: bounded in entries and bytes, large bodies
// measured and left in Redis, the anchor and the stream's counters read in the same step.
#include "sse_server/log/bus_page.hpp"
#include "support/redis_server.hpp"

#include <gtest/gtest.h>

namespace sse_server::test {
namespace {

class bus_page_script_test : public ::testing::Test
{
protected:
    std::string add(std::string const& field, std::size_t bytes)
    {
        return redis_.command({"XADD", "s", "*", field, std::string(bytes, 'x')});
    }

    bus_page read(std::optional<std::string> const& after, std::optional<std::string> const& anchor,
                  std::size_t budget, std::size_t max_entries)
    {
        bus_page_request r;
        r.key = "s";
        r.after = after ? event_id::parse(*after) : std::nullopt;
        r.anchor = anchor ? event_id::parse(*anchor) : std::nullopt;
        r.byte_budget = budget;
        r.max_entries = max_entries;
        r.max_body_bytes = 100'000;
        auto const reply = redis_.reply(bus_page_command(r));
        auto page = read_bus_page(reply);
        EXPECT_TRUE(page) << reply.text;
        return page.value_or(bus_page{});
    }

    static std::vector<std::string> ids(bus_page const& page)
    {
        std::vector<std::string> out;
        for (auto const& e : page.entries)
            out.push_back(e.id.to_string());
        return out;
    }

    redis_server redis_;
};

TEST_F(bus_page_script_test, pages_stop_at_their_entry_and_byte_bounds_and_large_bodies_stay_in_redis)
{
    std::vector<std::string> id;
    for (int i = 0; i < 5; ++i)
        id.push_back(add("n", 100));
    id.push_back(add("n", 50'000));
    id.push_back(add("n", 200'000)); // larger than the 100 000 asked for
    id.push_back(add("other", 10));  // no field n
    id.push_back(add("n", 100));

    auto const first = read("0-0", std::nullopt, 1000, 3);
    EXPECT_EQ(ids(first), (std::vector<std::string>{id[0], id[1], id[2]}));
    EXPECT_TRUE(first.more);
    auto const second = read(id[2], id[2], 1000, 3);
    EXPECT_EQ(ids(second), (std::vector<std::string>{id[3], id[4]})) << "the next is over budget";
    EXPECT_TRUE(second.more);
    EXPECT_TRUE(second.facts.anchor_found);
    auto const third = read(id[4], id[4], 1000, 3);
    EXPECT_EQ(ids(third), std::vector<std::string>{id[5]}) << "one entry, whatever its size";
    ASSERT_EQ(third.entries.size(), 1u);
    EXPECT_EQ(third.entries[0].n->size(), 50'000u);

    auto const sent = [&] {
        auto const info = redis_.command({"INFO", "stats"});
        return std::stoull(info.substr(info.find("total_net_output_bytes:") + 23));
    };
    auto const before = sent();
    auto const last = read(id[5], id[5], 1000, 10);
    EXPECT_LT(sent() - before, 50'000u) << "the 200 000 bytes were not sent";
    EXPECT_EQ(ids(last), (std::vector<std::string>{id[6], id[7], id[8]}));
    EXPECT_FALSE(last.more);
    ASSERT_EQ(last.entries.size(), 3u);
    EXPECT_FALSE(last.entries[0].n);
    EXPECT_EQ(last.entries[0].n_bytes, 200'000u);
    EXPECT_FALSE(last.entries[1].n);
    EXPECT_EQ(last.entries[1].n_bytes, 0u);
    EXPECT_EQ(last.entries[2].n->size(), 100u);
}

TEST_F(bus_page_script_test, an_audience_and_a_revalidation_come_with_their_entry)
{
    auto const audience = std::string(R"({"users":["7"],"groups":[]})");
    auto const with_audience = redis_.command({"XADD", "s", "*", "n", "{}", "a", audience});
    auto const audience_first = redis_.command({"XADD", "s", "*", "a", audience, "n", "{}"});
    auto const revalidation = redis_.command({"XADD", "s", "*", "r", R"({"users":["7"]})"});
    // Together over the limit of 100 000: measured and left in Redis, like a large body.
    auto const too_large =
        redis_.command({"XADD", "s", "*", "n", std::string(60'000, 'x'), "a",
                        std::string(60'000, 'y')});
    auto const page = read("0-0", std::nullopt, 1'000'000, 10);
    ASSERT_EQ(ids(page), (std::vector<std::string>{with_audience, audience_first, revalidation,
                                                   too_large}));
    EXPECT_EQ(page.entries[0].n, "{}");
    EXPECT_EQ(page.entries[0].a, audience);
    EXPECT_EQ(page.entries[1].a, audience) << "whatever the order of the fields";
    EXPECT_EQ(page.entries[1].n, "{}");
    EXPECT_FALSE(page.entries[2].n);
    EXPECT_EQ(page.entries[2].r, R"({"users":["7"]})");
    EXPECT_FALSE(page.entries[2].a);
    EXPECT_FALSE(page.entries[3].n);
    EXPECT_FALSE(page.entries[3].a);
    EXPECT_EQ(page.entries[3].n_bytes, 120'000u);
}

TEST_F(bus_page_script_test, a_missing_anchor_brings_the_streams_counters)
{
    auto const a = add("n", 10);
    auto const b = add("n", 10);
    redis_.command({"XDEL", "s", a});
    auto const page = read(a, a, 1000, 10);
    EXPECT_FALSE(page.facts.anchor_found);
    EXPECT_EQ(page.facts.last_generated, event_id::parse(b));
    EXPECT_EQ(page.facts.entries_added, 2u);
    EXPECT_EQ(page.facts.length, 1u);
    EXPECT_EQ(page.facts.first, event_id::parse(b));
    EXPECT_EQ(ids(page), std::vector<std::string>{b});

    auto const facts_only = read(std::nullopt, std::nullopt, 0, 0);
    EXPECT_EQ(facts_only.facts.last_generated, event_id::parse(b));
    EXPECT_TRUE(facts_only.entries.empty());
}

TEST_F(bus_page_script_test, no_key_and_a_key_of_another_type_are_told_apart)
{
    auto const none = read("1-0", "1-0", 1000, 10);
    EXPECT_FALSE(none.facts.exists);
    EXPECT_FALSE(none.wrong_type);
    redis_.set("s", "text");
    EXPECT_EQ(read("1-0", "1-0", 1000, 10).wrong_type, "string");
    EXPECT_EQ(read(std::nullopt, std::nullopt, 0, 0).wrong_type, "string");
}

TEST_F(bus_page_script_test, a_read_by_digest_is_refused_until_redis_holds_the_script_then_runs_it)
{
    auto const id = add("n", 10);
    bus_page_request r;
    r.key = "s";
    r.after = event_id{};
    r.byte_budget = 1000;
    r.max_entries = 10;
    r.max_body_bytes = 100;
    auto const digest = bus_page_digest();
    EXPECT_TRUE(script_not_cached(redis_.reply(bus_page_command(r, digest))));
    // EVAL caches the script under the digest the daemon computed.
    ASSERT_TRUE(read_bus_page(redis_.reply(bus_page_command(r))));
    EXPECT_EQ(redis_.command({"SCRIPT", "EXISTS", digest}), "1");
    auto const page = read_bus_page(redis_.reply(bus_page_command(r, digest)));
    ASSERT_TRUE(page);
    EXPECT_EQ(ids(*page), std::vector<std::string>{id});
}

} // namespace
} // namespace sse_server::test
