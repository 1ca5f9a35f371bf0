#pragma once

#include "sse_server/base/ip_network.hpp"
#include "sse_server/base/net.hpp"
#include "sse_server/http/connection_manager.hpp"
#include "sse_server/stream/client_services.hpp"
#include "sse_server/stream/client_stream.hpp"
#include "sse_server/stream/flush_scheduler.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace sse_server {

/** Carries one client_stream over the HTTP/1 connection it was asked on: writes its queue in
    gathered, chunked batches (plain for HTTP/1.0) without blocking, waiting for the socket
    only when it is full; watches for the client hanging up; closes the connection when a
    write waits longer than client.send_timeout. The stream lives inside it: one allocation
    per stream, owned by its pending operations (shared_from_this).

    Thousands of these live at once, so a transport keeps only what it needs: no timer (the
    server's sweep checks the deadlines), no read buffer (an SSE client sends nothing after
    its request). */
class stream_transport final : public connection,
                               public stream_carrier,
                               public std::enable_shared_from_this<stream_transport>
{
public:
    /** `socket` carries a request that was answered by nothing yet; `head` is the response
        head, written with the first batch; `version` is the request's HTTP version;
        `client` is who the access log names. */
    stream_transport(tcp_socket&& socket, client_services& services, std::string head,
                     unsigned version, ip_address client, stream_start start);
    ~stream_transport() override;

    void run();

    // stream_carrier
    void wake() override;
    void cut(char const* reason) override;
    std::shared_ptr<void> hold() override { return shared_from_this(); }
    void flush() override;

    // connection
    void shut_down() override;
    std::size_t abort() override;
    void check_deadline(clock::time_point now) override;

private:
    void do_write();
    void do_wait_writable();
    void on_writable(error_code ec);
    void do_watch_hangup();
    void on_hangup(error_code ec);
    void close(char const* reason);
    void fail(error_code ec, char const* what);
    void log_end(char const* reason);

    tcp_socket socket_;
    client_stream stream_;
    std::unique_ptr<std::string const> response_head_; // freed once written
    ip_address client_;
    clock::time_point deadline_ = clock::time_point::max(); // of the write waiting for room
    std::uint64_t bytes_sent_ = 0;
    bool flush_requested_ = false;
    bool waiting_writable_ = false;
    bool closed_ = false;
};

} // namespace sse_server
