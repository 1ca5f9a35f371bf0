#include "sse_server/stream/flush_scheduler.hpp"

#include <boost/asio/post.hpp>

#include <utility>

namespace sse_server {

void flush_scheduler::request(std::shared_ptr<flushable> f)
{
    pending_.push_back(std::move(f));
    if (posted_)
        return;
    posted_ = true;
    // Posted, not run here: the caller may be in the middle of a fan-out, and handlers
    // already queued (more notifications) get to add their frames first.
    net::post(ioc_, [this] { run(); });
}

void flush_scheduler::run()
{
    posted_ = false;
    std::swap(pending_, running_);
    for (auto& f : running_)
        f->flush();
    // The shared pointers may be the streams' last owners: release them outside the loop.
    running_.clear();
}

} // namespace sse_server
