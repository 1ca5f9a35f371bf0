#pragma once

#include "sse_server/base/net.hpp"
#include "sse_server/event/sse_frame.hpp"

#include <boost/asio/buffer.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace sse_server {

/** One stream's outgoing frames, shared with every other stream that sends them, counted in
    bytes so the session can bound them, and written in batches: every queued frame (up to a
    bound) goes out as one HTTP chunk in one gathered write, not one system call per frame.
    Owned by its client_stream, written by its transport; no I/O here. */
class frame_queue
{
public:
    /** asio passes at most this many buffers to one writev anyway. */
    static constexpr std::size_t max_frames_per_batch = 60;

    explicit frame_queue(bool chunked = true) : chunked_(chunked) {}
    void set_chunked(bool chunked) { chunked_ = chunked; }

    void push(frame_ptr frame);
    /** Queued bytes not yet written, the batch in flight included. */
    std::size_t pending_bytes() const { return pending_bytes_; }
    std::size_t size() const { return frames_.size() - head_; }
    bool empty() const { return size() == 0; }

    /** Gathers the next batch: `head` (if not empty), the queued frames as one chunk, and the
        last chunk when `last` and this batch empties the queue (then nothing may be pushed
        any more). Nothing when there is nothing to write. */
    void start_batch(std::string_view head, bool last);
    /** What remains to be written of the batch in flight; empty when none is. */
    std::vector<net::const_buffer> const& buffers() const { return buffers_; }
    bool in_flight() const { return !buffers_.empty(); }
    /** Records `bytes` written; true once the whole batch is out (its frames leave the queue). */
    bool written(std::size_t bytes);
    /** The last chunk has been written: the stream is complete. */
    bool ended() const { return ended_; }

private:
    void pop_front();

    // A vector read from head_ rather than a deque: an empty deque already holds a 512-byte
    // block, which thousands of idle streams would pay for nothing. Members are ordered and
    // sized so that an idle queue takes 80 bytes (a queue never holds 4 billion frames).
    std::vector<frame_ptr> frames_;
    std::vector<net::const_buffer> buffers_;
    std::size_t pending_bytes_ = 0;
    std::uint32_t head_ = 0;
    std::uint8_t batch_frames_ = 0; // frames at the front of frames_ in the batch in flight
    // 14 hex digits and CRLF: more bytes than a batch in memory can hold.
    std::array<char, 16> chunk_size_line_{};
    bool batch_ends_stream_ = false;
    bool ended_ = false;
    bool chunked_;
};

} // namespace sse_server
