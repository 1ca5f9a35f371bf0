#include "sse_server/notify_session.hpp"

#include "sse_server/config.hpp"
#include "sse_server/credentials.hpp"
#include "sse_server/lingering_close.hpp"
#include "sse_server/metrics.hpp"
#include "sse_server/notification.hpp"
#include "sse_server/redis_client.hpp"
#include "sse_server/registry.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace sse_server {

namespace {

constexpr std::size_t header_limit = 8 * 1024;
constexpr char const* json_type = "application/json";

std::string_view path_of(std::string_view target)
{
    return target.substr(0, target.find('?'));
}

std::string error_body(std::string_view message)
{
    return nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace);
}

} // namespace

notify_session::notify_session(tcp::socket&& socket, notify_services& services)
    : stream_(std::move(socket)), svc_(services)
{
    svc_.connections.add(*this);
}

notify_session::~notify_session()
{
    svc_.connections.remove(*this);
}

void notify_session::run()
{
    do_read();
}

void notify_session::do_read()
{
    parser_.emplace();
    parser_->header_limit(header_limit);
    parser_->body_limit(svc_.cfg.notify.max_body_bytes);
    stream_.expires_after(svc_.cfg.notify.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&notify_session::on_read_header, shared_from_this()));
}

void notify_session::on_read_header(error_code ec, std::size_t bytes)
{
    if (ec || parser_->is_done())
        return on_read(ec, bytes);
    // HTTP clients such as libcurl (PHP, curl) ask before sending a body over 1 KiB and wait
    // a whole second for this answer if it never comes.
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
        static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
        return net::async_write(
            stream_, net::buffer(go_on.data(), go_on.size()),
            [self = shared_from_this()](error_code wec, std::size_t) {
                if (wec)
                    return self->close();
                self->do_read_body();
            });
    }
    do_read_body();
}

void notify_session::do_read_body()
{
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&notify_session::on_read, shared_from_this()));
}

void notify_session::on_read(error_code ec, std::size_t)
{
    if (closed_)
        return;
    busy_ = true;
    received_at_ = std::chrono::steady_clock::now();
    if (ec == http::error::body_limit) {
        // The rest of the body is still on the wire: answer, then close.
        keep_alive_ = false;
        svc_.stats.notifications.inc("too_large");
        return reply_error(http::status::payload_too_large,
                           "body exceeds " + std::to_string(svc_.cfg.notify.max_body_bytes) +
                               " bytes");
    }
    if (ec == http::error::header_limit) {
        keep_alive_ = false;
        return reply_error(http::status::request_header_fields_too_large,
                           "request header fields too large");
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset)
        return close();
    if (ec) {
        keep_alive_ = false;
        return reply_error(http::status::bad_request, "malformed HTTP request");
    }
    keep_alive_ = parser_->get().keep_alive();
    handle_request();
}

void notify_session::handle_request()
{
    auto const& req = parser_->get();
    auto const path = path_of(std::string_view(req.target().data(), req.target().size()));
    auto const method = req.method();

    if (path == "/notify") {
        if (method != http::verb::post)
            return reply_error(http::status::method_not_allowed, "use POST");
        return handle_notify();
    }
    if (path != "/healthz" && path != "/readyz" && path != "/metrics")
        return reply_error(http::status::not_found, "no such endpoint");
    if (method != http::verb::get)
        return reply_error(http::status::method_not_allowed, "use GET");
    if (path == "/healthz")
        return reply(http::status::ok, "ok", "text/plain; charset=utf-8");
    if (path == "/readyz")
        return handle_readyz();
    reply(http::status::ok, svc_.stats.render(), "text/plain; version=0.0.4; charset=utf-8");
}

void notify_session::handle_notify()
{
    auto const& req = parser_->get();
    auto const& token = svc_.cfg.notify.token;
    if (!token.empty()) {
        auto const auth = req[http::field::authorization];
        std::string_view const presented(auth.data(), auth.size());
        constexpr std::string_view scheme = "Bearer ";
        bool const ok = presented.size() > scheme.size() &&
                        presented.substr(0, scheme.size()) == scheme &&
                        constant_time_equal(presented.substr(scheme.size()), token);
        if (!ok) {
            svc_.stats.notifications.inc("unauthorized");
            return reply_error(http::status::unauthorized, "missing or invalid bearer token");
        }
    }

    auto batch = parse_notifications(req.body());
    if (batch.error) {
        svc_.stats.notifications.inc("invalid");
        spdlog::debug("notify: refused: {}", *batch.error);
        return reply_error(http::status::bad_request, *batch.error);
    }

    std::size_t recipients = 0;
    for (auto const& n : batch.items) {
        auto const result = svc_.subscriptions.publish(n);
        recipients += result.recipients;
        svc_.stats.fanout_seconds.observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - received_at_)
                .count());
    }
    svc_.stats.events_delivered += recipients;
    svc_.stats.notifications.inc("accepted", batch.items.size());
    reply(http::status::accepted,
          nlohmann::json{{"accepted", batch.items.size()}, {"recipients", recipients}}.dump(),
          json_type);
}

void notify_session::handle_readyz()
{
    if (svc_.connections.stopping())
        return reply(http::status::service_unavailable, "shutting down",
                     "text/plain; charset=utf-8");
    svc_.redis.async_ping([self = shared_from_this()](redis_reply r) {
        if (self->closed_)
            return;
        if (r.type == redis_reply::kind::value)
            return self->reply(http::status::ok, "ready", "text/plain; charset=utf-8");
        self->reply(http::status::service_unavailable, "redis unavailable: " + r.text,
                    "text/plain; charset=utf-8");
    });
}

void notify_session::reply_error(http::status status, std::string message)
{
    svc_.stats.notify_refused.inc(std::to_string(static_cast<unsigned>(status)));
    reply(status, error_body(message), json_type);
}

void notify_session::reply(http::status status, std::string body, char const* content_type)
{
    auto const version = parser_->get().version();
    response_.emplace(status, version ? version : 11);
    response_->set(http::field::server, "sse-server");
    response_->set(http::field::content_type, content_type);
    if (status == http::status::method_not_allowed)
        response_->set(http::field::allow,
                       path_of(parser_->get().target()) == "/notify" ? "POST" : "GET");
    if (status == http::status::unauthorized)
        response_->set(http::field::www_authenticate, "Bearer");
    response_->body() = std::move(body);
    response_->keep_alive(keep_alive_ && !svc_.connections.stopping());
    response_->prepare_payload();
    do_write();
}

void notify_session::do_write()
{
    stream_.expires_after(svc_.cfg.notify.idle_timeout);
    http::async_write(stream_, *response_,
                      beast::bind_front_handler(&notify_session::on_write, shared_from_this()));
}

void notify_session::on_write(error_code ec, std::size_t)
{
    busy_ = false;
    if (ec) {
        if (ec != net::error::operation_aborted)
            spdlog::debug("notify: write: {}", ec.message());
        return close();
    }
    if (!response_->keep_alive()) {
        closed_ = true;
        return lingering_close(stream_.socket(), shared_from_this());
    }
    response_.reset();
    do_read();
}

void notify_session::shut_down()
{
    // Between requests: close now. Mid-request: the response goes out, then the close.
    if (!busy_)
        close();
}

std::size_t notify_session::abort()
{
    close();
    return 0;
}

void notify_session::close()
{
    if (closed_)
        return;
    closed_ = true;
    stream_.close();
}

} // namespace sse_server
