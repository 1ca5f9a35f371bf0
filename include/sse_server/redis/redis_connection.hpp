#pragma once

#include "sse_server/base/net.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <memory>

struct redisAsyncContext;

namespace sse_server {

class redis_client;

/** The hiredis context of one connection attempt and the Asio adapter watching its fd. Owned by
    `redis_client`, and shared with the waits in flight, which check `ctx` before touching
    hiredis: cleanup nulls it when hiredis frees the context. */
struct redis_connection : std::enable_shared_from_this<redis_connection>
{
    redis_connection(net::io_context& ioc, redisAsyncContext* c, redis_client* client);

    /** The connection behind a context's `data` pointer, as hiredis passes it to callbacks. */
    static redis_connection& of(void* data);

    /** Installs the read/write/cleanup hooks: from now on hiredis drives `fd` through Asio. */
    void attach();

    redis_client* owner; // null once the client let go of this connection
    redisAsyncContext* ctx;
    net::posix::stream_descriptor fd;
    int handshake_left = 0; // replies still awaited before the connection is usable

private:
    using wait_type = net::posix::descriptor_base::wait_type;

    void arm(wait_type type);
    void on_ready(wait_type type, error_code ec);
    void write_now();
    void on_write_turn();

    static void add_read(void* data);
    static void del_read(void* data);
    static void add_write(void* data);
    static void del_write(void* data);
    static void cleanup(void* data);

    bool want_read = false;
    bool want_write = false;
    bool read_armed = false;
    bool write_armed = false;
    bool write_posted = false; // a write at the end of this loop turn is queued
    bool writing = false;      // inside redisAsyncHandleWrite
};

} // namespace sse_server
