// How an sse_session ends: its client hangs up, its credentials are gone, a deadline of the
// sweep passes, or the server stops; and the close itself.
#include "sse_server/stream/sse_session.hpp"

#include "sse_server/config/config.hpp"
#include "sse_server/event/sse_frame.hpp"
#include "sse_server/ops/access_log.hpp"
#include "sse_server/ops/metrics.hpp"
#include "sse_server/stream/stream_response.hpp"
#include "sse_server/stream/stream_revalidation.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <spdlog/spdlog.h>

namespace sse_server {

void sse_session::revalidate(std::function<void()> answered)
{
    if (state_ != state::streaming) {
        if (answered)
            answered();
        return;
    }
    svc_.auth.async_authenticate(credential_, [weak = weak_from_this(),
                                               answered = std::move(answered)](auth_result r) {
        if (auto self = weak.lock(); self && self->state_ == state::streaming)
            self->on_revalidated(std::move(r));
        if (answered)
            answered();
    });
}

void sse_session::on_revalidated(auth_result result)
{
    using verdict = stream_revalidation::verdict;
    auto checked = decide_revalidation(std::move(result), user_id_, events_, svc_.cfg);
    switch (checked.result) {
    case verdict::unavailable: // proves nothing: the stream stays as it is
        svc_.stats.revalidations.inc("unavailable");
        return;
    case verdict::gone: // its reconnect gets 401
        svc_.stats.revalidations.inc("gone");
        spdlog::debug("client {}: credentials gone, closing the stream", fmt::streamed(peer_));
        return finish("revalidation");
    case verdict::revoked: // its reconnect gets 403
        svc_.stats.revalidations.inc("revoked");
        spdlog::debug("client {}: a subscription is no longer granted, closing the stream",
                      fmt::streamed(peer_));
        return finish("revoked");
    case verdict::valid:
        svc_.stats.revalidations.inc("valid");
        break;
    }
    if (checked.groups == groups_)
        return;
    // The registry indexes a stream by its groups: they change while it is not subscribed.
    bool const subscribed = subscribed_;
    if (subscribed)
        svc_.subscriptions.unsubscribe(*this);
    groups_ = std::move(checked.groups);
    if (subscribed)
        svc_.subscriptions.subscribe(*this);
}

void sse_session::do_watch_hangup()
{
    // An SSE client sends nothing after its request: the socket becoming readable means it
    // is gone (or misbehaves). Waiting needs no buffer, unlike a read. The reactor reports
    // edges, so a hang-up that came before the wait is looked for first.
    char probe = 0;
    error_code ec;
    socket_.receive(net::buffer(&probe, 1), tcp::socket::message_peek, ec);
    if (ec != net::error::would_block && ec != net::error::try_again)
        return on_hangup(ec);
    socket_.async_wait(tcp::socket::wait_read,
                       beast::bind_front_handler(&sse_session::on_hangup, shared_from_this()));
}

void sse_session::on_hangup(error_code ec)
{
    if (ec == net::error::operation_aborted || state_ == state::closed)
        return;
    spdlog::debug("client {}: hung up", fmt::streamed(peer_));
    close("client_gone");
}

void sse_session::shut_down()
{
    if (state_ == state::streaming) {
        auto const delay = drain_delay(svc_.cfg.server.drain_period,
                                       svc_.cfg.server.shutdown_timeout, svc_.random);
        if (delay <= milliseconds::zero())
            return finish("shutdown");
        // The sweep ends it when its turn comes (check_deadline).
        end_of_life_ = clock::now() + delay;
        return;
    }
    if (state_ == state::reading)
        close(nullptr);
    // authenticating: the stopped Redis client completes the lookup, which answers 503;
    // finishing: the response or last chunk is on its way.
}

std::size_t sse_session::abort()
{
    auto const dropped = queue_.size();
    close(close_reason_ ? close_reason_ : "shutdown");
    // A refused connection may be lingering (closed for us, open for the peer): cut it too,
    // or the stop would wait for the linger to end.
    error_code ignored;
    socket_.close(ignored);
    return dropped;
}

void sse_session::check_deadline(clock::time_point now)
{
    if (now >= end_of_life_ && state_ == state::streaming) {
        // Ends as at shutdown: the client reconnects with its Last-Event-ID, perhaps to a
        // daemon started since, and resumes where it was.
        end_of_life_ = clock::time_point::max();
        if (svc_.connections.stopping())
            return finish("shutdown");
        spdlog::debug("client {}: stream reached its lifetime, ending it", fmt::streamed(peer_));
        finish("max_lifetime");
    }
    if (now < deadline_ || state_ == state::closed)
        return;
    deadline_ = clock::time_point::max();
    if (state_ == state::reading) {
        svc_.stats.client_refused.inc("timeout");
        spdlog::debug("client {}: no complete request within the header timeout",
                      fmt::streamed(peer_));
        log_refusal("timeout", "no complete request within client.header_timeout");
        return close(nullptr);
    }
    spdlog::debug("client {}: nothing written within the send timeout", fmt::streamed(peer_));
    close("send_timeout");
}

void sse_session::finish(char const* reason)
{
    if (state_ != state::streaming)
        return;
    state_ = state::finishing;
    close_reason_ = reason;
    // The last frame of a stream ended by a shutdown: its client waits a little longer, and a
    // little differently from the others, before it reconnects.
    if (std::string_view(reason) == "shutdown")
        queue_.push(std::make_shared<std::string const>(
            format_retry(farewell_retry(svc_.cfg.client.retry, svc_.random))));
    if (!waiting_writable_)
        do_write();
}

void sse_session::close(char const* reason)
{
    if (state_ == state::closed)
        return;
    state_ = state::closed;
    if (!close_reason_)
        close_reason_ = reason;
    error_code ignored;
    socket_.close(ignored);
    if (subscribed_)
        log_end(close_reason_ ? close_reason_ : "client_gone");
}

// log.access: one line per stream ended or refused, within the access log's budget (the
// server logs how many lines each kind went over it).
void sse_session::log_end(char const* reason)
{
    if (!svc_.cfg.log.access || !spdlog::should_log(spdlog::level::info))
        return;
    auto const now = clock::now();
    if (!svc_.access_log.admit(stream_end_kind, now))
        return;
    auto const client = to_string(client_address_);
    auto const lasted = std::chrono::duration_cast<milliseconds>(now - opened_at_);
    spdlog::info("{}", access_line(stream_end_entry{client, user_id_, origin_, lasted,
                                                    events_sent_, bytes_sent_, reason}));
}

void sse_session::log_refusal(std::string_view status, std::string_view reason)
{
    if (!svc_.cfg.log.access || !spdlog::should_log(spdlog::level::info))
        return;
    if (!svc_.access_log.admit(stream_refusal_kind(status), clock::now()))
        return;
    auto const client = to_string(client_address_);
    spdlog::info("{}", access_line(stream_refusal_entry{client, status, reason}));
}

void sse_session::fail(error_code ec, char const* what)
{
    if (ec == net::error::operation_aborted || state_ == state::closed)
        return;
    spdlog::debug("client {}: {}: {}", fmt::streamed(peer_), what, ec.message());
    close("client_gone");
}

} // namespace sse_server
