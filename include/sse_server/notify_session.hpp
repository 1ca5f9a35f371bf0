#pragma once

#include "sse_server/connection_manager.hpp"
#include "sse_server/net.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace sse_server {

struct config;
struct metrics;
class registry;
class redis_client;

/** What every notification-port session uses; owned by `server`. */
struct notify_services
{
    config const& cfg;
    registry& subscriptions;
    redis_client& redis;
    metrics& stats;
    connection_manager& connections;
};

/** One connection of the API to the notification port: keep-alive HTTP requests for
    POST /notify, /healthz, /readyz and /metrics. Owned by its pending operations. */
class notify_session : public connection, public std::enable_shared_from_this<notify_session>
{
public:
    notify_session(tcp::socket&& socket, notify_services& services);
    ~notify_session() override;

    void run();

    // connection
    void shut_down() override;
    std::size_t abort() override;

private:
    using response = http::response<http::string_body>;

    void do_read();
    void on_read_header(error_code ec, std::size_t bytes);
    void do_read_body();
    void on_read(error_code ec, std::size_t bytes);
    void handle_request();
    void handle_notify();
    void handle_readyz();
    void reply(http::status status, std::string body, char const* content_type);
    void reply_error(http::status status, std::string message);
    void do_write();
    void on_write(error_code ec, std::size_t bytes);
    void close();

    beast::tcp_stream stream_;
    notify_services& svc_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::optional<response> response_;
    std::chrono::steady_clock::time_point received_at_;
    bool busy_ = false;       // between a complete request and its response written
    bool keep_alive_ = true;  // false once the connection must close after the response
    bool closed_ = false;
};

} // namespace sse_server
