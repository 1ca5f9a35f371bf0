#pragma once

#include "sse_server/base/net.hpp"
#include "sse_server/config/config.hpp"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>

namespace sse_server {

/** The TLS settings of a client, loaded once: the CA to verify the server with (or the system's)
    and the client certificate of mutual TLS. `error` says why, when loading failed. */
struct redis_tls_context
{
    std::unique_ptr<net::ssl::context> context;
    std::string error;
};

/** Loads what `tls` names into a client context that verifies the server's certificate. The
    name is checked per connection (redis_transport), since it depends on the URL. */
redis_tls_context make_redis_tls_context(redis_tls_config const& tls);

/** The byte stream of one Redis connection: plain TCP, TLS over TCP, or a unix domain socket,
    as the URL's scheme says. Reading and writing look the same for all three; only connecting
    differs. */
class redis_transport
{
public:
    /** A TCP socket, or (with `tls`) a TLS stream over one that will check `server_name`. */
    redis_transport(net::io_context& ioc, net::ssl::context* tls, std::string server_name);
    /** A unix domain socket. */
    explicit redis_transport(net::io_context& ioc);

    /** TCP: connects, then (TLS) shakes hands verifying the certificate and the name. The
        handler gets the reason in words an operator can act on, or "" on success. */
    void async_connect(tcp::endpoint const& to, std::function<void(std::string error)> done);
    /** A unix domain socket: connects to `path`. */
    void async_connect(std::string const& path, std::function<void(std::string error)> done);

    template <class Buffers, class Handler> void async_write(Buffers const& buffers, Handler&& h)
    {
        std::visit([&](auto& s) { net::async_write(s, buffers, std::forward<Handler>(h)); },
                   stream_);
    }

    template <class Buffers, class Handler>
    void async_read_some(Buffers const& buffers, Handler&& h)
    {
        std::visit([&](auto& s) { s.async_read_some(buffers, std::forward<Handler>(h)); },
                   stream_);
    }

    /** Closes the socket at once (no TLS close_notify: the connection is being dropped);
        operations in flight complete with operation_aborted. */
    void close();

    /** What a failed read or write means ("connection lost", or TLS's own reason). */
    std::string describe(error_code ec) const;

private:
    using tls_stream = net::ssl::stream<tcp::socket>;
    using unix_socket = net::local::stream_protocol::socket;

    void handshake(std::function<void(std::string)> done);
    std::string handshake_error(error_code ec);

    std::variant<tcp::socket, tls_stream, unix_socket> stream_;
    std::string server_name_;
};

} // namespace sse_server
