#include "sse_server/redis/sentinel_link.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <utility>

namespace sse_server {

sentinel_link::sentinel_link(net::io_context& ioc, host_port where, std::string commands,
                             handlers on)
    : sentinel_(std::move(where)), out_(std::move(commands)), on_(std::move(on)), resolver_(ioc),
      socket_(ioc), deadline_(ioc)
{
}

sentinel_link::~sentinel_link() = default;

void sentinel_link::start(milliseconds deadline)
{
    if (!reader_.usable())
        return end("out of memory");
    // A sentinel that is down, or a host that drops packets, costs at most the deadline
    // before the next one is asked.
    deadline_.expires_after(deadline);
    deadline_.async_wait([self = shared_from_this()](error_code ec) {
        if (!ec)
            self->end("timeout");
    });
    resolver_.async_resolve(
        sentinel_.host, std::to_string(sentinel_.port),
        [self = shared_from_this()](error_code ec, tcp::resolver::results_type results) {
            self->on_resolved(ec, results);
        });
}

void sentinel_link::on_resolved(error_code ec, tcp::resolver::results_type const& results)
{
    if (closed_)
        return;
    if (ec)
        return end("cannot resolve " + sentinel_.host);
    net::async_connect(socket_, results,
                       [self = shared_from_this()](error_code cec, tcp::endpoint const&) {
                           self->on_connected(cec);
                       });
}

void sentinel_link::on_connected(error_code ec)
{
    if (closed_)
        return;
    if (ec)
        return end(socket_error_text(ec));
    net::async_write(socket_, net::buffer(out_),
                     [self = shared_from_this()](error_code wec, std::size_t) {
                         if (!self->closed_ && wec)
                             self->end("connection lost");
                     });
    read();
}

void sentinel_link::read()
{
    socket_.async_read_some(
        net::buffer(in_),
        [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void sentinel_link::on_read(error_code ec, std::size_t n)
{
    if (closed_)
        return;
    if (ec)
        return end("connection lost");
    if (!reader_.feed(in_.data(), n))
        return end("out of memory");
    redis_reply reply;
    while (!closed_) {
        auto const got = reader_.next(reply);
        if (got == reply_reader::status::error)
            return end("protocol error: " + reader_.error());
        if (got == reply_reader::status::more)
            break;
        on_.reply(std::move(reply)); // may close this link
    }
    if (!closed_)
        read();
}

void sentinel_link::settle()
{
    deadline_.cancel();
}

void sentinel_link::end(std::string error)
{
    if (closed_)
        return;
    auto const keep = shared_from_this(); // its owner may let go of it in `ended`
    auto ended = std::move(on_.ended);
    close();
    if (ended)
        ended(std::move(error));
}

void sentinel_link::close()
{
    if (closed_)
        return;
    // The handlers stay: one of them may be running (a reply that made its owner close).
    closed_ = true;
    deadline_.cancel();
    resolver_.cancel();
    error_code ignored;
    socket_.close(ignored);
}

} // namespace sse_server
