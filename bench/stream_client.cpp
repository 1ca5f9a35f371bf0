#include "stream_client.hpp"

#include "payload.hpp"

#include <algorithm>
#include <boost/asio/write.hpp>

namespace sse_server::bench {

namespace {

// Reads per wake-up before yielding to the other streams, so one busy stream cannot starve
// ten thousand others.
constexpr int reads_per_wakeup = 4;

} // namespace

stream_client::stream_client(net::io_context& ioc, stream_setup const& setup, std::string request,
                             std::size_t name_index, std::vector<char>& read_buffer,
                             delivery_tally& tally, stream_observer& observer)
    : setup_(setup), socket_(ioc), request_(std::move(request)), name_index_(name_index),
      read_buffer_(read_buffer), tally_(tally), observer_(observer)
{
}

void stream_client::start()
{
    phase_ = phase::opening;
    socket_.async_connect(setup_.server, [this](error_code ec) { on_connect(ec); });
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
    // Readiness plus non-blocking reads into one buffer shared by every stream: ten thousand
    // idle streams then cost no read buffer each.
    socket_.non_blocking(true, ec);
    if (ec)
        return end("non_blocking: " + ec.message());
    do_wait();
}

void stream_client::do_wait()
{
    socket_.async_wait(tcp::socket::wait_read, [this](error_code ec) { on_readable(ec); });
}

void stream_client::on_readable(error_code ec)
{
    if (phase_ == phase::closed)
        return;
    if (ec)
        return end("wait: " + ec.message());
    auto const before = received_;
    for (int i = 0; i < reads_per_wakeup; ++i) {
        auto const n = socket_.read_some(net::buffer(read_buffer_), ec);
        if (ec == net::error::would_block || ec == net::error::try_again)
            break;
        if (ec == net::error::eof)
            return end("the server closed the stream");
        if (ec)
            return end("read: " + ec.message());
        read_at_ = bench_clock::now();
        parser_.feed(std::string_view(read_buffer_.data(), n), *this);
        if (parser_.current() == stream_parser::state::failed)
            return end(parser_.error());
        if (parser_.current() == stream_parser::state::ended)
            return end("the server ended the stream");
        if (phase_ == phase::closed)
            return;
        if (n < read_buffer_.size())
            break;
    }
    if (received_ != before)
        observer_.on_progress();
    // The observer may have finished the run, which closed this stream.
    if (phase_ != phase::closed)
        do_wait();
}

void stream_client::on_event(sse_event const& e)
{
    if (phase_ == phase::closed)
        return;
    if (e.event == "db" && phase_ == phase::streaming)
        return on_bench_event(e);
    if (e.event == "connected" && phase_ == phase::opening) {
        phase_ = phase::streaming;
        opened_ = true;
        return observer_.on_open(*this);
    }
    ++tally_.unexpected;
}

void stream_client::on_bench_event(sse_event const& e)
{
    auto const s = parse_stamp(e.data);
    auto const id = event_id::parse(e.id);
    if (!s || !id || s->seq >= setup_.notifications) {
        ++tally_.unexpected;
        return;
    }
    if (s->seq % setup_.events != name_index_) {
        ++tally_.misrouted;
        return;
    }
    auto const position = s->seq / setup_.events;
    if (seen_.empty())
        seen_.resize((setup_.notifications + setup_.events - 1) / setup_.events);
    if (seen_[position]) {
        ++tally_.duplicates;
        return;
    }
    seen_[position] = true;

    // Resuming with Last-Event-ID relies on ids that grow along every stream and name the
    // same notification in every stream.
    if (received_ > 0 && (*id <= last_id_ || (setup_.sequence_ordered && position < highest_)))
        ++tally_.order_violations;
    last_id_ = std::max(last_id_, *id);
    highest_ = std::max(highest_, position);
    auto& first_seen = tally_.id_of_seq[s->seq];
    if (first_seen == event_id{})
        first_seen = *id;
    else if (first_seen != *id)
        ++tally_.inconsistent_ids;
    ++received_;

    auto const now_ns = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(read_at_.time_since_epoch()).count());
    auto const latency_ns = now_ns > s->sent_ns ? now_ns - s->sent_ns : 0;
    tally_.latency.record(latency_ns / 1000);
    ++tally_.delivered;
    tally_.last_delivery = read_at_;
}

void stream_client::end(std::string const& why)
{
    if (phase_ == phase::closed)
        return;
    auto const was = phase_;
    close();
    if (was == phase::streaming)
        observer_.on_lost(*this, why);
    else
        observer_.on_failed(*this, why);
}

void stream_client::close()
{
    phase_ = phase::closed;
    error_code ignored;
    socket_.close(ignored);
}

} // namespace sse_server::bench
