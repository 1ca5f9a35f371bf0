#pragma once

#include "sse_server/base/net.hpp"
#include "sse_server/http/connection_manager.hpp"
#include "sse_server/http/request_reader.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <limits>
#include <memory>
#include <optional>
#include <string>

namespace sse_server {

struct config;
struct notify_answer;
class notify_handler;

/** What every session of one port (notification or metrics) uses; owned by `server`. */
struct notify_services
{
    config const& cfg;
    notify_handler& handler;
    connection_manager& connections;
    std::size_t open = 0; // sessions of this port now
    std::size_t max_open = std::numeric_limits<std::size_t>::max(); // the port's cap
};

/** One connection of the API to the notification port: keep-alive HTTP requests for
    POST /notify, /healthz, /readyz and /metrics. Owned by its pending operations.

    Pipelined requests are answered together: every complete request already read is handled
    before anything is written, and their responses leave in one write; a peer that does not
    read its answers is not read from while more than 64 KiB of them wait. The idle timeout is
    a deadline checked by the server's sweep, not a timer re-armed per request: it runs from
    the last answer while idle, and from a request's first byte while it is being sent. */
class notify_session : public connection, public std::enable_shared_from_this<notify_session>
{
public:
    /** Serves a connection just accepted, unless its port already holds its cap: then it is
        answered 503 and closed at once, without a session. */
    static void start(tcp_socket&& socket, notify_services& services);

    notify_session(tcp_socket&& socket, notify_services& services);
    ~notify_session() override;

    void run();

    // connection
    void shut_down() override;
    std::size_t abort() override;
    void check_deadline(clock::time_point now) override;

private:
    using reader = request_reader<http::string_body>;

    void do_read();
    void on_read(error_code ec, std::size_t bytes);
    void handle_buffered();
    bool refused_from_header();
    void refuse_malformed(error_code ec);
    void handle_request();
    void on_answer(notify_answer const& answer);
    void reply(notify_answer const& answer);
    void do_write();
    void on_write(error_code ec, std::size_t bytes);
    void close();

    tcp_socket socket_;
    notify_services& svc_;
    beast::flat_buffer buffer_;
    std::optional<reader> reader_; // the request being read or answered
    std::string output_;  // responses not yet written
    std::string writing_; // responses being written
    clock::time_point read_deadline_ = clock::time_point::max();  // idle, or request incomplete
    clock::time_point write_deadline_ = clock::time_point::max(); // answers not taken
    clock::time_point received_at_;
    bool reading_ = false;
    bool writing_now_ = false;
    bool waiting_ = false;          // the answer comes later (Redis, the bus)
    bool continue_sent_ = false;    // `100 Continue` answered for the request being read
    bool header_checked_ = false;   // the request being read passed check_header()
    bool keep_alive_ = true;        // false once the connection must close after the response
    bool closed_ = false;
};

} // namespace sse_server
