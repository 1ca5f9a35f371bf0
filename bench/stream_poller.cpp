#include "stream_poller.hpp"

#include <stdexcept>
#include <unistd.h>

namespace sse_server::bench {

stream_poller::stream_poller(net::io_context& ioc)
    : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)), descriptor_(ioc)
{
    if (epoll_fd_ < 0)
        throw std::runtime_error("epoll_create1 failed");
    // Asio watches a duplicate, so that closing its descriptor never closes our set.
    int const watched = dup(epoll_fd_);
    if (watched < 0)
        throw std::runtime_error("dup failed");
    descriptor_.assign(watched);
    do_wait();
}

stream_poller::~stream_poller()
{
    ::close(epoll_fd_);
}

bool stream_poller::add(int fd, readable_target& target)
{
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.ptr = &target;
    return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void stream_poller::remove(int fd)
{
    epoll_event ev{};
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, &ev);
}

void stream_poller::stop()
{
    stopped_ = true;
    error_code ignored;
    descriptor_.close(ignored);
}

void stream_poller::do_wait()
{
    descriptor_.async_wait(net::posix::stream_descriptor::wait_read,
                           [this](error_code ec) { on_ready(ec); });
}

void stream_poller::on_ready(error_code ec)
{
    if (ec || stopped_)
        return;
    int const n = epoll_wait(epoll_fd_, events_.data(), static_cast<int>(events_.size()), 0);
    for (int i = 0; i < n && !stopped_; ++i)
        static_cast<readable_target*>(events_[static_cast<std::size_t>(i)].data.ptr)->on_readable();
    if (!stopped_)
        do_wait();
}

} // namespace sse_server::bench
