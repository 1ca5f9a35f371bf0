// sse_session's write side: the bounded queue of shared frames, the flushes that write it in
// gathered chunks, and the catch-up of a resumed stream from the event log.
#include "sse_server/stream/sse_session.hpp"

#include "sse_server/config/config.hpp"
#include "sse_server/ops/metrics.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace sse_server {

bool sse_session::send(frame_ptr const& frame)
{
    if (state_ != state::streaming)
        return false;
    wrote_since_sweep_ = true;
    if (catching_up_)
        return false; // the replay buffer holds it; it comes in order once the backlog is written
    // A client that cannot keep up is closed, not buffered without bound; it resumes from
    // the replay buffer when it reconnects. One event always fits into an empty queue.
    auto const pending = queue_.pending_bytes();
    if (pending > 0 && pending + frame->size() > svc_.cfg.client.max_pending_bytes) {
        ++svc_.stats.slow_consumer_closes;
        if (svc_.warnings.admit("streams closed as too slow", clock::now()))
            spdlog::warn("client {}: closed as too slow ({} bytes pending)", fmt::streamed(peer_),
                         pending);
        close("slow_consumer");
        return false;
    }
    queue_.push(frame);
    ++events_sent_;
    count_queued_bytes();
    request_flush();
    return true;
}

stream_info sse_session::info() const
{
    return {origin_, opened_at_, queue_.pending_bytes(), credential_kind_name(credential_.kind)};
}

void sse_session::keep_alive(frame_ptr const& comment, clock::time_point now,
                             clock::duration quiet_for)
{
    if (state_ != state::streaming)
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
    queue_.push(comment);
    request_flush();
    last_write_ = now;
}

void sse_session::request_flush()
{
    // A stream waiting for room in its socket writes when the room comes; one that already
    // asked is written with everything queued by then.
    if (flush_requested_ || waiting_writable_)
        return;
    flush_requested_ = true;
    svc_.flushes.request(shared_from_this());
}

void sse_session::flush()
{
    flush_requested_ = false;
    if (!waiting_writable_)
        do_write();
}

bool sse_session::pull_replay()
{
    auto const budget =
        std::min<std::size_t>(svc_.cfg.client.max_pending_bytes, std::size_t{256} * 1024);
    auto batch = svc_.log.read_after(
        cursor_, [this](event const& e) { return svc_.subscriptions.receives(*this, e); }, budget,
        beast::bind_front_handler(&sse_session::on_replay, shared_from_this()));
    if (!batch) {
        // Read back from Redis: writing resumes when the batch comes.
        replay_pending_ = true;
        return false;
    }
    return take_replay(std::move(*batch));
}

void sse_session::on_replay(replay_batch batch)
{
    replay_pending_ = false;
    if (state_ != state::streaming)
        return;
    // A stream waiting for room in its socket (a heartbeat went out meanwhile) writes when the
    // room comes, as flush() does.
    if (take_replay(std::move(batch)) && !waiting_writable_)
        do_write();
}

bool sse_session::take_replay(replay_batch batch)
{
    if (batch.lost) {
        // The backlog was evicted before this client could read it: it reconnects and gets
        // resync, instead of silently missing events.
        ++svc_.stats.slow_consumer_closes;
        if (svc_.warnings.admit("streams closed as too slow to catch up", clock::now()))
            spdlog::warn("client {}: closed, too slow to catch up with the replay",
                         fmt::streamed(peer_));
        close("slow_consumer");
        return false;
    }
    cursor_ = batch.cursor;
    catching_up_ = !batch.complete;
    events_sent_ += static_cast<std::uint32_t>(batch.frames.size());
    for (auto& frame : batch.frames)
        queue_.push(std::move(frame));
    return true;
}

void sse_session::do_write()
{
    // Writes without waiting as long as the socket takes the bytes (the usual case: one
    // system call for everything queued); waits for room only when it is full.
    while (state_ == state::streaming || state_ == state::finishing) {
        if (!queue_.in_flight()) {
            if (queue_.empty() && catching_up_ && state_ == state::streaming &&
                (replay_pending_ || !pull_replay()))
                return;
            // The head goes out with the first batch; the last chunk with the last one.
            queue_.start_batch(response_header_, state_ == state::finishing);
            if (queue_.ended())
                return close(close_reason_);
            if (!queue_.in_flight())
                break;
        }
        error_code ec;
        auto const bytes = socket_.write_some(queue_.buffers(), ec);
        if (ec == net::error::would_block || ec == net::error::try_again)
            return do_wait_writable();
        if (ec)
            return fail(ec, "write");
        bytes_sent_ += bytes;
        if (!queue_.written(bytes))
            continue; // the rest of this batch
        response_header_ = std::string{};
        if (queue_.ended()) {
            // Clean end of stream: the last chunk is out, now FIN.
            socket_.shutdown(tcp::socket::shutdown_send, ec);
            return close(close_reason_);
        }
    }
    deadline_ = clock::time_point::max();
    count_queued_bytes();
}

void sse_session::do_wait_writable()
{
    count_queued_bytes();
    // The deadline covers one wait: a reader that takes nothing for send_timeout is gone;
    // one that is slow but steady keeps its connection.
    deadline_ = clock::now() + svc_.cfg.client.send_timeout;
    waiting_writable_ = true;
    socket_.async_wait(tcp::socket::wait_write,
                       beast::bind_front_handler(&sse_session::on_writable, shared_from_this()));
}

void sse_session::on_writable(error_code ec)
{
    waiting_writable_ = false;
    if (ec)
        return fail(ec, "wait for write");
    do_write();
}

void sse_session::count_queued_bytes()
{
    svc_.stats.queued_bytes += static_cast<std::int64_t>(queue_.pending_bytes()) -
                               static_cast<std::int64_t>(counted_bytes_);
    counted_bytes_ = queue_.pending_bytes();
}

} // namespace sse_server
