#include "sse_server/redis_connection.hpp"

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
        redisAsyncHandleWrite(ctx);
    // hiredis may have freed the context in there (cleanup then nulled ctx).
    if (ctx && (reading ? want_read : want_write))
        arm(type);
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
    of(data).want_write = true;
    of(data).arm(wait_type::wait_write);
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
