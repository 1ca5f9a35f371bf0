#include "sse_server/log/replay_buffer.hpp"

#include <algorithm>

namespace sse_server {

namespace {

/** What keeping an entry costs: its frame, and its audience when it has one (a long list of
    ids is far larger in memory than in the frame, which does not carry it). */
std::size_t kept_bytes(event const& e)
{
    return e.frame->size() + (e.audience ? e.audience->footprint() : 0);
}

} // namespace

replay_buffer::replay_buffer(std::size_t capacity, std::size_t max_bytes,
                             std::chrono::milliseconds max_age, event_id origin)
    : capacity_(capacity), max_bytes_(max_bytes), max_age_(max_age), origin_(origin),
      newest_(origin)
{
}

void replay_buffer::append(entry e)
{
    newest_ = e.id;
    auto const size = kept_bytes(e);
    // An event that cannot be kept is a loss to every resume from before it, like an evicted
    // one; what is older could then never be replayed, so it goes too.
    if (capacity_ == 0 || size > max_bytes_) {
        while (!entries_.empty())
            evict_front();
        origin_ = e.id;
        return;
    }
    while (entries_.size() >= capacity_ || bytes_ + size > max_bytes_)
        evict_front();
    bytes_ += size;
    entries_.push_back(std::move(e));
}

void replay_buffer::expire(clock::time_point now)
{
    while (!entries_.empty() && now - entries_.front().at > max_age_)
        evict_front();
}

void replay_buffer::evict_front()
{
    origin_ = entries_.front().id;
    bytes_ -= kept_bytes(entries_.front());
    entries_.pop_front();
}

std::optional<event_id> replay_buffer::resume_point(std::string_view last) const
{
    auto const id = event_id::parse(last);
    // Before this run began, never issued, or something newer than it has been evicted (it
    // may have been for the client): we cannot know what the client missed.
    if (!id || *id < origin_ || *id > newest_)
        return std::nullopt;
    return id;
}

replay_buffer::batch replay_buffer::read_after(event_id cursor,
                                               std::function<bool(event const&)> const& wanted,
                                               std::size_t max_bytes) const
{
    batch out;
    out.cursor = cursor;
    if (cursor < origin_) {
        out.lost = true;
        return out;
    }
    auto it = std::upper_bound(entries_.begin(), entries_.end(), cursor,
                               [](event_id const& c, entry const& e) { return c < e.id; });
    std::size_t bytes = 0;
    for (; it != entries_.end(); ++it) {
        if (bytes >= max_bytes && !out.frames.empty())
            break;
        out.cursor = it->id;
        if (!wanted(*it))
            continue;
        bytes += it->frame->size();
        out.frames.push_back(it->frame);
    }
    out.complete = it == entries_.end();
    if (out.complete)
        out.cursor = std::max(out.cursor, newest_);
    return out;
}

} // namespace sse_server
