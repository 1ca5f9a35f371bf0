#pragma once

#include "sse_server/base/net.hpp"

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <queue>
#include <utility>
#include <vector>

namespace sse_server::bench {

/** Streams waiting to reconnect, each until its own time, on one timer: a daemon that dies
    leaves thousands of them waiting at once, and a timer each would cost a timer each.
    Owned by the run; `due` is called from the event loop, never from schedule(). */
class reconnect_queue
{
public:
    using clock = std::chrono::steady_clock;

    reconnect_queue(net::io_context& ioc, std::function<void(std::size_t)> due);

    /** Stream `index` reconnects at `when`. */
    void schedule(std::size_t index, clock::time_point when);
    /** Nothing waiting is called any more. */
    void stop();
    std::size_t waiting() const { return waiting_.size(); }

private:
    void arm();
    void on_timer(error_code ec);

    using entry = std::pair<clock::time_point, std::size_t>;
    std::priority_queue<entry, std::vector<entry>, std::greater<>> waiting_;
    net::steady_timer timer_;
    std::function<void(std::size_t)> due_;
    clock::time_point armed_for_ = clock::time_point::max();
    bool stopped_ = false;
};

} // namespace sse_server::bench
