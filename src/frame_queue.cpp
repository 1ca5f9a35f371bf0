#include "sse_server/frame_queue.hpp"

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
    batch_frames_ = std::min(frames_.size(), max_frames_per_batch);
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < batch_frames_; ++i)
        bytes += frames_[i]->size();
    if (bytes > 0 && chunked_) {
        auto const line = fmt::format_to_n(chunk_size_line_.data(), chunk_size_line_.size(),
                                           "{:x}\r\n", bytes);
        buffers_.push_back(net::buffer(chunk_size_line_.data(), line.size));
    }
    for (std::size_t i = 0; i < batch_frames_; ++i)
        buffers_.push_back(net::buffer(*frames_[i]));
    if (bytes > 0 && chunked_)
        buffers_.push_back(net::buffer("\r\n", 2));
    batch_ends_stream_ = last && batch_frames_ == frames_.size();
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
    for (; batch_frames_ > 0; --batch_frames_) {
        pending_bytes_ -= frames_.front()->size();
        frames_.pop_front();
    }
    ended_ = ended_ || batch_ends_stream_;
    return true;
}

} // namespace sse_server
