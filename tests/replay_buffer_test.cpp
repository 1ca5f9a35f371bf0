#include "sse_server/replay_buffer.hpp"

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
    replay_buffer_test() : buffer_(3, 60s, event_id{100, 0}) {}

    event_id add(std::uint64_t ms, std::string name = "orders", std::string user = "1",
                 clock::time_point at = clock::time_point{})
    {
        event_id const id{ms, 0};
        buffer_.append({id, std::move(name), std::move(user),
                        std::make_shared<std::string const>("frame " + id.to_string()), at});
        return id;
    }

    static bool all(replay_buffer::entry const&) { return true; }

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

TEST_F(replay_buffer_test, the_newest_id_is_no_loss_even_when_nothing_is_kept)
{
    replay_buffer empty{0, 60s, event_id{100, 0}};
    empty.append({event_id{101, 0}, "orders", "1", std::make_shared<std::string const>("x"),
                  clock::time_point{}});
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

} // namespace
} // namespace sse_server
