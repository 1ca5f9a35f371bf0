#include "bench_run.hpp"

#include "api_keys.hpp"
#include "payload.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>

namespace sse_server::bench {

namespace {

constexpr std::size_t read_buffer_bytes = 64 * 1024;

tcp::endpoint to_endpoint(endpoint const& e)
{
    return {net::ip::make_address(e.host), e.port};
}

double seconds_between(bench_clock::time_point from, bench_clock::time_point to)
{
    return std::chrono::duration<double>(to - from).count();
}

} // namespace

bench_run::bench_run(net::io_context& ioc, options const& o)
    : opts_(o), setup_{to_endpoint(o.clients), o.events, o.notifications,
                       o.notify_connections == 1},
      notify_endpoint_(to_endpoint(o.notify)), read_buffer_(read_buffer_bytes),
      notifier_(ioc, o, *this), deadline_(ioc), accepted_per_name_(o.events, 0),
      live_per_name_(o.events, 0)
{
    tally_.id_of_seq.resize(o.notifications);
    clients_.reserve(o.connections);
    for (std::size_t i = 0; i < o.connections; ++i) {
        auto const name = i % o.events;
        auto request =
            "GET /events?events=" + event_name(name) + " HTTP/1.1\r\nHost: " + o.clients.host +
            ":" + std::to_string(o.clients.port) +
            "\r\nAccept: text/event-stream\r\nX-API-Key: " + api_key_of(o, i) + "\r\n\r\n";
        clients_.push_back(std::make_unique<stream_client>(ioc, setup_, std::move(request), name,
                                                           read_buffer_, tally_,
                                                           static_cast<stream_observer&>(*this)));
    }
}

void bench_run::start()
{
    began_ = bench_clock::now();
    if (opts_.daemon_pid)
        daemon_before_ = sample_process(opts_.daemon_pid);
    deadline_.expires_after(opts_.duration);
    deadline_.async_wait([this](error_code ec) {
        if (ec || finished_)
            return;
        timed_out_ = true;
        finish("");
    });
    // A bounded window of streams being opened: the daemon's accept backlog and its Redis
    // lookups see a steady flow instead of ten thousand SYNs at once.
    for (std::size_t i = 0; i < opts_.connect_window && next_client_ < clients_.size(); ++i)
        open_next();
}

void bench_run::open_next()
{
    if (finished_ || next_client_ == clients_.size())
        return;
    clients_[next_client_++]->start();
}

void bench_run::on_open(stream_client& c)
{
    ++opened_;
    ++live_per_name_[c.name_index()];
    open_next();
    if (opened_ + failed_ == clients_.size())
        on_opening_done();
}

void bench_run::on_failed(stream_client&, std::string const& why)
{
    if (failed_++ == 0)
        first_failure_ = why;
    open_next();
    if (opened_ + failed_ == clients_.size())
        on_opening_done();
}

void bench_run::on_lost(stream_client& c, std::string const& why)
{
    if (finished_)
        return;
    if (lost_++ == 0 && first_failure_.empty())
        first_failure_ = why;
    --live_per_name_[c.name_index()];
    expected_live_ -= accepted_per_name_[c.name_index()];
    received_by_lost_ += c.received();
    check_done();
}

void bench_run::on_opening_done()
{
    all_open_at_ = bench_clock::now();
    if (opts_.daemon_pid)
        daemon_connected_ = sample_process(opts_.daemon_pid);
    own_cpu_connected_ = own_cpu_seconds();
    if (opened_ == 0)
        return finish("no stream opened: " + first_failure_);
    if (opts_.notifications == 0)
        return finish("");
    notifier_.start(notify_endpoint_);
}

void bench_run::on_accepted(std::uint64_t first, std::size_t count, std::uint64_t recipients)
{
    last_accept_ = bench_clock::now();
    accepted_ += count;
    recipients_ += recipients;
    for (auto s = first; s < first + count; ++s) {
        auto const name = static_cast<std::size_t>(s % opts_.events);
        ++accepted_per_name_[name];
        expected_live_ += live_per_name_[name];
    }
    check_done();
}

void bench_run::on_notify_failed(std::string const& why)
{
    finish(why);
}

void bench_run::on_progress()
{
    check_done();
}

void bench_run::check_done()
{
    if (finished_ || accepted_ < opts_.notifications)
        return;
    if (tally_.delivered - received_by_lost_ >= expected_live_)
        finish("");
}

void bench_run::finish(std::string error)
{
    if (finished_)
        return;
    finished_ = true;
    finished_at_ = bench_clock::now();
    error_ = std::move(error);
    if (opts_.daemon_pid)
        daemon_after_ = sample_process(opts_.daemon_pid);
    own_cpu_after_ = own_cpu_seconds();
    deadline_.cancel();
    notifier_.stop();
    for (auto& c : clients_)
        c->close();
}

report bench_run::result() const
{
    report r;
    r.label = opts_.label;
    r.connections_requested = clients_.size();
    r.connections_open = opened_;
    r.connections_failed = failed_;
    r.streams_lost = lost_;
    r.first_failure = first_failure_;
    if (opened_ + failed_ == clients_.size())
        r.connect_seconds = seconds_between(began_, all_open_at_);

    r.notifications_requested = opts_.notifications;
    r.notifications_sent = notifier_.sent();
    r.notifications_accepted = accepted_;
    r.posts = notifier_.posts();
    r.rate_requested = opts_.rate;
    auto const posting_began = notifier_.started_at();
    if (accepted_ > 0)
        r.notifications_per_second =
            static_cast<double>(accepted_) / seconds_between(posting_began, last_accept_);

    for (auto const& c : clients_) {
        if (!c->opened())
            continue;
        auto const expected = accepted_per_name_[c->name_index()];
        r.deliveries_expected += expected;
        r.loss += expected > c->received() ? expected - c->received() : 0;
    }
    r.deliveries_reported = recipients_;
    r.events_delivered = tally_.delivered;
    r.duplicates = tally_.duplicates;
    r.order_violations = tally_.order_violations;
    r.sequence_order_checked = setup_.sequence_ordered;
    r.inconsistent_ids = tally_.inconsistent_ids;
    r.misrouted = tally_.misrouted;
    r.unexpected = tally_.unexpected;
    if (tally_.delivered > 0)
        r.deliveries_per_second = static_cast<double>(tally_.delivered) /
                                  seconds_between(posting_began, tally_.last_delivery);

    auto const& h = tally_.latency;
    r.latency_p50_ms = h.quantile(0.50) / 1000;
    r.latency_p90_ms = h.quantile(0.90) / 1000;
    r.latency_p99_ms = h.quantile(0.99) / 1000;
    r.latency_p999_ms = h.quantile(0.999) / 1000;
    r.latency_max_ms = static_cast<double>(h.max()) / 1000;
    r.latency_mean_ms = h.mean() / 1000;

    r.rss_before_kb = daemon_before_.rss_kb;
    r.rss_connected_kb = daemon_connected_.rss_kb;
    r.rss_after_kb = daemon_after_.rss_kb;
    if (notifier_.posts() > 0) {
        r.notify_phase_seconds = seconds_between(posting_began, finished_at_);
        r.bench_cpu_seconds = own_cpu_after_ - own_cpu_connected_;
        if (daemon_connected_.cpu_seconds && daemon_after_.cpu_seconds)
            r.daemon_cpu_seconds = *daemon_after_.cpu_seconds - *daemon_connected_.cpu_seconds;
    }
    r.elapsed_seconds = seconds_between(began_, finished_at_);
    r.timed_out = timed_out_;
    r.error = error_;
    return r;
}

} // namespace sse_server::bench
