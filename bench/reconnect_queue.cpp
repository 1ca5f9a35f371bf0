#include "reconnect_queue.hpp"

namespace sse_server::bench {

reconnect_queue::reconnect_queue(net::io_context& ioc, std::function<void(std::size_t)> due)
    : timer_(ioc), due_(std::move(due))
{
}

void reconnect_queue::schedule(std::size_t index, clock::time_point when)
{
    if (stopped_)
        return;
    waiting_.emplace(when, index);
    // Re-armed only for an earlier time: most of a storm's streams come later than the first.
    if (when < armed_for_)
        arm();
}

void reconnect_queue::stop()
{
    stopped_ = true;
    timer_.cancel();
    waiting_ = {};
}

void reconnect_queue::arm()
{
    armed_for_ = waiting_.top().first;
    timer_.expires_at(armed_for_);
    timer_.async_wait([this](error_code ec) { on_timer(ec); });
}

void reconnect_queue::on_timer(error_code ec)
{
    // Cancelled by a re-arm for an earlier time (that wait is pending) or by stop().
    if (ec || stopped_)
        return;
    armed_for_ = clock::time_point::max();
    auto const now = clock::now();
    while (!waiting_.empty() && waiting_.top().first <= now) {
        auto const index = waiting_.top().second;
        waiting_.pop();
        due_(index);
        if (stopped_)
            return;
    }
    if (!waiting_.empty())
        arm();
}

} // namespace sse_server::bench
