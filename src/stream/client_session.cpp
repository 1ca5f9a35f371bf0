#include "sse_server/stream/client_session.hpp"

#include "sse_server/config/config.hpp"
#include "sse_server/event/sse_frame.hpp"
#include "sse_server/http/lingering_close.hpp"
#include "sse_server/http/request_client.hpp"
#include "sse_server/ops/access_log.hpp"
#include "sse_server/ops/log_limiter.hpp"
#include "sse_server/ops/metrics.hpp"
#include "sse_server/stream/stream_admission.hpp"
#include "sse_server/stream/stream_opening.hpp"
#include "sse_server/stream/stream_response.hpp"
#include "sse_server/stream/stream_transport.hpp"

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

} // namespace

client_session::client_session(tcp_socket&& socket, client_services& services)
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
}

client_session::~client_session()
{
    if (reserved_)
        svc_.subscriptions.release(user_id_);
    svc_.connections.remove(*this);
}

void client_session::run()
{
    // Connections still sending their request or being authenticated count too: a peer that
    // opens connections and says nothing must not get more than the limit allows.
    if (svc_.connections.count(connection_manager::stop_phase::first) >
        svc_.cfg.limits.max_connections)
        return refuse(http::status::too_many_requests, "too many connections");
    // A slow or silent client (slowloris) loses its connection header_timeout after it
    // connected, however it trickles its bytes.
    deadline_ = clock::now() + svc_.cfg.client.header_timeout;
    do_read_request();
}

void client_session::do_read_request()
{
    // Waiting needs no buffer: a connection that sends nothing costs no read buffer.
    socket_.async_wait(tcp_socket::wait_read,
                       beast::bind_front_handler(&client_session::on_readable, shared_from_this()));
}

