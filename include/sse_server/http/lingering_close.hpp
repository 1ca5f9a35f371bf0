#pragma once

#include "sse_server/base/net.hpp"

#include <chrono>
#include <memory>

namespace sse_server {

/** Sends FIN after a final response, then reads and discards until the peer closes or
    `timeout` passes, then closes. Closing with unread request bytes would make the kernel
    reset the connection, and the reset can destroy the response before the peer reads it
    (a 413 or 431 sent while the client is still sending). `owner` keeps the socket alive. */
void lingering_close(tcp_socket& socket, std::shared_ptr<void> owner,
                     std::chrono::milliseconds timeout = std::chrono::seconds(2));

} // namespace sse_server
