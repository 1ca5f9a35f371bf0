#include "sse_server/stream/client_stream.hpp"

#include "sse_server/config/config.hpp"
#include "sse_server/event/sse_frame.hpp"
#include "sse_server/http/connection_manager.hpp"
#include "sse_server/ops/log_limiter.hpp"
#include "sse_server/ops/metrics.hpp"
#include "sse_server/stream/stream_response.hpp"
#include "sse_server/stream/stream_revalidation.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace sse_server {

client_stream::client_stream(client_services& services, stream_carrier& carrier,
                             stream_start start)
    : svc_(services), carrier_(carrier), user_id_(std::move(start.user_id)),
      events_(std::move(start.events)), groups_(std::move(start.groups)),
      credential_(std::move(start.cred)), origin_(std::move(start.origin))
{
    if (start.catch_up_from)
        phase_ = catching_up_phase{std::make_unique<catch_up>(catch_up{*start.catch_up_from})};
    last_write_ = opened_at_ = clock::now();
    if (auto const lifetime = stream_lifetime(svc_.cfg.client.max_lifetime, svc_.random);
        lifetime > milliseconds::zero())
        ends_at_ = opened_at_ + lifetime;
    if (start.valid_until) {
        // Past a year, the stream has long ended for other reasons; no time point overflows.
        auto const left = std::clamp<std::chrono::system_clock::duration>(
            *start.valid_until - std::chrono::system_clock::now(), {}, std::chrono::hours{24 * 366});
        auto const expires = opened_at_ + std::chrono::duration_cast<clock::duration>(left);
        if (expires <= ends_at_) {
            ends_at_ = expires;
            ends_expired_ = true;
        }
    }
    // From here on every published frame is queued behind the greeting, in order.
    queue_.push(std::make_shared<std::string const>(std::move(start.greeting)));
    svc_.subscriptions.subscribe(*this);
    if (spdlog::should_log(spdlog::level::debug))
        spdlog::debug("stream {} open for user {} ({} events)", origin_.str(), user_id_,
                      events_.size());
}

client_stream::~client_stream()
{
    svc_.subscriptions.unsubscribe(*this);
    svc_.stats.queued_bytes -= static_cast<std::int64_t>(counted_bytes_);
    auto const* reason = end_reason();
    svc_.stats.connections_closed.inc(reason ? reason : "client_gone");
}

char const* client_stream::end_reason() const
{
    if (auto const* f = std::get_if<finishing_phase>(&phase_))
        return f->reason;
    if (auto const* e = std::get_if<ended_phase>(&phase_))
        return e->reason;
    return nullptr;
}

bool client_stream::send(frame_ptr const& frame)
{
    if (!streaming())
        return false;
    wrote_since_sweep_ = true;
    if (std::holds_alternative<catching_up_phase>(phase_))
        return false; // the log holds it; it comes in order once the backlog is written
    // A client that cannot keep up is closed, not buffered without bound; it resumes from
    // the replay buffer when it reconnects. One event always fits into an empty queue.
    auto const pending = queue_.pending_bytes();
    if (pending > 0 && pending + frame->size() > svc_.cfg.client.max_pending_bytes) {
        ++svc_.stats.slow_consumer_closes;
        if (svc_.warnings.admit("streams closed as too slow", clock::now()))
            spdlog::warn("stream {} of user {}: closed as too slow ({} bytes pending)",
                         origin_.str(), user_id_, pending);
        cut("slow_consumer");
        return false;
    }
    queue_.push(frame);
    ++events_sent_;
    count_queued_bytes();
    carrier_.wake();
    return true;
}

void client_stream::keep_alive(heartbeat const& beat, clock::time_point now,
                               clock::duration quiet_for)
{
    if (!streaming())
        return;
    // The time of a write is taken from the sweep that notices it, not read per frame: a
    // broadcast to 100 000 streams does not read the clock 100 000 times.
    if (wrote_since_sweep_ || !queue_.empty()) {
        wrote_since_sweep_ = false;
        last_write_ = now;
        return;
    }
    if (now - last_write_ < quiet_for)
        return;
    // Live with an empty queue, the stream has everything it should get up to the newest
    // event: its client may resume from there. One catching up is not there yet.
    bool const up_to_date = std::holds_alternative<live_phase>(phase_);
    queue_.push(beat.cursor && up_to_date ? beat.cursor : beat.comment);
    carrier_.wake();
    last_write_ = now;
}

stream_info client_stream::info() const
{
    return {origin_.str(), opened_at_, queue_.pending_bytes(),
            credential_kind_name(credential_.kind)};
}

void client_stream::count_queued_bytes()
{
    svc_.stats.queued_bytes += static_cast<std::int64_t>(queue_.pending_bytes()) -
                               static_cast<std::int64_t>(counted_bytes_);
    counted_bytes_ = queue_.pending_bytes();
}

bool client_stream::refill()
{
    if (!open())
        return false;
    auto* catching_up = std::get_if<catching_up_phase>(&phase_);
    if (!catching_up || !queue_.empty())
        return true;
    if (catching_up->state->read_pending)
        return false;
    return pull_replay(catching_up->state->cursor);
}

