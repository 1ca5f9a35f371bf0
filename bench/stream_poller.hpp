#pragma once

#include "sse_server/base/net.hpp"

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <sys/epoll.h>

namespace sse_server::bench {

/** Something the poller wakes up when its descriptor has bytes to read. */
class readable_target
{
public:
    virtual ~readable_target() = default;
    virtual void on_readable() = 0;
};

/** An epoll set of its own for the open streams, level-triggered, nested in the io_context
    as one descriptor. Asio re-arms a socket with epoll_ctl() for every async_wait; here a
    wake-up of ten thousand streams costs one re-arm in all, and each stream one read(): the
    generator must cost less per event than the server it measures. Owned by the run; every
    target it holds outlives it or is removed first. */
class stream_poller
{
public:
    explicit stream_poller(net::io_context& ioc);
    ~stream_poller();
    stream_poller(stream_poller const&) = delete;
    stream_poller& operator=(stream_poller const&) = delete;

    /** Watches `fd` for reading; false (errno set) when epoll refuses it. */
    bool add(int fd, readable_target& target);
    void remove(int fd);
    void stop();

private:
    void do_wait();
    void on_ready(error_code ec);

    int epoll_fd_;
    net::posix::stream_descriptor descriptor_;
    std::array<epoll_event, 512> events_{};
    bool stopped_ = false;
};

} // namespace sse_server::bench
