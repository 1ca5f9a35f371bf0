#include "sse_server/stream/sse_session.hpp"

#include "sse_server/config/config.hpp"
#include "sse_server/event/sse_frame.hpp"
#include "sse_server/http/forwarded_client.hpp"
#include "sse_server/http/lingering_close.hpp"
#include "sse_server/ops/access_log.hpp"
#include "sse_server/ops/metrics.hpp"
#include "sse_server/stream/stream_admission.hpp"
#include "sse_server/stream/stream_opening.hpp"
#include "sse_server/stream/stream_response.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <netinet/in.h>
#include <netinet/tcp.h>

namespace sse_server {

namespace {

// What the kernel may hold for a stream beyond what is in flight: past it, the socket counts
// as full and frames wait in the stream's own queue, where client.max_pending_bytes bounds
// them. Without it, a reader that stops would first get megabytes of kernel buffer.
using unsent_bytes_limit = net::detail::socket_option::integer<IPPROTO_TCP, TCP_NOTSENT_LOWAT>;
constexpr int unsent_bytes_in_kernel = 64 * 1024;

ip_address address_of(tcp::endpoint const& endpoint)
{
    auto const address = endpoint.address();
    if (address.is_v4())
        return ip_address::v4(address.to_v4().to_bytes());
    return ip_address{address.to_v6().to_bytes()};
}

// The client a trusted proxy forwards for (listen.trusted_proxies), from every line of
// X-Forwarded-For and Forwarded; empty when the peer is the client. The header block is at
// most 8 KiB, which bounds the lines.
std::optional<ip_address> forwarded_for(http::request<http::empty_body> const& req,
                                        ip_address const& peer,
                                        std::vector<ip_network> const& trusted)
{
    if (!contains_any(trusted, peer))
        return std::nullopt;
    std::vector<std::string_view> x_forwarded_for;
    std::vector<std::string_view> forwarded;
    for (auto [it, end] = req.equal_range("X-Forwarded-For"); it != end; ++it)
        x_forwarded_for.emplace_back(it->value().data(), it->value().size());
    for (auto [it, end] = req.equal_range(http::field::forwarded); it != end; ++it)
        forwarded.emplace_back(it->value().data(), it->value().size());
    return forwarded_client(peer, {x_forwarded_for, forwarded}, trusted);
}

} // namespace

sse_session::sse_session(tcp::socket&& socket, client_services& services)
    : socket_(std::move(socket)), svc_(services)
{
    error_code ec;
    peer_ = socket_.remote_endpoint(ec);
    client_address_ = address_of(peer_);
    // Events are small and must leave at once, not wait for the previous one's ACK.
    socket_.set_option(tcp::no_delay(true), ec);
    socket_.set_option(unsent_bytes_limit(unsent_bytes_in_kernel), ec);
    socket_.non_blocking(true, ec);
    svc_.connections.add(*this);
    ++svc_.open_sessions;
}

sse_session::~sse_session()
{
    svc_.stats.queued_bytes -= static_cast<std::int64_t>(counted_bytes_);
    if (reserved_)
        svc_.subscriptions.release(user_id_);
    if (subscribed_) {
        svc_.subscriptions.unsubscribe(*this);
        svc_.stats.connections_closed.inc(close_reason_ ? close_reason_ : "client_gone");
    }
    --svc_.open_sessions;
    svc_.connections.remove(*this);
}

void sse_session::run()
{
    request_ = std::make_unique<pending_request>();
    // Connections still sending their request or being authenticated count too: a peer that
    // opens connections and says nothing must not get more than the limit allows.
    if (svc_.open_sessions > svc_.cfg.limits.max_connections)
        return refuse(http::status::too_many_requests, "too many connections");
    // A slow or silent client (slowloris) loses its connection header_timeout after it
    // connected, however it trickles its bytes.
    deadline_ = clock::now() + svc_.cfg.client.header_timeout;
    do_read_request();
}

void sse_session::do_read_request()
{
    // Waiting needs no buffer: a connection that sends nothing costs no read buffer.
    socket_.async_wait(tcp::socket::wait_read,
                       beast::bind_front_handler(&sse_session::on_readable, shared_from_this()));
}

void sse_session::on_readable(error_code ec)
{
    if (state_ != state::reading)
        return;
    if (ec)
        return fail(ec, "read");
    auto& request = *request_;
    auto& reader = *request.reader;
    auto const available = socket_.available(ec);
    auto const wanted = std::clamp<std::size_t>(ec ? 1 : available, 1, 4096);
    auto const size = std::min(wanted, reader.room(request.buffer));
    auto const bytes = socket_.read_some(request.buffer.prepare(size), ec);
    if (ec == net::error::would_block || ec == net::error::try_again)
        return do_read_request();
    if (ec == net::error::eof || ec == net::error::connection_reset)
        return close(nullptr);
    if (ec)
        return fail(ec, "read");
    request.buffer.commit(bytes);
    ec = reader.put(request.buffer);
    if (ec == http::error::need_more)
        return do_read_request();
    deadline_ = clock::time_point::max();
    if (ec == http::error::header_limit)
        return refuse(http::status::request_header_fields_too_large,
                      "request header fields too large");
    if (ec)
        return refuse(http::status::bad_request, "malformed request");
    on_request();
}

void sse_session::on_request()
{
    auto& request = *request_;
    auto const& req = request.reader->parser().get();
    version_ = static_cast<std::uint8_t>(req.version());
    queue_.set_chunked(version_ >= 11);
    if (auto const client = forwarded_for(req, client_address_, svc_.cfg.listen.trusted_proxies))
        client_address_ = *client;
    if (spdlog::should_log(spdlog::level::debug))
        spdlog::debug("client {}: {} {}", fmt::streamed(peer_),
                      std::string_view(req.method_string()),
                      redact_target(std::string_view(req.target().data(), req.target().size())));

    auto admission = admit_stream(req, svc_.cfg);
    request.cors_origin = std::move(admission.cors_origin);
    switch (admission.action) {
    case stream_admission::verdict::preflight:
        return respond(stream_preflight(version_, request.cors_origin));
    case stream_admission::verdict::refuse:
        if (admission.status == http::status::unauthorized) {
            svc_.stats.auth.inc("unauthorized");
            spdlog::debug("client {}: unauthorized: {}", fmt::streamed(peer_), admission.detail);
        }
        return refuse(admission.status, std::move(admission.reason));
    case stream_admission::verdict::authenticate:
        break;
    }
    if (svc_.connections.stopping())
        return refuse(http::status::service_unavailable, "server shutting down");
    credential_ = std::move(admission.cred);
    request.target = std::move(admission.target);

    // The request's buffers are no longer needed: what the stream uses is copied out.
    request.buffer = beast::flat_buffer{};
    request.reader.reset();
    state_ = state::authenticating;
    svc_.auth.async_authenticate(
        credential_, beast::bind_front_handler(&sse_session::on_authenticated, shared_from_this()));
}

void sse_session::on_authenticated(auth_result result)
{
    if (state_ != state::authenticating)
        return;
    auto const user_streams = result.result == auth_result::outcome::ok
                                  ? svc_.subscriptions.connections_of(result.user_id)
                                  : 0;
    auto opening = decide_opening(result, request_->target.events, svc_.cfg, user_streams,
                                  svc_.connections.stopping());
    if (opening.counts_login)
        count_login(result);
    if (opening.refuse)
        return refuse(*opening.refuse, std::move(opening.reason));
    user_id_ = std::move(result.user_id);
    groups_ = std::move(result.claims.groups);
    // Counted from now on, even while the resume point is looked up.
    svc_.subscriptions.reserve(user_id_);
    reserved_ = true;
    start_stream();
}

void sse_session::count_login(auth_result const& result)
{
    switch (result.result) {
    case auth_result::outcome::ok:
        svc_.stats.auth.inc("ok");
        break;
    case auth_result::outcome::unauthorized:
        svc_.stats.auth.inc("unauthorized");
        spdlog::debug("client {}: unauthorized: {}", fmt::streamed(peer_), result.reason);
        break;
    case auth_result::outcome::unavailable:
        svc_.stats.auth.inc("unavailable");
        if (svc_.warnings.admit("streams refused: authentication unavailable", clock::now()))
            spdlog::warn("client {}: authentication unavailable: {}", fmt::streamed(peer_),
                         result.reason);
        break;
    }
}

void sse_session::start_stream()
{
    auto const& last_event_id = request_->target.last_event_id;
    if (!last_event_id)
        return open_stream(std::nullopt);
    // The log may have to ask Redis whether it still holds what follows the client's id.
    auto resume = svc_.log.resume_point(
        *last_event_id, beast::bind_front_handler(&sse_session::on_resume_point, shared_from_this()));
    if (resume)
        open_stream(*resume);
}

void sse_session::on_resume_point(event_log::resume resume)
{
    if (state_ != state::authenticating)
        return;
    if (svc_.connections.stopping())
        return refuse(http::status::service_unavailable, "server shutting down");
    open_stream(resume);
}

void sse_session::open_stream(std::optional<event_log::resume> resume)
{
    auto request = std::move(request_);
    auto const& wanted = request->target;
    response_header_ = stream_response_head(version_, request->cors_origin);
    events_ = std::move(request->target.events);

    if (resume) {
        svc_.stats.replay.inc(resume->from ? "replayed" : "resync");
        if (!resume->from)
            svc_.stats.resyncs.inc("resume");
    }
    // The greeting carries the position the stream is complete from, so that a client that
    // drops before its first event still resumes without a gap.
    auto const newest = svc_.log.newest();
    auto const from = resume ? resume->from : std::nullopt;
    auto const position = from ? *from : newest;
    auto const origin = wanted.origin ? *wanted.origin : random_origin(svc_.random);
    auto greeting = stream_greeting(svc_.cfg.client.retry, position, origin, user_id_, events_,
                                    resume && !from);
    request.reset();

    // From here on every published frame is queued behind the greeting, in order.
    state_ = state::streaming;
    last_write_ = opened_at_ = clock::now();
    origin_ = origin;
    svc_.subscriptions.release(user_id_);
    reserved_ = false;
    svc_.subscriptions.subscribe(*this);
    subscribed_ = true;
    spdlog::debug("client {}: stream open for user {} ({} events)", fmt::streamed(peer_),
                  user_id_, events_.size());

    catching_up_ = from && *from < newest;
    cursor_ = position;
    if (auto const lifetime = stream_lifetime(svc_.cfg.client.max_lifetime, svc_.random);
        lifetime > milliseconds::zero())
        end_of_life_ = clock::now() + lifetime;
    do_watch_hangup();
    queue_.push(std::make_shared<std::string const>(std::move(greeting)));
    do_write();
}

void sse_session::refuse(http::status status, std::string reason)
{
    auto const code = std::to_string(static_cast<unsigned>(status));
    svc_.stats.client_refused.inc(code);
    log_refusal(code, reason);
    respond(stream_refusal(status, version_, std::move(reason), svc_.cfg.client.retry,
                           request_->cors_origin));
}

void sse_session::respond(http::response<http::string_body>&& response)
{
    state_ = state::finishing;
    response.set(http::field::server, "sse-server");
    // One request per connection: the stream port never keeps a refused connection open.
    response.keep_alive(false);
    response.prepare_payload();
    request_->response = std::move(response);
    deadline_ = clock::now() + svc_.cfg.client.send_timeout;
    http::async_write(socket_, *request_->response,
                      beast::bind_front_handler(&sse_session::on_responded, shared_from_this()));
}

void sse_session::on_responded(error_code ec, std::size_t)
{
    deadline_ = clock::time_point::max();
    if (ec)
        return fail(ec, "write response");
    state_ = state::closed;
    lingering_close(socket_, shared_from_this());
}

} // namespace sse_server
