#include "sse_server/http/connection_manager.hpp"

#include <utility>
#include <vector>

namespace sse_server {

void connection_manager::add(connection& c, stop_phase phase)
{
    c.prev_ = nullptr;
    c.next_ = first_;
    if (first_)
        first_->prev_ = &c;
    first_ = &c;
    ++size_;
    if (phase == stop_phase::after_streams)
        late_.insert(&c);
}

void connection_manager::remove(connection& c)
{
    (c.prev_ ? c.prev_->next_ : first_) = c.next_;
    if (c.next_)
        c.next_->prev_ = c.prev_;
    c.prev_ = c.next_ = nullptr;
    --size_;
    late_.erase(&c);
    on_removed();
}

void connection_manager::shut_down_all(std::function<void()> on_streams_closed,
                                       std::function<void()> on_empty)
{
    stopping_ = true;
    on_streams_closed_ = std::move(on_streams_closed);
    on_empty_ = std::move(on_empty);
    shut_down(false);
    on_removed();
}

void connection_manager::on_removed()
{
    if (!stopping_)
        return;
    if (on_streams_closed_ && size_ == late_.size()) {
        std::exchange(on_streams_closed_, nullptr)();
        shut_down(true);
    }
    if (size_ == 0 && on_empty_)
        std::exchange(on_empty_, nullptr)();
}

void connection_manager::shut_down(bool include_late)
{
    // Connections are owned by their pending handlers, so none is destroyed inside
    // shut_down(); the copy only keeps the loop valid should one remove itself early.
    for (auto* c : all())
        if (include_late || !late_.contains(c))
            c->shut_down();
}

std::vector<connection*> connection_manager::all() const
{
    std::vector<connection*> list;
    list.reserve(size_);
    for (auto* c = first_; c; c = c->next_)
        list.push_back(c);
    return list;
}

void connection_manager::sweep(connection::clock::time_point now)
{
    // Safe to walk the set itself: a connection that closes is destroyed later, by its
    // handlers, never inside check_deadline().
    for (auto* c = first_; c; c = c->next_)
        c->check_deadline(now);
}

std::size_t connection_manager::abort_all()
{
    std::size_t dropped = 0;
    for (auto* c : all())
        dropped += c->abort();
    return dropped;
}

} // namespace sse_server
