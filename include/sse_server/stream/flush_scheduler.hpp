#pragma once

#include "sse_server/base/net.hpp"

#include <memory>
#include <vector>

namespace sse_server {

/** Something that has bytes queued and writes them when asked. */
class flushable
{
public:
    virtual ~flushable() = default;
    virtual void flush() = 0;
};

/** The streams that have frames waiting, written together once the handler that queued them
    has returned. Everything published in the meantime (a batch POST, or the POSTs of several
    notification connections that arrived together) then leaves in one write per stream
    instead of one per event. Owned by `server`; single-threaded like the registry. */
class flush_scheduler
{
public:
    explicit flush_scheduler(net::io_context& ioc) : ioc_(ioc) {}

    /** `f` is flushed once, soon; the caller asks at most once per flush. */
    void request(std::shared_ptr<flushable> f);

private:
    void run();

    net::io_context& ioc_;
    std::vector<std::shared_ptr<flushable>> pending_;
    std::vector<std::shared_ptr<flushable>> running_;
    bool posted_ = false;
};

} // namespace sse_server
