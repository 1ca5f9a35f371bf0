#include "sse_server/http/lingering_close.hpp"

#include <boost/asio/steady_timer.hpp>

#include <array>

namespace sse_server {

namespace {

// Refused connections are few: this one may have a timer of its own.
struct linger_state
{
    linger_state(tcp_socket& s, std::shared_ptr<void> o)
        : socket(s), owner(std::move(o)), timer(s.get_executor())
    {
    }

    tcp_socket& socket;
    std::shared_ptr<void> owner;
    net::steady_timer timer;
    std::array<char, 1024> discard{};
};

void discard_until_closed(std::shared_ptr<linger_state> s)
{
    auto& socket = s->socket;
    auto buffer = net::buffer(s->discard);
    socket.async_read_some(buffer, [s = std::move(s)](error_code ec, std::size_t) mutable {
        if (ec) {
            s->timer.cancel();
            error_code ignored;
            s->socket.close(ignored);
            return;
        }
        discard_until_closed(std::move(s));
    });
}

} // namespace

void lingering_close(tcp_socket& socket, std::shared_ptr<void> owner,
                     std::chrono::milliseconds timeout)
{
    error_code ignored;
    socket.shutdown(tcp_socket::shutdown_send, ignored);
    auto state = std::make_shared<linger_state>(socket, std::move(owner));
    state->timer.expires_after(timeout);
    state->timer.async_wait([weak = std::weak_ptr<linger_state>(state)](error_code ec) {
        auto s = weak.lock();
        if (ec || !s)
            return;
        error_code ignored_close;
        s->socket.close(ignored_close); // the pending read ends, and with it the state
    });
    discard_until_closed(std::move(state));
}

} // namespace sse_server