void client_session::on_readable(error_code ec)
{
    if (state_ != state::reading)
        return;
    if (ec)
        return fail(ec, "read");
    auto& reader = *reader_;
    auto const available = socket_.available(ec);
    auto const wanted = std::clamp<std::size_t>(ec ? 1 : available, 1, 4096);
    auto const size = std::min(wanted, reader.room(buffer_));
    auto const bytes = socket_.read_some(buffer_.prepare(size), ec);
    if (ec == net::error::would_block || ec == net::error::try_again)
        return do_read_request();
    if (ec == net::error::eof || ec == net::error::connection_reset)
        return close();
    if (ec)
        return fail(ec, "read");
    buffer_.commit(bytes);
    ec = reader.put(buffer_);
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

void client_session::on_request()
{
    auto const& req = reader_->parser().get();
    version_ = static_cast<std::uint8_t>(req.version());
    client_address_ = request_client(client_address_, req, svc_.cfg.listen.trusted_proxies);
    if (spdlog::should_log(spdlog::level::debug))
        spdlog::debug("client {}: {} {}", fmt::streamed(peer_),
                      std::string_view(req.method_string()),
                      redact_target(std::string_view(req.target().data(), req.target().size())));

    auto admission = admit_stream(req, svc_.cfg);
    cors_origin_ = std::move(admission.cors_origin);
    switch (admission.action) {
    case stream_admission::verdict::preflight:
        return respond(stream_preflight(version_, cors_origin_));
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
    target_ = std::move(admission.target);

    // The request's buffers are no longer needed: what the stream uses is copied out.
    buffer_ = beast::flat_buffer{};
    reader_.reset();
    state_ = state::authenticating;
    svc_.auth.async_authenticate(credential_, beast::bind_front_handler(
                                                  &client_session::on_authenticated,
                                                  shared_from_this()));
}

void client_session::on_authenticated(auth_result result)
{
    if (state_ != state::authenticating)
        return;
    auto const user_streams = result.result == auth_result::outcome::ok
                                  ? svc_.subscriptions.connections_of(result.user_id)
                                  : 0;
    auto opening = decide_opening(result, target_.events, svc_.cfg, user_streams,
                                  svc_.connections.stopping());
    if (opening.counts_login)
        count_login(result);
    if (opening.refuse)
        return refuse(*opening.refuse, std::move(opening.reason));
    user_id_ = std::move(result.user_id);
    groups_ = std::move(result.claims.groups);
    valid_until_ = result.claims.valid_until;
    // Counted from now on, even while the resume point is looked up.
    svc_.subscriptions.reserve(user_id_);
    reserved_ = true;
    start_stream();
}

void client_session::count_login(auth_result const& result)
{
    switch (result.result) {
    case auth_result::outcome::ok:
        svc_.stats.auth.inc("ok");
        break;
    case auth_result::outcome::unauthorized:
        svc_.stats.auth.inc("unauthorized");
        spdlog::debug("client {}: unauthorized: {}", fmt::streamed(peer_), result.reason);
        break;
    case auth_result::outcome::forbidden:
        svc_.stats.auth.inc("forbidden");
        spdlog::debug("client {}: forbidden: {}", fmt::streamed(peer_), result.reason);
        break;
    case auth_result::outcome::unavailable:
        svc_.stats.auth.inc("unavailable");
        if (svc_.warnings.admit("streams refused: authentication unavailable", clock::now()))
            spdlog::warn("client {}: authentication unavailable: {}", fmt::streamed(peer_),
                         result.reason);
        break;
    }
}

void client_session::start_stream()
{
    auto const& last_event_id = target_.last_event_id;
    if (!last_event_id)
        return open_stream(std::nullopt);
    // The log may have to ask Redis whether it still holds what follows the client's id.
    auto resume = svc_.log.resume_point(
        *last_event_id,
        beast::bind_front_handler(&client_session::on_resume_point, shared_from_this()));
    if (resume)
        open_stream(*resume);
}

void client_session::on_resume_point(event_log::resume resume)
{
    if (state_ != state::authenticating)
        return;
    if (svc_.connections.stopping())
        return refuse(http::status::service_unavailable, "server shutting down");
    open_stream(resume);
}

void client_session::open_stream(std::optional<event_log::resume> resume)
{
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
    stream_start start{.user_id = std::move(user_id_),
                       .events = std::move(target_.events),
                       .groups = std::move(groups_),
                       .cred = std::move(credential_),
                       .origin = target_.origin ? stream_origin(*target_.origin)
                                                : stream_origin::random(svc_.random),
                       .greeting = {},
                       .catch_up_from = std::nullopt,
                       .valid_until = valid_until_};
    start.greeting = stream_greeting(svc_.cfg.client.retry, position, start.origin.str(),
                                     start.user_id, start.events, resume && !from);
    if (from && *from < newest)
        start.catch_up_from = *from;

    // The user's reservation becomes its stream, subscribed in the same turn.
    svc_.subscriptions.release(start.user_id);
    reserved_ = false;
    state_ = state::done;
    std::make_shared<stream_transport>(std::move(socket_), svc_,
                                       stream_response_head(version_, cors_origin_), version_,
                                       client_address_, std::move(start))
        ->run();
}

void client_session::refuse(http::status status, std::string reason)
{
    auto const code = std::to_string(static_cast<unsigned>(status));
    svc_.stats.client_refused.inc(code);
    log_refusal(code, reason);
    respond(stream_refusal(status, version_, std::move(reason), svc_.cfg.client.retry,
                           cors_origin_));
}

void client_session::respond(http::response<http::string_body>&& response)
{
    state_ = state::responding;
    response.set(http::field::server, "sse-server");
    // One request per connection: the stream port never keeps a refused connection open.
    response.keep_alive(false);
    response.prepare_payload();
    response_ = std::move(response);
    deadline_ = clock::now() + svc_.cfg.client.send_timeout;
    http::async_write(socket_, *response_,
                      beast::bind_front_handler(&client_session::on_responded, shared_from_this()));
}

void client_session::on_responded(error_code ec, std::size_t)
{
    deadline_ = clock::time_point::max();
    if (ec)
        return fail(ec, "write response");
    state_ = state::done;
    lingering_close(socket_, shared_from_this());
}

void client_session::shut_down()
{
    if (state_ == state::reading)
        close();
    // authenticating: the stopped Redis client (or auth hook client) completes the lookup,
    // which answers 503;
    // responding: the response is on its way.
}

std::size_t client_session::abort()
{
    // A refused connection may be lingering (closed for us, open for the peer): close() cuts
    // it too, or the stop would wait for the linger to end. Nothing accepted is queued here.
    close();
    return 0;
}

void client_session::check_deadline(clock::time_point now)
{
    if (now < deadline_ || state_ == state::done)
        return;
    deadline_ = clock::time_point::max();
    if (state_ == state::reading) {
        svc_.stats.client_refused.inc("timeout");
        spdlog::debug("client {}: no complete request within the header timeout",
                      fmt::streamed(peer_));
        log_refusal("timeout", "no complete request within client.header_timeout");
        return close();
    }
    spdlog::debug("client {}: response not written within the send timeout",
                  fmt::streamed(peer_));
    close();
}

// log.access: one line per request refused, within the access log's budget.
void client_session::log_refusal(std::string_view status, std::string_view reason)
{
    if (!svc_.cfg.log.access || !spdlog::should_log(spdlog::level::info))
        return;
    if (!svc_.access_log.admit(stream_refusal_kind(status), clock::now()))
        return;
    auto const client = to_string(client_address_);
    spdlog::info("{}", access_line(stream_refusal_entry{client, status, reason}));
}

void client_session::close()
{
    state_ = state::done;
    error_code ignored;
    socket_.close(ignored);
}

void client_session::fail(error_code ec, char const* what)
{
    if (ec == net::error::operation_aborted || state_ == state::done)
        return;
    spdlog::debug("client {}: {}: {}", fmt::streamed(peer_), what, ec.message());
    close();
}

} // namespace sse_server
