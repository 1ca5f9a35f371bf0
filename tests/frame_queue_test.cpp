#include "sse_server/stream/frame_queue.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace sse_server {
namespace {

frame_ptr frame(std::string text)
{
    return std::make_shared<std::string const>(std::move(text));
}

std::string bytes_of(std::vector<net::const_buffer> const& buffers)
{
    std::string out;
    for (auto const& b : buffers)
        out.append(static_cast<char const*>(b.data()), b.size());
    return out;
}

TEST(frame_queue, queued_frames_leave_as_one_chunk_in_one_gathered_write)
{
    frame_queue q;
    q.push(frame("aa"));
    q.push(frame("bbb"));
    q.push(frame("c"));
    q.start_batch("", false);
    EXPECT_EQ(bytes_of(q.buffers()), "6\r\naabbbc\r\n");
    EXPECT_EQ(q.buffers().size(), 5u) << "chunk size, three shared frames, CRLF: no copies";
    EXPECT_TRUE(q.written(11));
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.pending_bytes(), 0u);
}

TEST(frame_queue, head_goes_first_and_last_chunk_ends_the_stream)
{
    frame_queue q;
    q.push(frame("x"));
    q.start_batch("HEAD\r\n\r\n", true);
    EXPECT_EQ(bytes_of(q.buffers()), "HEAD\r\n\r\n1\r\nx\r\n0\r\n\r\n");
    EXPECT_FALSE(q.ended());
    EXPECT_TRUE(q.written(bytes_of(q.buffers()).size()));
    EXPECT_TRUE(q.ended());
}

TEST(frame_queue, partial_writes_resume_where_they_stopped)
{
    frame_queue q;
    q.push(frame("hello"));
    q.push(frame("world"));
    q.start_batch("", false);
    auto const all = bytes_of(q.buffers());
    EXPECT_FALSE(q.written(4));
    EXPECT_EQ(bytes_of(q.buffers()), all.substr(4));
    EXPECT_EQ(q.pending_bytes(), 10u) << "frames count until their batch is out";
    EXPECT_TRUE(q.written(all.size() - 4));
    EXPECT_EQ(q.pending_bytes(), 0u);
}

TEST(frame_queue, frames_queued_during_a_write_wait_for_the_next_batch)
{
    frame_queue q;
    q.push(frame("1"));
    q.start_batch("", false);
    q.push(frame("2"));
    EXPECT_EQ(bytes_of(q.buffers()), "1\r\n1\r\n");
    EXPECT_TRUE(q.written(6));
    EXPECT_EQ(q.size(), 1u);
    q.push(frame("3"));
    q.start_batch("", true);
    EXPECT_EQ(bytes_of(q.buffers()), "2\r\n23\r\n0\r\n\r\n");
}

TEST(frame_queue, a_batch_is_bounded)
{
    frame_queue q;
    for (std::size_t i = 0; i < frame_queue::max_frames_per_batch + 5; ++i)
        q.push(frame("f"));
    q.start_batch("", false);
    EXPECT_EQ(q.buffers().size(), frame_queue::max_frames_per_batch + 2);
    EXPECT_TRUE(q.written(bytes_of(q.buffers()).size()));
    EXPECT_EQ(q.size(), 5u);
}

TEST(frame_queue, unchunked_streams_write_frames_as_they_are)
{
    frame_queue q{false};
    q.push(frame("data: x\n\n"));
    q.start_batch("", false);
    EXPECT_EQ(bytes_of(q.buffers()), "data: x\n\n");
    EXPECT_TRUE(q.written(9));
    q.start_batch("", true);
    EXPECT_TRUE(q.ended()) << "ended by the connection's close, nothing to write";
    EXPECT_FALSE(q.in_flight());
}

TEST(frame_queue, nothing_queued_means_nothing_to_write)
{
    frame_queue q;
    q.start_batch("", false);
    EXPECT_FALSE(q.in_flight());
    EXPECT_FALSE(q.ended());
}

} // namespace
} // namespace sse_server
