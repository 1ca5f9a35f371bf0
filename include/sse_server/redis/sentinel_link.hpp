#pragma once

#include "sse_server/base/net.hpp"
#include "sse_server/config/config.hpp"
#include "sse_server/redis/redis_reply.hpp"
#include "sse_server/redis/reply_reader.hpp"

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>


namespace sse_server {

/** One connection to one sentinel: the commands given are written at once, the replies handed
    over as they come, read by hiredis's reader (no I/O of its own). Used for one question (where
    the master is) or to listen (`+switch-master`). Owned by `sentinel_client` and shared with
    the operations in flight, which do nothing once it is closed. Plain TCP: a
    `redis+sentinel://` URL has no TLS form. */
class sentinel_link : public std::enable_shared_from_this<sentinel_link>
{
public:
    struct handlers
    {
        std::function<void(redis_reply reply)> reply; // each reply, in order
        std::function<void(std::string error)> ended; // once, when it fails; never after close()
    };

    sentinel_link(net::io_context& ioc, host_port where, std::string commands, handlers on);
    ~sentinel_link();
    sentinel_link(sentinel_link const&) = delete;
    sentinel_link& operator=(sentinel_link const&) = delete;

    /** Resolves (never blocking), connects, writes the commands and reads; ends with "timeout"
        unless settle() or close() comes within `deadline`. */
    void start(milliseconds deadline);
    /** The deadline no longer applies: a subscription waits on purpose. */
    void settle();
    /** Lets go: closes the socket; nothing is reported after this. */
    void close();

    host_port const& sentinel() const { return sentinel_; }

private:
    void on_resolved(error_code ec, tcp::resolver::results_type const& results);
    void on_connected(error_code ec);
    void read();
    void on_read(error_code ec, std::size_t n);
    void end(std::string error);

    host_port sentinel_;
    std::string out_;
    handlers on_;
    tcp::resolver resolver_;
    tcp::socket socket_;
    net::steady_timer deadline_;
    reply_reader reader_;
    bool closed_ = false;
    std::array<char, 4096> in_{};
};

} // namespace sse_server
