#include "sse_server/lingering_close.hpp"

#include <array>

namespace sse_server {

namespace {

struct linger_state
{
    beast::tcp_stream& stream;
    std::shared_ptr<void> owner;
    std::array<char, 1024> discard{};
};

void discard_until_closed(std::shared_ptr<linger_state> s)
{
    auto& stream = s->stream;
    auto buffer = net::buffer(s->discard);
    stream.async_read_some(buffer, [s = std::move(s)](error_code ec, std::size_t) mutable {
        if (ec)
            return s->stream.close();
        discard_until_closed(std::move(s));
    });
}

} // namespace

void lingering_close(beast::tcp_stream& stream, std::shared_ptr<void> owner,
                     std::chrono::milliseconds timeout)
{
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.expires_after(timeout);
    discard_until_closed(std::make_shared<linger_state>(linger_state{stream, std::move(owner)}));
}

} // namespace sse_server
