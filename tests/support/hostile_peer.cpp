#include "support/hostile_peer.hpp"

#include "support/daemon_process.hpp"

#include <gtest/gtest.h>
#include <poll.h>

#include <string>

namespace sse_server::test {

using clock = std::chrono::steady_clock;

void expect_bounded_growth(daemon_process const& d, long before)
{
    if (rss_is_meaningful) {
        EXPECT_LT(d.rss_kib() - before, 16 * 1024) << "KiB of growth";
    }
}

std::size_t flood(tcp_connection& c, std::string_view pattern, std::size_t total,
                  milliseconds limit)
{
    auto const deadline = clock::now() + limit;
    std::size_t sent = 0;
    while (sent < total && clock::now() < deadline) {
        auto const n = c.send_some(pattern.substr(0, std::min(pattern.size(), total - sent)));
        if (n > 0) {
            sent += n;
            continue;
        }
        pollfd p{c.fd(), POLLOUT, 0};
        if (::poll(&p, 1, 500) <= 0 || (p.revents & (POLLERR | POLLHUP)) != 0)
            break;
    }
    return sent;
}

int response_status(tcp_connection& c, milliseconds timeout)
{
    std::string in;
    auto const deadline = clock::now() + timeout;
    while (in.find("\r\n\r\n") == std::string::npos && clock::now() < deadline) {
        if (c.read_some(in, 200ms) == 0)
            break;
    }
    if (in.rfind("HTTP/1.", 0) != 0 || in.size() < 12)
        return 0;
    return std::stoi(in.substr(9, 3));
}

int stream_status_once_admitted(std::uint16_t clients_port, std::string const& cookie,
                                milliseconds limit)
{
    auto const deadline = clock::now() + limit;
    int status = 0;
    while (status != 200 && clock::now() < deadline) {
        try {
            status = sse_stream(clients_port, "/events", {{"Cookie", cookie}}).status();
        } catch (std::exception const&) {
            status = 0;
        }
    }
    return status;
}

} // namespace sse_server::test
