#include "stream_client.hpp"

#include "payload.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <unistd.h>

namespace sse_server::bench {

namespace {

// Reads per wake-up before yielding to the other streams, so one busy stream cannot starve
// ten thousand others.
constexpr int reads_per_wakeup = 4;

// The port is chosen at connect() rather than at bind(): the kernel can then reuse a port
// towards another destination, and a source address serves up to ~28 000 streams per server.
using bind_address_no_port =
    net::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>;

std::uint64_t steady_ns(bench_clock::time_point t)
{
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

} // namespace

stream_client::stream_client(net::io_context& ioc, stream_setup const& setup, std::string request,
                             std::size_t index, std::size_t name_index, bool in_audience, bool slow,
                             stream_poller& poller, std::vector<char>& read_buffer,
                             delivery_tally& tally, stream_observer& observer)
    : setup_(setup), socket_(ioc), poller_(poller), request_(std::move(request)), index_(index),
      name_index_(name_index), in_audience_(in_audience), slow_(slow), read_buffer_(read_buffer),
      tally_(tally), observer_(observer)
{
}

void stream_client::start(net::ip::address const& source)
{
    connect(setup_.server, source);
}

void stream_client::resume(tcp::endpoint const& server, std::string request,
                           net::ip::address const& source)
{
    resuming_ = true;
    request_ = std::move(request);
    parser_.restart();
    connect(server, source);
}

void stream_client::connect(tcp::endpoint const& server, net::ip::address const& source)
{
    phase_ = phase::opening;
    started_at_ = bench_clock::now();
    error_code ec;
    socket_.open(setup_.server.protocol(), ec);
    if (!ec)
        socket_.set_option(bind_address_no_port(true), ec);
    if (!ec)
        socket_.bind({source, 0}, ec);
    if (ec) {
        // Reported from the event loop: the run opens the next stream from on_failed, and ten
        // thousand failures in a row must not nest ten thousand calls deep.
        return net::post(socket_.get_executor(), [this, ec] { end("bind: " + ec.message()); });
    }
    socket_.async_connect(server, [this](error_code e) { on_connect(e); });
}

void stream_client::on_connect(error_code ec)
{
    if (phase_ == phase::closed)
        return;
    if (ec)
        return end("connect: " + ec.message());
    net::async_write(socket_, net::buffer(request_),
                     [this](error_code e, std::size_t n) { on_request_written(e, n); });
}

void stream_client::on_request_written(error_code ec, std::size_t)
{
    if (phase_ == phase::closed)
        return;
    if (ec)
        return end("write request: " + ec.message());
    std::string{}.swap(request_);
    // From here on the stream is read by the poller, outside Asio, non-blocking, into one
    // buffer shared by every stream: ten thousand idle streams cost no read buffer each.
    socket_.non_blocking(true, ec);
    if (!ec)
        fd_ = socket_.release(ec);
    if (ec)
        return end("release: " + ec.message());
    if (!poller_.add(fd_, *this))
        return end("epoll_ctl: " + std::string(std::strerror(errno)));
}

void stream_client::on_readable()
{
    if (phase_ == phase::draining)
        return read_drain();
    if (phase_ == phase::opening || phase_ == phase::streaming)
        read_stream();
}

void stream_client::read_stream()
{
    auto const before = received_;
    for (int i = 0; i < reads_per_wakeup; ++i) {
        auto const n = ::read(fd_, read_buffer_.data(), read_buffer_.size());
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            break;
        if (n == 0)
            return end("the server closed the stream");
        if (n < 0)
            return end("read: " + std::string(std::strerror(errno)));
        auto const size = static_cast<std::size_t>(n);
        read_at_ = bench_clock::now();
        bytes_ += size;
        parser_.feed(std::string_view(read_buffer_.data(), size), *this);
        if (parser_.current() == stream_parser::state::failed)
            return end(parser_.error());
        if (parser_.current() == stream_parser::state::ended)
            return end("the server ended the stream");
        // Nchan greets with a comment, not an event: the stream is open with its headers.
        if (phase_ == phase::opening && setup_.target == server_kind::nchan &&
            parser_.current() != stream_parser::state::head)
            on_opened();
        if (phase_ == phase::closed)
            return;
        if (slow_ && phase_ == phase::streaming) {
            // A slow reader stops here (and leaves the poller, which would wake it for ever)
            // until the run drains it.
            poller_.remove(fd_);
            return;
        }
        if (size < read_buffer_.size())
            break;
    }
    if (received_ != before)
        observer_.on_progress();
}

void stream_client::drain()
{
    if (phase_ != phase::streaming)
        return;
    phase_ = phase::draining;
    if (!poller_.add(fd_, *this)) {
        close();
        observer_.on_drained(*this, false);
    }
}

void stream_client::read_drain()
{
    for (;;) {
        auto const n = ::read(fd_, read_buffer_.data(), read_buffer_.size());
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return; // the poller calls again
        if (n <= 0)
            break;
        bytes_ += static_cast<std::size_t>(n);
    }
    // End of stream or reset: either way the server has let go of this stream.
    close();
    observer_.on_drained(*this, true);
}

void stream_client::on_opened()
{
    phase_ = phase::streaming;
    opened_ = true;
    auto const micros =
        std::chrono::duration_cast<std::chrono::microseconds>(bench_clock::now() - started_at_)
            .count();
    (resuming_ ? tally_.reconnect : tally_.connect).record(static_cast<std::uint64_t>(micros));
    observer_.on_open(*this);
}

void stream_client::on_event(sse_event const& e)
{
    if (phase_ == phase::closed)
        return;
    if (setup_.target == server_kind::nchan) {
        if (phase_ == phase::opening)
            on_opened();
        if (e.event == "message" && phase_ == phase::streaming)
            return on_bench_event(e);
    } else {
        if (e.event == "db" && phase_ == phase::streaming)
            return on_bench_event(e);
        if (e.event == "connected" && phase_ == phase::opening)
            return on_opened();
        if (e.event == "resync") {
            ++tally_.resyncs;
            return;
        }
    }
    ++tally_.unexpected;
}

void stream_client::on_bench_event(sse_event const& e)
{
    auto const s = parse_stamp(e.data);
    if (!s || s->seq >= setup_.notifications) {
        ++tally_.unexpected;
        return;
    }
    // Nchan's ids are its own (time:tag, one tag per channel): only sse-server's are checked.
    bool const check_ids = setup_.target == server_kind::sse_server;
    std::optional<event_id> id;
    if (check_ids) {
        id = event_id::parse(e.id);
        if (!id) {
            ++tally_.unexpected;
            return;
        }
    }
    // Routing, not data: a forwarded notification that still has it leaks who else gets it.
    if (setup_.audience_checked && e.data.find(R"("audience")") != std::string_view::npos) {
        ++tally_.unexpected;
        return;
    }
    auto const r = setup_.routes.of(s->seq);
    if (!r.broadcast &&
        (r.index != (r.account ? index_ : name_index_) || (!r.account && !in_audience_))) {
        ++tally_.misrouted;
        return;
    }
    auto& got = positions_of(r);
    if (got.seen[r.position]) {
        ++tally_.duplicates;
        return;
    }
    got.seen[r.position] = true;

    // Resuming with Last-Event-ID relies on ids that grow along every stream and name the
    // same notification in every stream.
    bool const id_back = check_ids && received_ > 0 && *id <= last_id_;
    bool const seq_back = setup_.sequence_ordered && got.any && r.position < got.highest;
    if (id_back || seq_back)
        ++tally_.order_violations;
    got.any = true;
    got.highest = std::max(got.highest, r.position);
    if (check_ids) {
        last_id_ = std::max(last_id_, *id);
        auto& first_seen = tally_.id_of_seq[s->seq];
        if (first_seen == event_id{})
            first_seen = *id;
        else if (first_seen != *id)
            ++tally_.inconsistent_ids;
    }
    ++received_;

    auto const now_ns = steady_ns(read_at_);
    auto const latency_ns = now_ns > s->sent_ns ? now_ns - s->sent_ns : 0;
    if (r.broadcast) {
        tally_.broadcast_latency.record(latency_ns / 1000);
        ++tally_.broadcasts_delivered;
    } else {
        tally_.latency.record(latency_ns / 1000);
    }
    ++tally_.delivered;
    tally_.last_delivery = read_at_;
}

stream_client::received_positions& stream_client::positions_of(route const& r)
{
    auto& got = r.broadcast ? broadcast_ : r.account ? account_ : name_;
    if (got.seen.empty()) {
        auto const m = setup_.notifications;
        got.seen.resize(r.broadcast ? setup_.routes.broadcast_positions(m)
                        : r.account ? setup_.routes.user_positions(m)
                                    : setup_.routes.name_positions(m));
    }
    return got;
}

void stream_client::end(std::string const& why)
{
    if (phase_ == phase::closed)
        return;
    auto const was = phase_;
    close();
    if (was == phase::streaming)
        observer_.on_lost(*this, why);
    else if (was != phase::draining)
        observer_.on_failed(*this, why);
}

void stream_client::close()
{
    phase_ = phase::closed;
    error_code ignored;
    socket_.close(ignored);
    if (fd_ >= 0) {
        // Closing removes it from the poller; an event already fetched finds it closed.
        ::close(fd_);
        fd_ = -1;
    }
}

} // namespace sse_server::bench
