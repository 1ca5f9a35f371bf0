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
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <iterator>

namespace sse_server {

namespace {

constexpr std::size_t read_size = 16 * 1024;
// Answers a pipelining peer has not read yet: past this, its requests wait in its socket.
constexpr std::size_t max_unread_answers = 64 * 1024;
constexpr char const* json_type = "application/json";

std::string_view path_of(std::string_view target)
{
    return target.substr(0, target.find('?'));
}

// Until credentials.hpp has the shared parser: the scheme is case-insensitive, then SP or HTAB.
std::optional<std::string_view> bearer_token(std::string_view header)
{
    constexpr std::string_view scheme = "bearer";
    if (header.size() <= scheme.size() + 1 || !beast::iequals(header.substr(0, scheme.size()), scheme) ||
        (header[scheme.size()] != ' ' && header[scheme.size()] != '\t'))
        return std::nullopt;
    return header.substr(scheme.size() + 1);
}

std::string error_body(std::string_view message)
{
    return nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace);
}

} // namespace

notify_session::notify_session(tcp::socket&& socket, notify_services& services)
    : socket_(std::move(socket)), svc_(services)
{
    error_code ec;
    // A response must not wait for the ACK of the previous one (Nagle).
    socket_.set_option(tcp::no_delay(true), ec);
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
    if (reading_ || closed_)
        return;
    reading_ = true;
    // Between requests this is the idle timeout, counted from the last answer; a request
    // under way keeps the deadline of its first byte, however slowly the rest comes.
    if (!reader_)
        read_deadline_ = clock::now() + svc_.cfg.notify.idle_timeout;
    socket_.async_read_some(
        buffer_.prepare(read_size),
        beast::bind_front_handler(&notify_session::on_read, shared_from_this()));
}

void notify_session::on_read(error_code ec, std::size_t bytes)
{
    reading_ = false;
    if (closed_)
        return;
    if (ec) // end of stream, reset, or closed: a request cut short gets no answer
        return close();
    buffer_.commit(bytes);
    handle_buffered();
}

void notify_session::handle_buffered()
{
    // Every complete request already read is answered before anything is written, as long as
    // the answers waiting for the peer stay small.
    while (!waiting_ && keep_alive_ && !closed_ && buffer_.size() > 0 &&
           output_.size() + writing_.size() < max_unread_answers) {
        if (!reader_) {
            reader_.emplace(svc_.cfg.notify.max_body_bytes);
            continue_sent_ = false;
            token_checked_ = false;
            read_deadline_ = clock::now() + svc_.cfg.notify.idle_timeout;
        }
        auto const ec = reader_->put(buffer_);
        if (reader_->header_done() && refused_unauthorized())
            break;
        if (ec == http::error::need_more) {
            // HTTP clients such as libcurl (PHP, curl) ask before sending a body over 1 KiB
            // and wait a whole second for this answer if it never comes.
            if (reader_->header_done() && !continue_sent_ &&
                beast::iequals(reader_->parser().get()[http::field::expect], "100-continue")) {
                output_ += "HTTP/1.1 100 Continue\r\n\r\n";
                continue_sent_ = true;
            }
            break;
        }
        read_deadline_ = clock::time_point::max();
        received_at_ = clock::now();
        if (ec) {
            refuse_malformed(ec);
            break;
        }
        keep_alive_ = reader_->parser().get().keep_alive();
        handle_request();
        if (!waiting_)
            reader_.reset();
    }
    if (closed_)
        return;
    if (!output_.empty())
        return do_write();
    // A write under way resumes reading when it completes.
    if (!waiting_ && !writing_now_ && keep_alive_)
        do_read();
}

bool notify_session::refused_unauthorized()
{
    // The token is checked as soon as the header is in: a peer without it never gets its
    // body read, let alone buffered.
    if (token_checked_)
        return false;
    token_checked_ = true;
    auto const& req = reader_->parser().get();
    auto const& token = svc_.cfg.notify.token;
    if (token.empty() || req.method() != http::verb::post ||
        path_of(std::string_view(req.target().data(), req.target().size())) != "/notify")
        return false;
    auto const auth = req[http::field::authorization];
    auto const presented = bearer_token(std::string_view(auth.data(), auth.size()));
    if (presented && constant_time_equal(*presented, token))
        return false;
    svc_.stats.notifications.inc("unauthorized");
    // The body is left unread: the connection closes after the answer.
    keep_alive_ = false;
    read_deadline_ = clock::time_point::max();
    reply_error(http::status::unauthorized, "missing or invalid bearer token");
    return true;
}

