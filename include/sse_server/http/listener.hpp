#pragma once

#include "sse_server/base/net.hpp"
#include "sse_server/config/config.hpp"

#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <string>

namespace sse_server {

/** One listening socket that hands each accepted connection to a session factory.
    Owned by `server`. Survives file-descriptor exhaustion: on EMFILE and friends it logs,
    backs off and accepts again instead of spinning or dying. A listener may also be told to
    accept only while a condition holds (descriptors to spare): meanwhile new connections wait
    in the kernel's backlog. */
class listener
{
public:
    using session_factory = std::function<void(tcp_socket&&)>;

    /** When the socket starts listening. Until it listens, the kernel refuses connections to
        the port, or, when other sockets share it (SO_REUSEPORT), hands them to those only. */
    enum class listen_from
    {
        construction,
        first_listen // listen(), once the daemon can serve what comes
    };

    /** Binds, and listens unless told to wait; throws std::runtime_error naming `name` and
        the address on failure. With `reuse_port`, the socket is bound with SO_REUSEPORT: other
        processes of the same user that set it too may bind the same address, and the kernel
        spreads new connections over them. */
    listener(net::io_context& ioc, host_port const& where, std::string name,
             session_factory make_session, bool reuse_port = false,
             listen_from when = listen_from::construction);

    /** Listens, if it does not yet; false, logged, when the socket cannot: a socket bound
        without SO_REUSEPORT took the port meanwhile (binding does not hold a port against
        such a socket while nothing listens on it). */
    bool listen();
    /** Accepts; the socket listens (listen()). */
    void run();
    void stop();
    /** Accepts only while `may_accept()` is true; checked before every accept, and again
        every few milliseconds while false. */
    void accept_while(std::function<bool()> may_accept) { may_accept_ = std::move(may_accept); }
    tcp::endpoint local_endpoint() const { return endpoint_; }

private:
    void do_accept();
    void on_accept(error_code ec, tcp_socket socket);
    void on_backoff(error_code ec);

    net::io_context& ioc_;
    tcp::acceptor acceptor_;
    net::steady_timer backoff_;
    std::string name_;
    session_factory make_session_;
    std::function<bool()> may_accept_;
    tcp::endpoint endpoint_;
    bool listening_ = false;
    bool backing_off_ = false;
    bool paused_ = false;
};

} // namespace sse_server
