#include "sse_server/stream/frame_queue.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace sse_server {

void frame_queue::push(frame_ptr frame)
{
    pending_bytes_ += frame->size();
    frames_.push_back(std::move(frame));
}

void frame_queue::start_batch(std::string_view head, bool last)
{
    buffers_.clear();
    if (!head.empty())
        buffers_.push_back(net::buffer(head.data(), head.size()));
    batch_frames_ = static_cast<std::uint8_t>(std::min(size(), max_frames_per_batch));
    std::size_t bytes = 0;
    for (std::size_t i = head_; i < head_ + batch_frames_; ++i)
        bytes += frames_[i]->size();
    if (bytes > 0 && chunked_) {
        auto const line = fmt::format_to_n(chunk_size_line_.data(), chunk_size_line_.size(),
                                           "{:x}\r\n", bytes);
        buffers_.push_back(net::buffer(chunk_size_line_.data(), line.size));
    }
    for (std::size_t i = head_; i < head_ + batch_frames_; ++i)
        buffers_.push_back(net::buffer(*frames_[i]));
    if (bytes > 0 && chunked_)
        buffers_.push_back(net::buffer("\r\n", 2));
    batch_ends_stream_ = last && batch_frames_ == size();
    if (batch_ends_stream_ && chunked_)
        buffers_.push_back(net::buffer("0\r\n\r\n", 5));
    if (batch_ends_stream_ && buffers_.empty())
        ended_ = true; // an unchunked stream ends with the connection: nothing to write
}

bool frame_queue::written(std::size_t bytes)
{
    while (bytes > 0 && !buffers_.empty()) {
        if (bytes < buffers_.front().size()) {
            buffers_.front() += bytes;
            return false;
        }
        bytes -= buffers_.front().size();
        buffers_.erase(buffers_.begin());
    }
    if (!buffers_.empty())
        return false;
    for (; batch_frames_ > 0; --batch_frames_)
        pop_front();
    ended_ = ended_ || batch_ends_stream_;
    return true;
}

void frame_queue::pop_front()
{
    pending_bytes_ -= frames_[head_]->size();
    frames_[head_].reset();
    if (++head_ < frames_.size()) {
        // Reclaim the consumed front once it is most of the vector, so a stream that never
        // fully drains does not grow without bound.
        if (head_ >= 64 && std::size_t{head_} * 2 >= frames_.size()) {
            frames_.erase(frames_.begin(), frames_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
        return;
    }
    head_ = 0;
    frames_.clear();
    // A drained queue keeps nothing: most streams are idle most of the time, and what a batch
    // held (about 100 bytes with its buffer list) times a million streams outweighs an
    // allocation per batch (tens of nanoseconds against microseconds for the write).
    std::vector<frame_ptr>().swap(frames_);
    std::vector<net::const_buffer>().swap(buffers_);
}

} // namespace sse_server