void notify_session::refuse_malformed(error_code ec)
{
    // What follows on the wire cannot be trusted to be a request: answer, then close.
    keep_alive_ = false;
    if (ec == http::error::body_limit) {
        svc_.stats.notifications.inc("too_large");
        reply_error(http::status::payload_too_large,
                    "body exceeds " + std::to_string(svc_.cfg.notify.max_body_bytes) + " bytes");
    } else if (ec == http::error::header_limit) {
        reply_error(http::status::request_header_fields_too_large,
                    "request header fields too large");
    } else if (ec == http::error::buffer_overflow) {
        reply_error(http::status::bad_request, "chunk size line or trailer too long");
    } else {
        reply_error(http::status::bad_request, "malformed HTTP request");
    }
}

void notify_session::handle_request()
{
    auto const& req = reader_->parser().get();
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
    // notify.token was checked with the header (refused_unauthorized).
    auto const& req = reader_->parser().get();
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
          fmt::format(R"({{"accepted":{},"recipients":{}}})", batch.items.size(), recipients),
          json_type);
}

void notify_session::handle_readyz()
{
    if (svc_.connections.stopping())
        return reply(http::status::service_unavailable, "shutting down",
                     "text/plain; charset=utf-8");
    waiting_ = true;
    svc_.redis.async_ping([self = shared_from_this()](redis_reply r) {
        self->on_readyz(r.type == redis_reply::kind::value, r.text);
    });
}

void notify_session::on_readyz(bool ready, std::string const& reason)
{
    waiting_ = false;
    if (closed_)
        return;
    if (ready)
        reply(http::status::ok, "ready", "text/plain; charset=utf-8");
    else
        reply(http::status::service_unavailable, "redis unavailable: " + reason,
              "text/plain; charset=utf-8");
    reader_.reset();
    handle_buffered();
}

void notify_session::reply_error(http::status status, std::string_view message)
{
    svc_.stats.notify_refused.inc(std::to_string(static_cast<unsigned>(status)));
    reply(status, error_body(message), json_type);
}

void notify_session::reply(http::status status, std::string_view body,
                           std::string_view content_type)
{
    // Written by hand: the responses are few and fixed, and this path runs once per POST.
    bool const header_read = reader_ && reader_->header_done();
    unsigned const version = header_read ? reader_->parser().get().version() : 11;
    keep_alive_ = keep_alive_ && !svc_.connections.stopping();
    auto out = std::back_inserter(output_);
    fmt::format_to(out, "HTTP/{}.{} {} {}\r\nServer: sse-server\r\nContent-Type: {}\r\n",
                   version / 10, version % 10, static_cast<unsigned>(status),
                   std::string_view(http::obsolete_reason(status)), content_type);
    if (status == http::status::method_not_allowed) {
        auto const target = reader_->parser().get().target();
        bool const notify_path =
            path_of(std::string_view(target.data(), target.size())) == "/notify";
        output_ += notify_path ? "Allow: POST\r\n" : "Allow: GET\r\n";
    }
    if (status == http::status::unauthorized)
        output_ += "WWW-Authenticate: Bearer\r\n";
    if (version >= 11 && !keep_alive_)
        output_ += "Connection: close\r\n";
    if (version < 11 && keep_alive_)
        output_ += "Connection: keep-alive\r\n";
    fmt::format_to(out, "Content-Length: {}\r\n\r\n", body.size());
    output_ += body;
}

void notify_session::do_write()
{
    if (writing_now_ || closed_ || output_.empty())
        return;
    writing_now_ = true;
    std::swap(writing_, output_);
    output_.clear();
    write_deadline_ = clock::now() + svc_.cfg.notify.idle_timeout;
    net::async_write(socket_, net::buffer(writing_),
                     beast::bind_front_handler(&notify_session::on_write, shared_from_this()));
}

void notify_session::on_write(error_code ec, std::size_t)
{
    writing_now_ = false;
    write_deadline_ = clock::time_point::max();
    writing_.clear();
    if (closed_)
        return;
    if (ec) {
        spdlog::debug("notify: write: {}", ec.message());
        return close();
    }
    if (!output_.empty())
        return do_write();
    if (!keep_alive_) {
        closed_ = true;
        return lingering_close(socket_, shared_from_this());
    }
    if (!waiting_)
        handle_buffered();
}

void notify_session::shut_down()
{
    // Between requests: close now. Mid-request: the response goes out, then the close.
    keep_alive_ = false;
    if (!writing_now_ && !waiting_)
        close();
}

std::size_t notify_session::abort()
{
    close();
    // A lingering close (after a refusal) still holds the socket: cut it too.
    error_code ignored;
    socket_.close(ignored);
    return 0;
}

void notify_session::check_deadline(clock::time_point now)
{
    // Idle between requests, a request not complete in time, or a peer that does not read
    // its answers: the connection goes.
    if ((now >= read_deadline_ || now >= write_deadline_) && !closed_)
        close();
}

void notify_session::close()
{
    if (closed_)
        return;
    closed_ = true;
    error_code ignored;
    socket_.close(ignored);
}

} // namespace sse_server
