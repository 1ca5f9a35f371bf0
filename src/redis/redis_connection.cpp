#include "sse_server/redis/redis_connection.hpp"

#include <boost/asio/post.hpp>
#include <hiredis/async.h>

namespace sse_server {

redis_connection::redis_connection(net::io_context& ioc, redisAsyncContext* c, redis_client* client)
    : owner(client), ctx(c), fd(ioc)
{
}

redis_connection& redis_connection::of(void* data)
{
    return *static_cast<redis_connection*>(data);
}

void redis_connection::attach()
{
    ctx->data = this;
    ctx->ev.data = this;
    ctx->ev.addRead = &add_read;
    ctx->ev.delRead = &del_read;
    ctx->ev.addWrite = &add_write;
    ctx->ev.delWrite = &del_write;
    ctx->ev.cleanup = &cleanup;
}

void redis_connection::arm(wait_type type)
{
    bool& armed = type == wait_type::wait_read ? read_armed : write_armed;
    if (armed || !ctx)
        return;
    armed = true;
    fd.async_wait(type,
                  [self = shared_from_this(), type](error_code ec) { self->on_ready(type, ec); });
}

void redis_connection::on_ready(wait_type type, error_code ec)
{
    bool const reading = type == wait_type::wait_read;
    (reading ? read_armed : write_armed) = false;
    if (ec || !ctx || !(reading ? want_read : want_write))
        return;
    if (reading)
        redisAsyncHandleRead(ctx);
    else
        write_now();
    // hiredis may have freed the context in there (cleanup then nulled ctx).
    if (ctx && (reading ? want_read : want_write))
        arm(type);
}

void redis_connection::write_now()
{
    // hiredis asks for a write again (add_write) when it could not write everything: the
    // caller then waits for room instead of posting another turn.
    writing = true;
    redisAsyncHandleWrite(ctx);
    writing = false;
}

void redis_connection::on_write_turn()
{
    write_posted = false;
    if (!ctx || !want_write || write_armed)
        return;
    write_now();
    if (ctx && want_write)
        arm(wait_type::wait_write); // the socket's buffer is full: wait for room
}

void redis_connection::add_read(void* data)
{
    of(data).want_read = true;
    of(data).arm(wait_type::wait_read);
}

void redis_connection::del_read(void* data)
{
    of(data).want_read = false;
}

void redis_connection::add_write(void* data)
{
    auto& c = of(data);
    c.want_write = true;
    if (c.writing || c.write_posted || c.write_armed)
        return;
    // Until connect(2) completes, writability is how it says so: wait for it.
    if (!(c.ctx->c.flags & REDIS_CONNECTED))
        return c.arm(wait_type::wait_write);
    // The commands of one loop turn leave together in one write at its end. The socket is
    // almost always writable, and asking epoll first cost two epoll_ctl calls and a wake-up
    // per command (ingest through the bus, bench/README.md).
    c.write_posted = true;
    net::post(c.fd.get_executor(), [self = c.shared_from_this()] { self->on_write_turn(); });
}

void redis_connection::del_write(void* data)
{
    of(data).want_write = false;
}

// hiredis owns the fd and closes it: Asio only lets go of it.
void redis_connection::cleanup(void* data)
{
    auto& c = of(data);
    c.ctx = nullptr;
    c.want_read = c.want_write = false;
    if (c.fd.is_open())
        c.fd.release();
}

} // namespace sse_server
