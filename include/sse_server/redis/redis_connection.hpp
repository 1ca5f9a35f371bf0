#pragma once

#include "sse_server/base/net.hpp"
#include "sse_server/redis/redis_reply.hpp"
#include "sse_server/redis/reply_reader.hpp"
#include "sse_server/redis/redis_transport.hpp"

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>


namespace sse_server {

class redis_client;

/** One connection attempt: its byte stream, what is to be written, and hiredis's reader turning
    what is read into replies (hiredis does no I/O here). Owned by `redis_client` and shared with
    the operations in flight, which do nothing once `owner` is null (the client let go). */
struct redis_connection : std::enable_shared_from_this<redis_connection>
{
    /** What the next reply answers, in the order the commands were sent. */
    struct awaited
    {
        std::uint64_t id = 0;            // the command's, or 0 for a handshake step
        char const* step = nullptr;      // a handshake step ("AUTH", "SELECT", "ROLE", "PING")
        bool subscribe = false;          // SUBSCRIBE: its channel's messages follow
    };

    redis_connection(net::io_context& ioc, redis_client* client, redis_transport stream);
    ~redis_connection();
    redis_connection(redis_connection const&) = delete;
    redis_connection& operator=(redis_connection const&) = delete;

    /** Connects to `to` (TCP or TLS) or to a unix socket `path`; then writes what was queued
        meanwhile and reads. The owner hears of a failure through connect_failed. */
    void connect(tcp::endpoint const& to);
    void connect(std::string const& path);

    /** Queues one encoded command (already appended to `out`): it leaves with every other
        command of this loop turn in one write at the turn's end. */
    void flush_soon();

    /** Lets go: closes the socket; what is in flight completes and does nothing. */
    void close();

    redis_client* owner; // null once the client let go of this connection
    std::string out;     // commands queued, not yet handed to a write
    std::deque<awaited> awaiting;
    std::map<std::string, std::uint64_t, std::less<>> channels; // subscribed: channel -> id
    int handshake_left = 0; // replies still awaited before the connection is usable

private:
    void on_connected(std::string const& error);
    void write();
    void read();
    void on_read(error_code ec, std::size_t n);
    void lost(error_code ec);

    net::io_context& ioc_;
    redis_transport transport_;
    reply_reader reader_;
    std::string writing_; // the bytes of the write in flight
    bool open_ = false;          // connected (and TLS handshake done): writes may start
    bool write_posted_ = false;  // a write at the end of this loop turn is queued
    bool write_in_flight_ = false;
    std::array<char, 16384> in_{};
};

} // namespace sse_server
