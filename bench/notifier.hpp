#pragma once

#include "audience_plan.hpp"
#include "options.hpp"
#include "response_reader.hpp"
#include "routing.hpp"
#include "sse_server/base/net.hpp"

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sse_server::bench {

/** Told what the server answered; the run implements it. */
class notify_observer
{
public:
    virtual ~notify_observer() = default;
    /** Notifications first .. first+count-1 were accepted; sse-server also says how many
        streams it queued them to (`recipients`), Nchan does not. */
    virtual void on_accepted(std::uint64_t first, std::size_t count,
                             std::optional<std::uint64_t> recipients) = 0;
    /** Anything else: the run cannot go on. */
    virtual void on_notify_failed(std::string const& why) = 0;
};

/** Posts the run's notifications on keep-alive connections, up to `--pipeline` requests in
    flight on each, paced to `--rate` or as fast as the server answers. Each notification
    carries its sequence number and the moment its POST was written. Owned by the run, which
    stops it and lets io_context::run() return before destroying it. */
class notifier
{
public:
    notifier(net::io_context& ioc, options const& o, router const& routes,
             audience_plan const& audience, notify_observer& observer);

    /** Connects every poster from `source`, then starts posting. */
    void start(tcp::endpoint const& to, net::ip::address const& source);
    void stop();

    /** Notifications written so far. */
    std::uint64_t sent() const { return next_seq_ - opts_.post_from; }
    std::uint64_t posts() const { return posts_; }
    /** When the first POST was written. */
    std::chrono::steady_clock::time_point started_at() const { return start_; }

private:
    /** A request written and not yet answered. */
    struct in_flight
    {
        std::uint64_t first = 0;
        std::size_t count = 0;
    };

    /** One keep-alive connection and its requests in flight, answered in order. */
    struct poster
    {
        explicit poster(net::io_context& ioc) : socket(ioc) {}
        tcp::socket socket;
        response_reader reader;
        std::string out;     // requests being written
        std::string pending; // requests built while a write was in progress
        std::deque<in_flight> waiting;
        bool ready = false;
        bool writing = false;
    };

    void on_connect(poster& p, error_code ec);
    void do_read(poster& p);
    void on_read(poster& p, error_code ec, std::size_t n);
    bool on_response(poster& p, http_response const& res);
    void pump();
    bool due_now();
    void build(poster& p);
    void do_write(poster& p);
    void fail(std::string const& why);

    options const& opts_;
    router const& routes_;
    audience_plan const& audience_;
    notify_observer& observer_;
    std::vector<std::unique_ptr<poster>> posters_;
    net::steady_timer timer_;
    std::string host_header_;
    std::string body_;
    bool timer_armed_ = false;
    bool stopped_ = false;
    std::size_t connected_ = 0;
    std::size_t next_poster_ = 0;
    std::uint64_t next_seq_ = 0;
    std::uint64_t posts_ = 0;
    std::chrono::steady_clock::time_point start_{};
};

} // namespace sse_server::bench
