#include "sse_server/stream/stream_transport.hpp"

#include "sse_server/config/config.hpp"
#include "sse_server/ops/access_log.hpp"
#include "sse_server/ops/log_limiter.hpp"

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <spdlog/spdlog.h>

#include <memory>

namespace sse_server {

namespace {

/** Allocates an operation at its own size. By default Asio hands an operation the block its
    thread recycled last when that is big enough: the hang-up watch, which waits as long as the
    stream lives, then holds a block sized for an accept (about 200 bytes) instead of its own
    (about 100); with tens of thousands of idle streams that is most of a stream's memory
    after the stream object itself. */
template <typename T>
struct exact_allocator
{
    using value_type = T;
    exact_allocator() = default;
    template <typename U>
    exact_allocator(exact_allocator<U> const&) noexcept // NOLINT(google-explicit-constructor)
    {
    }
    T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>{}.deallocate(p, n); }
    template <typename U>
    bool operator==(exact_allocator<U> const&) const noexcept
    {
        return true;
    }
};

} // namespace

stream_transport::stream_transport(tcp_socket&& socket, client_services& services,
                                   std::string head, unsigned version, ip_address client,
                                   stream_start start)
    : socket_(std::move(socket)), stream_(services, *this, std::move(start)),
      response_head_(std::make_unique<std::string const>(std::move(head))), client_(client)
{
    stream_.queue().set_chunked(version >= 11);
    services.connections.add(*this);
}

stream_transport::~stream_transport()
{
    stream_.services().connections.remove(*this);
}

void stream_transport::run()
{
    do_watch_hangup();
    do_write();
}

void stream_transport::wake()
{
    // A stream waiting for room in its socket writes when the room comes; one that already
    // asked is written with everything queued by then.
    if (flush_requested_ || waiting_writable_ || closed_)
        return;
    flush_requested_ = true;
    stream_.services().flushes.request(shared_from_this());
}

void stream_transport::flush()
{
    flush_requested_ = false;
    if (!waiting_writable_)
        do_write();
}

void stream_transport::do_write()
{
    // Writes without waiting as long as the socket takes the bytes (the usual case: one
    // system call for everything queued); waits for room only when it is full.
    auto& queue = stream_.queue();
    while (!closed_) {
        if (!queue.in_flight()) {
            if (queue.empty() && !stream_.refill())
                return;
            // The head goes out with the first batch; the last chunk with the last one.
            queue.start_batch(response_head_ ? std::string_view(*response_head_) : std::string_view{},
                              stream_.finishing());
            if (queue.ended())
                return close(stream_.end_reason());
            if (!queue.in_flight())
                break;
        }
        error_code ec;
        auto const bytes = socket_.write_some(queue.buffers(), ec);
        if (ec == net::error::would_block || ec == net::error::try_again)
            return do_wait_writable();
        if (ec)
            return fail(ec, "write");
        bytes_sent_ += bytes;
        if (!queue.written(bytes))
            continue; // the rest of this batch
        response_head_.reset();
        if (queue.ended()) {
            // Clean end of stream: the last chunk is out, now FIN.
            socket_.shutdown(tcp_socket::shutdown_send, ec);
            return close(stream_.end_reason());
        }
    }
    deadline_ = clock::time_point::max();
    stream_.count_queued_bytes();
}

void stream_transport::do_wait_writable()
{
    stream_.count_queued_bytes();
    // The deadline covers one wait: a reader that takes nothing for send_timeout is gone;
    // one that is slow but steady keeps its connection.
    deadline_ = clock::now() + stream_.services().cfg.client.send_timeout;
    waiting_writable_ = true;
    socket_.async_wait(tcp_socket::wait_write,
                       beast::bind_front_handler(&stream_transport::on_writable,
                                                 shared_from_this()));
}

void stream_transport::on_writable(error_code ec)
{
    waiting_writable_ = false;
    if (ec)
        return fail(ec, "wait for write");
    do_write();
}

void stream_transport::do_watch_hangup()
{
    // An SSE client sends nothing after its request: the socket becoming readable means it
    // is gone (or misbehaves). Waiting needs no buffer, unlike a read. The reactor reports
    // edges, so a hang-up that came before the wait is looked for first.
    char probe = 0;
    error_code ec;
    socket_.receive(net::buffer(&probe, 1), tcp_socket::message_peek, ec);
    if (ec != net::error::would_block && ec != net::error::try_again)
        return on_hangup(ec);
    // A lambda holding only the pointer: a bound member function would add 16 bytes to the
    // operation, which waits as long as the stream lives.
    socket_.async_wait(tcp_socket::wait_read,
                       net::bind_allocator(exact_allocator<void>{},
                                           [self = shared_from_this()](error_code error) {
                                               self->on_hangup(error);
                                           }));
}

void stream_transport::on_hangup(error_code ec)
{
    if (ec == net::error::operation_aborted || closed_)
        return;
    if (spdlog::should_log(spdlog::level::debug)) // str() allocates: not on every hang-up
        spdlog::debug("stream {}: its client hung up", stream_.origin().str());
    close("client_gone");
}

void stream_transport::cut(char const* reason)
{
    close(reason);
}

void stream_transport::shut_down()
{
    // A stream still writing its end finishes that first.
    stream_.shut_down();
}

std::size_t stream_transport::abort()
{
    auto const dropped = stream_.queue().size();
    close(stream_.end_reason() ? stream_.end_reason() : "shutdown");
    return dropped;
}

void stream_transport::check_deadline(clock::time_point now)
{
    stream_.check_lifetime(now);
    if (auto const& plan = stream_.services().keep_alive; plan.beat)
        stream_.keep_alive(*plan.beat, now, plan.quiet_for);
    if (now < deadline_ || closed_)
        return;
    deadline_ = clock::time_point::max();
    spdlog::debug("stream {}: nothing written within the send timeout", stream_.origin().str());
    close("send_timeout");
}

void stream_transport::close(char const* reason)
{
    if (closed_)
        return;
    closed_ = true;
    stream_.ended(reason);
    error_code ignored;
    socket_.close(ignored);
    log_end(stream_.end_reason() ? stream_.end_reason() : "client_gone");
}

void stream_transport::fail(error_code ec, char const* what)
{
    if (ec == net::error::operation_aborted || closed_)
        return;
    if (spdlog::should_log(spdlog::level::debug))
        spdlog::debug("stream {}: {}: {}", stream_.origin().str(), what, ec.message());
    close("client_gone");
}

// log.access: one line per stream ended, within the access log's budget (the server logs how
// many lines each kind went over it).
void stream_transport::log_end(char const* reason)
{
    if (!stream_.services().cfg.log.access || !spdlog::should_log(spdlog::level::info))
        return;
    auto const now = clock::now();
    if (!stream_.services().access_log.admit(stream_end_kind, now))
        return;
    auto const lasted = std::chrono::duration_cast<milliseconds>(now - stream_.opened_at());
    spdlog::info("{}", access_line(stream_end_entry{to_string(client_), stream_.user_id(),
                                                    stream_.origin().str(), lasted,
                                                    stream_.events_sent(), bytes_sent_, reason}));
}

} // namespace sse_server
