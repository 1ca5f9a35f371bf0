#pragma once

#include "options.hpp"
#include "sse_server/net.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sse_server::bench {

/** Told what the daemon answered; the run implements it. */
class notify_observer
{
public:
    virtual ~notify_observer() = default;
    /** `202` for notifications first .. first+count-1, queued to `recipients` streams. */
    virtual void on_accepted(std::uint64_t first, std::size_t count, std::uint64_t recipients) = 0;
    /** Anything else: the run cannot go on. */
    virtual void on_notify_failed(std::string const& why) = 0;
};

/** Posts the run's notifications on keep-alive connections to the notification port, one
    request in flight per connection, paced to `--rate` or as fast as the daemon answers.
    Each notification carries its sequence number and the moment its POST was written.
    Owned by the run, which stops it and lets io_context::run() return before destroying it. */
class notifier
{
public:
    notifier(net::io_context& ioc, options const& o, notify_observer& observer);

    void start(tcp::endpoint const& to);
    void stop();

    /** Notifications written so far. */
    std::uint64_t sent() const { return next_seq_; }
    std::uint64_t posts() const { return posts_; }
    /** When the first POST was written. */
    std::chrono::steady_clock::time_point started_at() const { return start_; }

private:
    /** One keep-alive connection and its request in flight. */
    struct poster
    {
        explicit poster(net::io_context& ioc) : socket(ioc) {}
        tcp::socket socket;
        beast::flat_buffer buffer;
        std::optional<http::response_parser<http::string_body>> parser;
        std::string request;
        std::string body;
        std::uint64_t first = 0;
        std::size_t count = 0;
        bool ready = false;
        bool busy = false;
    };

    void on_connect(poster& p, error_code ec);
    void pump();
    void post(poster& p);
    void on_written(poster& p, error_code ec);
    void on_response(poster& p, error_code ec);
    void fail(std::string const& why);

    options const& opts_;
    notify_observer& observer_;
    std::vector<std::unique_ptr<poster>> posters_;
    net::steady_timer timer_;
    std::string host_header_;
    bool timer_armed_ = false;
    bool stopped_ = false;
    std::size_t connected_ = 0;
    std::uint64_t next_seq_ = 0;
    std::uint64_t posts_ = 0;
    std::chrono::steady_clock::time_point start_{};
};

} // namespace sse_server::bench
