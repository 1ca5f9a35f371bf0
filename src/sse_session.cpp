#include "sse_server/sse_session.hpp"

#include "sse_server/config.hpp"
#include "sse_server/lingering_close.hpp"
#include "sse_server/metrics.hpp"
#include "sse_server/sse_frame.hpp"

#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <sstream>

namespace sse_server {

namespace {

// Bounds one gathered write: asio hands at most this many buffers to one writev anyway.
constexpr std::size_t max_frames_per_write = 60;
constexpr std::size_t header_limit = 8 * 1024;

std::string random_origin()
{
    // UUID v4: 122 random bits.
    std::random_device rd;
    std::array<unsigned char, 16> b{};
    for (std::size_t i = 0; i < b.size(); i += 4) {
        auto const r = rd();
        for (std::size_t j = 0; j < 4; ++j)
            b[i + j] = static_cast<unsigned char>(r >> (8 * j));
    }
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    return fmt::format("{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
                       "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                       b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                       b[12], b[13], b[14], b[15]);
}

template <class Name>
std::optional<std::string_view> header(http::request<http::empty_body> const& req, Name name)
{
    auto it = req.find(name);
    if (it == req.end())
        return std::nullopt;
    return std::string_view(it->value().data(), it->value().size());
}

std::string retry_after_seconds(milliseconds retry)
{
    return std::to_string(std::max<long long>(1, (retry.count() + 999) / 1000));
}

} // namespace

sse_session::sse_session(tcp::socket&& socket, client_services& services)
    : stream_(std::move(socket)), svc_(services)
{
    error_code ec;
    peer_ = stream_.socket().remote_endpoint(ec);
    svc_.connections.add(*this);
}

sse_session::~sse_session()
{
    if (subscribed_) {
        svc_.subscriptions.unsubscribe(*this);
        --svc_.stats.connections;
        svc_.stats.connections_closed.inc(close_reason_ ? close_reason_ : "client_gone");
    }
    svc_.connections.remove(*this);
}

void sse_session::run()
{
    do_read_request();
}

void sse_session::do_read_request()
{
    parser_.emplace();
    parser_->header_limit(header_limit);
    // A slow or silent client (slowloris) loses its connection after header_timeout.
    stream_.expires_after(svc_.cfg.client.header_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&sse_session::on_read_request, shared_from_this()));
}

void sse_session::on_read_request(error_code ec, std::size_t)
{
    if (state_ == state::closed)
        return;
    if (ec == http::error::header_limit)
        return refuse(http::status::request_header_fields_too_large,
                      "request header fields too large");
    if (ec == http::error::unexpected_body)
        return refuse(http::status::bad_request, "a stream request has no body");
    if (ec == beast::error::timeout) {
        svc_.stats.client_refused.inc("timeout");
        spdlog::debug("client {}: no complete request within the header timeout", fmt::streamed(peer_));
        return close(nullptr);
    }
    if (ec == http::error::end_of_stream || ec == net::error::connection_reset)
        return close(nullptr);
    if (ec)
        return refuse(http::status::bad_request, "malformed request");

    stream_.expires_never();
    auto const& req = parser_->get();
    version_ = req.version();
    chunked_ = version_ >= 11;
    if (auto origin = header(req, http::field::origin)) {
        auto const& allowed = svc_.cfg.client.cors_origins;
        if (std::find(allowed.begin(), allowed.end(), *origin) != allowed.end())
            cors_origin_ = std::string(*origin);
    }

    auto parsed = parse_stream_target(std::string_view(req.target().data(), req.target().size()),
                                      svc_.cfg.limits.max_subscriptions);
    if (parsed.request.path != svc_.cfg.client.path)
        return refuse(http::status::not_found, "not found");
    if (req.method() == http::verb::options) {
        // CORS preflight, for polyfills that send Authorization or Last-Event-ID headers.
        http::response<http::string_body> res{http::status::no_content, version_};
        add_cors_headers(res);
        if (!cors_origin_.empty()) {
            res.set(http::field::access_control_allow_methods, "GET");
            res.set(http::field::access_control_allow_headers,
                    "Authorization, X-API-Key, Last-Event-ID, Cache-Control");
            res.set(http::field::access_control_max_age, "600");
        }
        return respond(std::move(res));
    }
    if (req.method() != http::verb::get)
        return refuse(http::status::method_not_allowed, "method not allowed");
    if (parsed.error)
        return refuse(http::status::bad_request, *parsed.error);
    request_ = std::move(parsed.request);

    if (svc_.connections.stopping())
        return refuse(http::status::service_unavailable, "server shutting down");
    if (svc_.subscriptions.size() >= svc_.cfg.limits.max_connections)
        return refuse(http::status::too_many_requests, "too many connections");

    credential_sources sources;
    sources.authorization = header(req, http::field::authorization);
    sources.api_key_header = header(req, "X-API-Key");
    if (request_.api_key)
        sources.api_key_query = *request_.api_key;
    for (auto [it, end] = req.equal_range(http::field::cookie); it != end; ++it)
        sources.cookie_headers.emplace_back(it->value().data(), it->value().size());
    auto extracted = extract_credential(sources, svc_.cfg.auth);
    if (!extracted.found) {
        svc_.stats.auth.inc("unauthorized");
        return refuse(http::status::unauthorized, extracted.refusal);
    }
    credential_ = std::move(*extracted.found);

    state_ = state::authenticating;
    svc_.auth.async_authenticate(
        credential_, beast::bind_front_handler(&sse_session::on_authenticated, shared_from_this()));
}

void sse_session::on_authenticated(auth_result result)
{
    if (state_ != state::authenticating)
        return;
    if (svc_.connections.stopping())
        return refuse(http::status::service_unavailable, "server shutting down");
    switch (result.result) {
    case auth_result::outcome::unavailable:
        svc_.stats.auth.inc("unavailable");
        spdlog::warn("client {}: authentication unavailable: {}", fmt::streamed(peer_), result.reason);
        return refuse(http::status::service_unavailable, "authentication unavailable");
    case auth_result::outcome::unauthorized:
        svc_.stats.auth.inc("unauthorized");
        spdlog::debug("client {}: unauthorized: {}", fmt::streamed(peer_), result.reason);
        return refuse(http::status::unauthorized, result.reason);
    case auth_result::outcome::ok:
        break;
    }
    svc_.stats.auth.inc("ok");
    user_id_ = std::move(result.user_id);
    if (svc_.subscriptions.size() >= svc_.cfg.limits.max_connections)
        return refuse(http::status::too_many_requests, "too many connections");
    if (svc_.subscriptions.connections_of(user_id_) >= svc_.cfg.limits.max_connections_per_user)
        return refuse(http::status::too_many_requests, "too many connections for this user");
    start_stream();
}

void sse_session::start_stream()
{
    http::response<http::empty_body> res{http::status::ok, version_};
    res.set(http::field::server, "sse-server");
    res.set(http::field::content_type, "text/event-stream; charset=utf-8");
    res.set(http::field::cache_control, "no-cache, no-transform");
    res.set("X-Accel-Buffering", "no");
    add_cors_headers(res);
    if (chunked_)
        res.chunked(true);
    else
        res.keep_alive(false);
    std::ostringstream head;
    head << res.base();
    response_header_ = std::move(head).str();

    // Resume (SPEC §2.5): the browser's Last-Event-ID header, or lastEventId for polyfills.
    auto const& req = parser_->get();
    std::optional<std::string_view> last_id = header(req, "Last-Event-ID");
    if (!last_id && request_.last_event_id)
        last_id = *request_.last_event_id;
    std::optional<event_id> resume;
    if (last_id) {
        resume = svc_.subscriptions.resume_point(*last_id);
        svc_.stats.replay.inc(resume ? "replayed" : "resync");
    }
    // The greeting carries the position the stream is complete from, so that a client that
    // drops before its first event still resumes without a gap.
    auto const newest = svc_.subscriptions.newest();
    auto const position = resume ? *resume : newest;

    auto const origin = request_.origin ? *request_.origin : random_origin();
    nlohmann::ordered_json hello;
    hello["origin"] = origin;
    hello["user"] = user_id_;
    hello["events"] = request_.events;
    // User ids come from Redis and may hold any bytes: replace invalid UTF-8, never throw.
    auto const data = hello.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    auto greeting = format_retry(svc_.cfg.client.retry) +
                    *format_event(position.to_string(), "connected", data);
    if (last_id && !resume)
        greeting += *format_event("", "resync", R"({"reason":"history-lost"})");

    // The request is no longer needed: a long-lived stream keeps only what it uses.
    parser_.reset();
    buffer_ = beast::flat_buffer{};

    // From here on every published frame is queued behind the greeting, in order.
    state_ = state::streaming;
    svc_.subscriptions.subscribe(*this);
    subscribed_ = true;
    ++svc_.stats.connections;
    spdlog::debug("client {}: stream open for user {} ({} events)", fmt::streamed(peer_),
                  user_id_, request_.events.size());

    catching_up_ = resume && *resume < newest;
    cursor_ = position;
    enqueue(std::make_shared<std::string const>(std::move(greeting)));
    do_watch_hangup();
}

void sse_session::send(frame_ptr const& frame)
{
    if (state_ != state::streaming)
        return;
    wrote_since_tick_ = true;
    if (catching_up_)
        return; // the replay buffer holds it; it comes in order once the backlog is written
    // A client that cannot keep up is closed, not buffered without bound; it resumes from
    // the replay buffer when it reconnects. One event always fits into an empty queue.
    if (pending_bytes_ > 0 &&
        pending_bytes_ + frame->size() > svc_.cfg.client.max_pending_bytes) {
        ++svc_.stats.slow_consumer_closes;
        spdlog::warn("client {}: closed as too slow ({} bytes pending)", fmt::streamed(peer_),
                     pending_bytes_);
        return close("slow_consumer");
    }
    enqueue(frame);
}

void sse_session::keep_alive(frame_ptr const& comment)
{
    if (state_ == state::streaming && !wrote_since_tick_ && queue_.empty())
        enqueue(comment);
    wrote_since_tick_ = false;
}

void sse_session::enqueue(frame_ptr frame)
{
    pending_bytes_ += frame->size();
    queue_.push_back(std::move(frame));
    if (buffers_.empty())
        do_write();
}

void sse_session::pull_replay()
{
    auto const budget = std::min<std::size_t>(svc_.cfg.client.max_pending_bytes, 256 * 1024);
    auto batch = svc_.subscriptions.replay_after(cursor_, *this, budget);
    if (batch.lost) {
        // The backlog was evicted before this client could read it: it reconnects and gets
        // resync, instead of silently missing events.
        ++svc_.stats.slow_consumer_closes;
        spdlog::warn("client {}: closed, too slow to catch up with the replay",
                     fmt::streamed(peer_));
        return close("slow_consumer");
    }
    cursor_ = batch.cursor;
    catching_up_ = !batch.complete;
    for (auto& frame : batch.frames) {
        pending_bytes_ += frame->size();
        queue_.push_back(std::move(frame));
    }
    if (!queue_.empty() && buffers_.empty())
        do_write();
}

void sse_session::revalidate()
{
    if (state_ != state::streaming)
        return;
    svc_.auth.async_authenticate(credential_, [weak = weak_from_this()](auth_result r) {
        auto self = weak.lock();
        if (!self || self->state_ != state::streaming)
            return;
        // Redis unavailable proves nothing: keep the stream. Gone, or someone else's: end it,
        // the browser reconnects and gets 401.
        bool const gone = r.result == auth_result::outcome::unauthorized ||
                          (r.result == auth_result::outcome::ok && r.user_id != self->user_id_);
        bool const unknown = r.result == auth_result::outcome::unavailable;
        self->svc_.stats.revalidations.inc(gone ? "gone" : unknown ? "unavailable" : "valid");
        if (!gone)
            return;
        spdlog::debug("client {}: credentials gone, closing the stream",
                      fmt::streamed(self->peer_));
        self->finish("revalidation");
    });
}

void sse_session::do_write()
{
    if (buffers_.empty()) {
        // Start the next batch: every queued frame (up to a bound) in one chunk, one writev.
        if (!header_sent_)
            buffers_.push_back(net::buffer(response_header_));
        in_flight_ = std::min(queue_.size(), max_frames_per_write);
        std::size_t bytes = 0;
        for (std::size_t i = 0; i < in_flight_; ++i)
            bytes += queue_[i]->size();
        if (bytes > 0 && chunked_) {
            auto const line = fmt::format_to_n(chunk_size_line_.data(), chunk_size_line_.size(),
                                               "{:x}\r\n", bytes);
            buffers_.push_back(net::buffer(chunk_size_line_.data(), line.size));
        }
        for (std::size_t i = 0; i < in_flight_; ++i)
            buffers_.push_back(net::buffer(*queue_[i]));
        if (bytes > 0 && chunked_)
            buffers_.push_back(net::buffer("\r\n", 2));
        if (state_ == state::finishing && in_flight_ == queue_.size()) {
            if (chunked_)
                buffers_.push_back(net::buffer("0\r\n\r\n", 5));
            final_chunk_sent_ = true;
        }
        if (buffers_.empty())
            return;
    }
    // The deadline covers one write_some: a reader that takes nothing for send_timeout is
    // gone; one that is slow but steady keeps its connection.
    stream_.expires_after(svc_.cfg.client.send_timeout);
    stream_.async_write_some(buffers_,
                             beast::bind_front_handler(&sse_session::on_write, shared_from_this()));
}

void sse_session::on_write(error_code ec, std::size_t bytes)
{
    if (ec)
        return fail(ec, "write");
    stream_.expires_never();
    while (bytes > 0 && !buffers_.empty()) {
        if (bytes < buffers_.front().size()) {
            buffers_.front() += bytes;
            break;
        }
        bytes -= buffers_.front().size();
        buffers_.erase(buffers_.begin());
    }
    if (!buffers_.empty())
        return do_write();

    header_sent_ = true;
    for (; in_flight_ > 0; --in_flight_) {
        pending_bytes_ -= queue_.front()->size();
        queue_.pop_front();
    }
    if (final_chunk_sent_) {
        // Clean end of stream: the last chunk is out, now FIN.
        error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        return close(close_reason_);
    }
    if (queue_.empty() && catching_up_ && state_ == state::streaming)
        return pull_replay();
    if (!queue_.empty() || state_ == state::finishing)
        do_write();
}

void sse_session::do_watch_hangup()
{
    // An SSE client sends nothing after its request: any read completion means it is gone.
    stream_.async_read_some(
        net::buffer(discard_buffer_),
        beast::bind_front_handler(&sse_session::on_hangup, shared_from_this()));
}

void sse_session::on_hangup(error_code ec, std::size_t)
{
    if (ec == net::error::operation_aborted || state_ == state::closed)
        return;
    spdlog::debug("client {}: hung up ({})", fmt::streamed(peer_), ec ? ec.message() : "sent data");
    close("client_gone");
}

void sse_session::refuse(http::status status, std::string reason)
{
    http::response<http::string_body> res{status, version_ ? version_ : 11};
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    if (status == http::status::service_unavailable)
        res.set(http::field::retry_after, retry_after_seconds(svc_.cfg.client.retry));
    if (status == http::status::unauthorized)
        res.set(http::field::www_authenticate, "Bearer");
    if (status == http::status::method_not_allowed)
        res.set(http::field::allow, "GET, OPTIONS");
    add_cors_headers(res);
    res.body() = std::move(reason) + "\n";
    svc_.stats.client_refused.inc(std::to_string(static_cast<unsigned>(status)));
    respond(std::move(res));
}

void sse_session::respond(http::response<http::string_body>&& response)
{
    state_ = state::finishing;
    response.set(http::field::server, "sse-server");
    // One request per connection: the stream port never keeps a refused connection open.
    response.keep_alive(false);
    response.prepare_payload();
    response_ = std::move(response);
    stream_.expires_after(svc_.cfg.client.send_timeout);
    http::async_write(stream_, *response_,
                      beast::bind_front_handler(&sse_session::on_responded, shared_from_this()));
}

void sse_session::on_responded(error_code ec, std::size_t)
{
    if (ec)
        return fail(ec, "write response");
    state_ = state::closed;
    lingering_close(stream_, shared_from_this());
}

void sse_session::shut_down()
{
    if (state_ == state::streaming)
        return finish("shutdown");
    if (state_ == state::reading)
        close(nullptr);
    // authenticating: the stopped Redis client completes the lookup, which answers 503;
    // finishing: the response or last chunk is on its way.
}

std::size_t sse_session::abort()
{
    auto const dropped = queue_.size();
    close(close_reason_ ? close_reason_ : "shutdown");
    return dropped;
}

void sse_session::finish(char const* reason)
{
    if (state_ != state::streaming)
        return;
    state_ = state::finishing;
    close_reason_ = reason;
    if (buffers_.empty())
        do_write();
}

void sse_session::close(char const* reason)
{
    if (state_ == state::closed)
        return;
    state_ = state::closed;
    if (!close_reason_)
        close_reason_ = reason;
    stream_.close();
}

void sse_session::fail(error_code ec, char const* what)
{
    if (ec == net::error::operation_aborted || state_ == state::closed)
        return;
    spdlog::debug("client {}: {}: {}", fmt::streamed(peer_), what, ec.message());
    close(ec == beast::error::timeout ? "send_timeout" : "client_gone");
}

void sse_session::add_cors_headers(http::fields& fields) const
{
    if (cors_origin_.empty())
        return;
    fields.set(http::field::access_control_allow_origin, cors_origin_);
    fields.set(http::field::access_control_allow_credentials, "true");
    fields.set(http::field::vary, "Origin");
}

} // namespace sse_server
