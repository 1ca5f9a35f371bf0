#include "sse_server/log/replay_buffer.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace sse_server {
namespace {

using namespace std::chrono_literals;
using clock = replay_buffer::clock;

/** A buffer whose run started at id 100-0, and helpers to fill it at chosen times. */
class replay_buffer_test : public ::testing::Test
{
protected:
    replay_buffer_test() : buffer_(3, 1 << 20, 60s, event_id{100, 0}) {}

    event_id add(std::uint64_t ms, std::string name = "orders", std::string user = "1",
                 clock::time_point at = clock::time_point{})
    {
        event_id const id{ms, 0};
        buffer_.append({id, std::move(name), std::move(user),
                        std::make_shared<std::string const>("frame " + id.to_string()), nullptr,
                        at});
        return id;
    }

    static bool all(event const&) { return true; }

    // An entry whose frame, "frame <ms>-0", is 11 bytes long for a 3-digit `ms`.
    static replay_buffer::entry entry_of(std::uint64_t ms, clock::time_point at = {})
    {
        event_id const id{ms, 0};
        return {id, "orders", "1", std::make_shared<std::string const>("frame " + id.to_string()),
                nullptr, at};
    }

    replay_buffer buffer_;
};

TEST_F(replay_buffer_test, resumes_from_a_kept_id)
{
    auto const a = add(101);
    add(102);
    auto const point = buffer_.resume_point(a.to_string());
    ASSERT_TRUE(point);
    auto const batch = buffer_.read_after(*point, all, 1 << 20);
    ASSERT_EQ(batch.frames.size(), 1u);
    EXPECT_EQ(*batch.frames[0], "frame 102-0");
    EXPECT_TRUE(batch.complete);
    EXPECT_FALSE(batch.lost);
}

TEST_F(replay_buffer_test, the_start_of_the_run_replays_everything_kept)
{
    add(101);
    add(102);
    auto const point = buffer_.resume_point("100-0");
    ASSERT_TRUE(point);
    EXPECT_EQ(buffer_.read_after(*point, all, 1 << 20).frames.size(), 2u);
}

TEST_F(replay_buffer_test, an_id_older_than_the_evicted_ones_is_a_loss)
{
    auto const first = add(101);
    auto const second = add(102);
    add(103);
    add(104); // evicts 101 (capacity 3)
    EXPECT_FALSE(buffer_.resume_point("100-0"));
    EXPECT_TRUE(buffer_.resume_point(first.to_string())) << "everything after 101 is kept";
    EXPECT_TRUE(buffer_.resume_point(second.to_string()));
}

TEST_F(replay_buffer_test, the_origin_moves_to_the_last_id_evicted)
{
    EXPECT_EQ(buffer_.origin(), (event_id{100, 0}));
    add(101);
    auto const second = add(102);
    add(103);
    add(104);
    add(105); // evicts 101 and 102 (capacity 3)
    EXPECT_EQ(buffer_.origin(), second) << "where history kept elsewhere has to take over";
    EXPECT_TRUE(buffer_.covers(second));
    EXPECT_FALSE(buffer_.covers(event_id{101, 0}));
}

TEST_F(replay_buffer_test, the_newest_id_is_no_loss_even_when_nothing_is_kept)
{
    replay_buffer empty{0, 1 << 20, 60s, event_id{100, 0}};
    empty.append({event_id{101, 0}, "orders", "1", std::make_shared<std::string const>("x"),
                  nullptr, clock::time_point{}});
    EXPECT_EQ(empty.size(), 0u);
    EXPECT_TRUE(empty.resume_point("101-0"));
    EXPECT_FALSE(empty.resume_point("100-0"));
}

TEST_F(replay_buffer_test, ids_of_another_run_malformed_or_future_are_unknown)
{
    add(101);
    EXPECT_FALSE(buffer_.resume_point("99-5")) << "before this run";
    EXPECT_FALSE(buffer_.resume_point("102-0")) << "never issued";
    EXPECT_FALSE(buffer_.resume_point("abc"));
    EXPECT_FALSE(buffer_.resume_point(""));
}

TEST_F(replay_buffer_test, old_entries_expire)
{
    auto const t0 = clock::time_point{} + 1h;
    auto const a = add(101, "orders", "1", t0);
    add(102, "orders", "1", t0 + 30s);
    buffer_.expire(t0 + 61s);
    EXPECT_EQ(buffer_.size(), 1u);
    EXPECT_FALSE(buffer_.resume_point("100-0"));
    EXPECT_TRUE(buffer_.resume_point(a.to_string()));
}

TEST_F(replay_buffer_test, reads_only_wanted_entries_in_order)
{
    add(101, "orders");
    add(102, "invoices");
    add(103, "orders");
    auto const batch = buffer_.read_after(
        event_id{100, 0}, [](auto const& e) { return e.name == "orders"; }, 1 << 20);
    ASSERT_EQ(batch.frames.size(), 2u);
    EXPECT_EQ(*batch.frames[0], "frame 101-0");
    EXPECT_EQ(*batch.frames[1], "frame 103-0");
    EXPECT_EQ(batch.cursor, (event_id{103, 0}));
}

TEST_F(replay_buffer_test, reads_in_bounded_batches)
{
    add(101);
    add(102);
    add(103);
    auto const first = buffer_.read_after(event_id{100, 0}, all, 1);
    ASSERT_EQ(first.frames.size(), 1u);
    EXPECT_FALSE(first.complete);
    EXPECT_EQ(first.cursor, (event_id{101, 0}));
    auto const rest = buffer_.read_after(first.cursor, all, 1 << 20);
    EXPECT_EQ(rest.frames.size(), 2u);
    EXPECT_TRUE(rest.complete);
}

TEST_F(replay_buffer_test, a_cursor_overtaken_by_eviction_reports_the_loss)
{
    add(101);
    add(102);
    add(103);
    add(104);
    add(105); // 101 and 102 are gone
    EXPECT_TRUE(buffer_.read_after(event_id{101, 0}, all, 1 << 20).lost);
    EXPECT_FALSE(buffer_.read_after(event_id{102, 0}, all, 1 << 20).lost);
}

TEST_F(replay_buffer_test, the_oldest_frames_go_when_the_bytes_bound_is_reached)
{
    replay_buffer bounded{10, 25, 60s, event_id{100, 0}};
    bounded.append(entry_of(101));
    bounded.append(entry_of(102));
    EXPECT_EQ(bounded.bytes(), 22u);
    bounded.append(entry_of(103)); // 33 bytes > 25: 101 goes
    EXPECT_EQ(bounded.size(), 2u);
    EXPECT_EQ(bounded.bytes(), 22u);
    EXPECT_FALSE(bounded.resume_point("100-0")) << "101 was lost";
    EXPECT_TRUE(bounded.read_after(event_id{100, 0}, all, 1 << 20).lost);
    auto const point = bounded.resume_point("101-0");
    ASSERT_TRUE(point) << "everything after 101 is kept";
    auto const batch = bounded.read_after(*point, all, 1 << 20);
    EXPECT_FALSE(batch.lost);
    ASSERT_EQ(batch.frames.size(), 2u);
    EXPECT_EQ(*batch.frames[0], "frame 102-0");
}

TEST_F(replay_buffer_test, a_frame_larger_than_the_bytes_bound_is_not_kept_and_is_a_loss)
{
    replay_buffer bounded{10, 15, 60s, event_id{100, 0}};
    bounded.append(entry_of(101));
    bounded.append({event_id{102, 0}, "orders", "1",
                    std::make_shared<std::string const>(std::string(16, 'x')), nullptr,
                    clock::time_point{}});
    EXPECT_EQ(bounded.size(), 0u);
    EXPECT_EQ(bounded.bytes(), 0u);
    EXPECT_FALSE(bounded.resume_point("101-0")) << "102 was lost";
    EXPECT_TRUE(bounded.resume_point("102-0")) << "the newest id is no loss";
}

TEST_F(replay_buffer_test, an_audience_kept_with_its_event_counts_toward_the_bytes_bound)
{
    // 1 000 short ids are a few KB of JSON but 32 KB or more in memory: a bound on frames
    // alone would let the buffer hold a hundred times max_bytes.
    auto wide = std::make_shared<audience>();
    for (int i = 0; i < 1000; ++i)
        wide->users.push_back("u" + std::to_string(i));
    EXPECT_GE(wide->footprint(), 1000 * sizeof(std::string));
    replay_buffer bounded{10, 50'000, 60s, event_id{100, 0}};
    for (std::uint64_t ms : {101, 102}) {
        auto e = entry_of(ms);
        e.audience = wide;
        bounded.append(std::move(e));
    }
    EXPECT_EQ(bounded.size(), 1u) << "two audiences pass 50 000 bytes: 101 goes";
    EXPECT_EQ(bounded.bytes(), 11 + wide->footprint());
    EXPECT_FALSE(bounded.resume_point("100-0")) << "101 was lost";
    bounded.append(entry_of(103));
    bounded.append(entry_of(104)); // by count, nothing goes; by bytes neither
    EXPECT_EQ(bounded.bytes(), 33 + wide->footprint()) << "an event without one counts its frame";
}

TEST_F(replay_buffer_test, evictions_by_age_and_count_give_their_bytes_back)
{
    replay_buffer bounded{2, 22, 60s, event_id{100, 0}};
    auto const t0 = clock::time_point{} + 1h;
    bounded.append(entry_of(101, t0));
    bounded.append(entry_of(102, t0));
    bounded.append(entry_of(103, t0)); // by count: 101 goes
    EXPECT_EQ(bounded.bytes(), 22u);
    bounded.expire(t0 + 61s);
    EXPECT_EQ(bounded.bytes(), 0u);
    bounded.append(entry_of(104, t0 + 61s));
    bounded.append(entry_of(105, t0 + 61s));
    EXPECT_EQ(bounded.size(), 2u) << "expired bytes no longer count";
    EXPECT_TRUE(bounded.resume_point("103-0"));
}

} // namespace
} // namespace sse_server
