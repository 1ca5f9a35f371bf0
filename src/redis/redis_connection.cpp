#include "sse_server/redis/redis_connection.hpp"

#include "sse_server/redis/redis_client.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>

namespace sse_server {

redis_connection::redis_connection(net::io_context& ioc, redis_client* client,
                                   redis_transport stream)
    : owner(client), ioc_(ioc), transport_(std::move(stream))
{
}

redis_connection::~redis_connection() = default;

void redis_connection::connect(tcp::endpoint const& to)
{
    transport_.async_connect(to, [self = shared_from_this()](std::string const& error) {
        self->on_connected(error);
    });
}

void redis_connection::connect(std::string const& path)
{
    transport_.async_connect(path, [self = shared_from_this()](std::string const& error) {
        self->on_connected(error);
    });
}

void redis_connection::on_connected(std::string const& error)
{
    if (!owner)
        return;
    if (!reader_.usable())
        return owner->on_connection_failed(*this, "out of memory");
    if (!error.empty())
        return owner->on_connection_failed(*this, error);
    open_ = true;
    read();
    flush_soon(); // the handshake (and the commands that waited for it) were queued meanwhile
}

void redis_connection::flush_soon()
{
    if (!open_ || write_posted_ || write_in_flight_ || out.empty())
        return;
    // The commands of one loop turn leave together in one write at its end: a write per
    // command cost a system call each (ingest through the bus, bench/README.md).
    write_posted_ = true;
    net::post(ioc_, [self = shared_from_this()] {
        self->write_posted_ = false;
        self->write();
    });
}

namespace {

/** Empties a command buffer. A batch of thousands of commands (the periodic revalidation of
    every stream) must not leave its megabytes behind: a buffer over 64 KiB is given back. */
void clear_keeping_small(std::string& buffer)
{
    if (buffer.capacity() > std::size_t{64} * 1024)
        std::string().swap(buffer);
    else
        buffer.clear();
}

} // namespace

void redis_connection::write()
{
    if (!owner || write_in_flight_ || out.empty())
        return;
    writing_.swap(out);
    clear_keeping_small(out);
    write_in_flight_ = true;
    transport_.async_write(net::buffer(writing_),
                           [self = shared_from_this()](error_code ec, std::size_t) {
                               self->write_in_flight_ = false;
                               clear_keeping_small(self->writing_);
                               if (!self->owner)
                                   return;
                               if (ec)
                                   return self->lost(ec);
                               // Commands issued while this write was out go now.
                               self->write();
                           });
}

void redis_connection::read()
{
    transport_.async_read_some(net::buffer(in_),
                               [self = shared_from_this()](error_code ec, std::size_t n) {
                                   self->on_read(ec, n);
                               });
}

void redis_connection::on_read(error_code ec, std::size_t n)
{
    if (!owner)
        return;
    if (ec)
        return lost(ec);
    if (!reader_.feed(in_.data(), n))
        return owner->on_connection_lost(*this, "out of memory");
    // One read may hold many replies (a pipelined batch answered at once), or part of one.
    redis_reply reply;
    while (owner) {
        auto const got = reader_.next(reply);
        if (got == reply_reader::status::error)
            return owner->on_connection_lost(*this, "protocol error: " + reader_.error());
        if (got == reply_reader::status::more)
            break;
        owner->on_connection_reply(*this, std::move(reply));
    }
    if (owner)
        read();
}

void redis_connection::lost(error_code ec)
{
    if (owner)
        owner->on_connection_lost(*this, transport_.describe(ec));
}

void redis_connection::close()
{
    owner = nullptr;
    transport_.close();
}

} // namespace sse_server