bool client_stream::pull_replay(event_id cursor)
{
    auto const budget =
        std::min<std::size_t>(svc_.cfg.client.max_pending_bytes, std::size_t{256} * 1024);
    auto batch = svc_.log.read_after(
        cursor, [this](event const& e) { return svc_.subscriptions.receives(*this, e); }, budget,
        [this, keep = carrier_.hold()](replay_batch b) { on_replay(std::move(b)); });
    if (!batch) {
        // Read back from Redis: writing resumes when the batch comes.
        std::get<catching_up_phase>(phase_).state->read_pending = true;
        return false;
    }
    return take_replay(std::move(*batch));
}

void client_stream::on_replay(replay_batch batch)
{
    auto* catching_up = std::get_if<catching_up_phase>(&phase_);
    if (!catching_up)
        return; // finishing or ended meanwhile: the backlog is no longer wanted
    catching_up->state->read_pending = false;
    if (take_replay(std::move(batch)))
        carrier_.wake();
}

bool client_stream::take_replay(replay_batch batch)
{
    if (batch.lost) {
        // The backlog was evicted before this client could read it: it reconnects and gets
        // resync, instead of silently missing events.
        ++svc_.stats.slow_consumer_closes;
        if (svc_.warnings.admit("streams closed as too slow to catch up", clock::now()))
            spdlog::warn("stream {} of user {}: closed, too slow to catch up with the replay",
                         origin_.str(), user_id_);
        cut("slow_consumer");
        return false;
    }
    if (batch.complete)
        phase_ = live_phase{};
    else
        std::get<catching_up_phase>(phase_).state->cursor = batch.cursor;
    events_sent_ += static_cast<std::uint32_t>(batch.frames.size());
    for (auto& frame : batch.frames)
        queue_.push(std::move(frame));
    return true;
}

void client_stream::revalidate(std::function<void()> answered)
{
    if (!streaming()) {
        if (answered)
            answered();
        return;
    }
    svc_.auth.async_revalidate(
        credential_, [this, weak = std::weak_ptr<void>(carrier_.hold()),
                      answered = std::move(answered)](auth_result r) {
            if (auto keep = weak.lock(); keep && streaming())
                on_revalidated(std::move(r));
            if (answered)
                answered();
        });
}

void client_stream::on_revalidated(auth_result result)
{
    using verdict = stream_revalidation::verdict;
    auto checked = decide_revalidation(std::move(result), user_id_, events_, svc_.cfg);
    switch (checked.result) {
    case verdict::unavailable: // proves nothing: the stream stays as it is
        svc_.stats.revalidations.inc("unavailable");
        return;
    case verdict::gone: // its reconnect gets 401
        svc_.stats.revalidations.inc("gone");
        spdlog::debug("stream {}: credentials gone, closing it", origin_.str());
        return finish("revalidation");
    case verdict::revoked: // its reconnect gets 403
        svc_.stats.revalidations.inc("revoked");
        spdlog::debug("stream {}: a subscription is no longer granted, closing it",
                      origin_.str());
        return finish("revoked");
    case verdict::valid:
        svc_.stats.revalidations.inc("valid");
        break;
    }
    if (checked.groups == groups_)
        return;
    // The registry indexes a stream by its groups: they change while it is not subscribed.
    svc_.subscriptions.unsubscribe(*this);
    groups_ = std::move(checked.groups);
    svc_.subscriptions.subscribe(*this);
}

void client_stream::finish(char const* reason)
{
    if (!streaming())
        return;
    phase_ = finishing_phase{reason};
    // The last frame of a stream ended by a shutdown: its client waits a little longer, and a
    // little differently from the others, before it reconnects.
    if (std::string_view(reason) == "shutdown")
        queue_.push(std::make_shared<std::string const>(
            format_retry(farewell_retry(svc_.cfg.client.retry, svc_.random))));
    carrier_.wake();
}

void client_stream::cut(char const* reason)
{
    ended(reason);
    carrier_.cut(reason);
}

void client_stream::ended(char const* reason)
{
    if (!open())
        return;
    phase_ = ended_phase{end_reason() ? end_reason() : reason};
}

void client_stream::shut_down()
{
    if (!streaming())
        return;
    auto const delay =
        drain_delay(svc_.cfg.server.drain_period, svc_.cfg.server.shutdown_timeout, svc_.random);
    if (delay <= milliseconds::zero())
        return finish("shutdown");
    // The sweep ends it when its turn comes (check_lifetime), unless its token ends it first.
    if (auto const at = clock::now() + delay; at < ends_at_) {
        ends_at_ = at;
        ends_expired_ = false;
    }
}

void client_stream::check_lifetime(clock::time_point now)
{
    if (now < ends_at_ || !streaming())
        return;
    ends_at_ = clock::time_point::max();
    if (ends_expired_) {
        // Its client must come back with a fresh token; what it missed, it resumes.
        spdlog::debug("stream {}: its token expired, ending it", origin_.str());
        return finish("expired");
    }
    // Ends as at shutdown: the client reconnects with its Last-Event-ID, perhaps to a daemon
    // started since, and resumes where it was.
    if (svc_.connections.stopping())
        return finish("shutdown");
    spdlog::debug("stream {}: reached its lifetime, ending it", origin_.str());
    finish("max_lifetime");
}

} // namespace sse_server
