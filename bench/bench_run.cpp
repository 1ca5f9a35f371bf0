#include "bench_run.hpp"

#include "payload.hpp"
#include "reconnect_delay.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cstdio>
#include <fstream>

namespace sse_server::bench {

namespace {

constexpr std::size_t read_buffer_bytes = 64 * 1024;
constexpr auto sample_every = std::chrono::milliseconds(100);
// The browser client's reconnection time until the daemon announces its own.
constexpr auto default_retry = std::chrono::milliseconds(1000);

tcp::endpoint to_endpoint(endpoint const& e)
{
    return {net::ip::make_address(e.host), e.port};
}

double seconds_between(bench_clock::time_point from, bench_clock::time_point to)
{
    return std::chrono::duration<double>(to - from).count();
}

// K slow streams spread evenly over N: every (N div K)-th one, from the first.
bool is_slow(std::size_t index, std::size_t slow, std::size_t streams)
{
    if (slow == 0)
        return false;
    auto const stride = streams / slow;
    return index % stride == 0 && index / stride < slow;
}

} // namespace

bench_run::bench_run(net::io_context& ioc, options const& o)
    : opts_(o), credentials_(o), audience_(o), setup_{o.target,
                                     to_endpoint(o.clients),
                                     router(o.events, o.connections, o.account_every, o.broadcast),
                                     o.notifications,
                                     o.notify_connections == 1,
                                     audience_.compared()},
      notify_endpoint_(to_endpoint(o.notify)), read_buffer_(read_buffer_bytes), poller_(ioc),
      notifier_(ioc, o, setup_.routes, audience_, *this), deadline_(ioc), phase_timer_(ioc),
      sampler_(ioc), reconnects_(ioc, [this](std::size_t i) { reconnect(i); }),
      jitter_(std::random_device{}()), accepted_per_name_(o.events, 0),
      accepted_per_user_(o.connections, 0), live_per_name_(o.events, 0), live_(o.connections, 0)
{
    for (auto const& e : o.reconnect_to)
        reconnect_endpoints_.push_back(to_endpoint(e));
    if (!reconnect_endpoints_.empty()) {
        reconnect_attempts_.resize(o.connections, 0);
        reconnect_failures_.resize(o.connections, 0);
    }
    if (o.target == server_kind::sse_server && o.connections > 0)
        tally_.id_of_seq.resize(o.notifications);
    clients_.reserve(o.connections);
    // Every request is made here, tokens signed included, before start(): the connect time
    // measures the server, not the signing.
    for (std::size_t i = 0; i < o.connections; ++i) {
        auto const name = i % o.events;
        auto const reached = audience_.reaches(i);
        clients_.push_back(std::make_unique<stream_client>(
            ioc, setup_, request_for(i, name, reached, credential_of(i)), i, name, reached,
            is_slow(i, o.slow, o.connections), poller_, read_buffer_, tally_,
            static_cast<stream_observer&>(*this)));
    }
}

std::string bench_run::credential_of(std::size_t index) const
{
    return opts_.target == server_kind::sse_server ? credentials_.header_of(index)
                                                   : std::string();
}

std::string bench_run::request_for(std::size_t index, std::size_t name, bool in_audience,
                                   std::string const& credential) const
{
    auto const host = "\r\nHost: " + opts_.clients.host + ":" + std::to_string(opts_.clients.port);
    if (opts_.target == server_kind::nchan) {
        // One subscriber on several channels: Nchan's multiplexed subscription.
        auto channels = event_name(name);
        if (opts_.account_every > 0) {
            channels += ',';
            channels += user_channel(index);
        }
        return "GET /sub/" + channels + " HTTP/1.1" + host +
               "\r\nAccept: text/event-stream\r\n\r\n";
    }
    // The baseline of an audience: the same streams, the same recipients, routed by name.
    auto subscription =
        opts_.audience_by_name && !in_audience ? std::string("bench-outside") : event_name(name);
    if (opts_.broadcast > 0)
        subscription = std::string(broadcast_name) + "," + subscription;
    return "GET /events?events=" + subscription + " HTTP/1.1" + host +
           "\r\nAccept: text/event-stream\r\n" + credential + "\r\n";
}

// Spread over 127.0.0.1 .. 127.0.0.S: each source address has its own ~28 000 ephemeral
// ports, and the TIME_WAIT of one run does not starve the next.
net::ip::address bench_run::source_for(std::size_t index) const
{
    auto const last = static_cast<unsigned>(1 + index % opts_.source_addresses);
    return net::ip::address_v4((127u << 24) | last);
}

void bench_run::start()
{
    began_ = bench_clock::now();
    if (opts_.server_pid) {
        server_before_ = sample_process(opts_.server_pid);
        sample_server();
    }
    deadline_.expires_after(opts_.duration);
    deadline_.async_wait([this](error_code ec) {
        if (ec || finished_)
            return;
        timed_out_ = true;
        finish("");
    });
    if (clients_.empty())
        return on_opening_done();
    // A bounded window of streams being opened: the server's accept backlog and its Redis
    // lookups see a steady flow instead of ten thousand SYNs at once.
    for (std::size_t i = 0; i < opts_.connect_window && next_client_ < clients_.size(); ++i)
        open_next();
}

void bench_run::sample_server()
{
    auto const s = sample_process(opts_.server_pid);
    if (s.rss_kb)
        server_rss_max_kb_ = std::max(server_rss_max_kb_, *s.rss_kb);
    if (finished_)
        return;
    sampler_.expires_after(sample_every);
    sampler_.async_wait([this](error_code ec) {
        if (!ec)
            sample_server();
    });
}

void bench_run::open_next()
{
    if (finished_ || next_client_ == clients_.size())
        return;
    auto const index = next_client_++;
    clients_[index]->start(source_for(index));
}

void bench_run::on_open(stream_client& c)
{
    if (c.resuming())
        return on_back(c);
    ++opened_;
    if (c.slow()) {
        ++slow_opened_;
    } else {
        if (c.in_audience())
            ++live_per_name_[c.name_index()];
        live_[c.index()] = 1;
        ++live_count_;
    }
    open_next();
    if (opened_ + failed_ == clients_.size())
        on_opening_done();
}

void bench_run::on_failed(stream_client& c, std::string const& why)
{
    if (c.resuming())
        return on_reconnect_failed(c, why);
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
    // Its daemon died or let it go: a browser would reconnect (through the load balancer, to
    // another daemon) and resume; until it gives up, what it must receive is still expected.
    if (!reconnect_endpoints_.empty() && !c.slow() && !notify_phase_over_) {
        if (streams_moved_++ == 0)
            first_loss_at_ = bench_clock::now();
        ++away_;
        reconnect_failures_[c.index()] = 0;
        return schedule_reconnect(c, why);
    }
    forget(c, why);
}

void bench_run::forget(stream_client& c, std::string const& why)
{
    if (lost_++ == 0 && first_failure_.empty())
        first_failure_ = why;
    if (c.in_audience())
        --live_per_name_[c.name_index()];
    live_[c.index()] = 0;
    --live_count_;
    expected_live_ -= expected_for(c);
    received_by_lost_ += c.received();
    check_done();
}

void bench_run::schedule_reconnect(stream_client& c, std::string const& why)
{
    auto const i = c.index();
    if (reconnect_attempts_[i] >= opts_.reconnect_attempts) {
        --away_;
        return forget(c, "gave up reconnecting after " + std::to_string(reconnect_attempts_[i]) +
                             " attempts: " + why);
    }
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    auto const delay = reconnect_delay(c.retry().value_or(default_retry), reconnect_failures_[i],
                                       uniform(jitter_));
    reconnects_.schedule(i, bench_clock::now() + delay);
}

void bench_run::reconnect(std::size_t index)
{
    if (finished_)
        return;
    if (reconnects_tried_++ == 0)
        first_reconnect_at_ = bench_clock::now();
    ++reconnect_attempts_[index];
    auto& c = *clients_[index];
    c.resume(reconnect_endpoints_[index % reconnect_endpoints_.size()], resume_request(c),
             source_for(index));
}

// The same request, Host included (a browser reconnects to the same URL; the load balancer
// picks the daemon), plus the cursor the daemon resumes from.
std::string bench_run::resume_request(stream_client const& c) const
{
    auto request =
        request_for(c.index(), c.name_index(), c.in_audience(), credential_of(c.index()));
    if (!c.last_event_id().empty()) // every stream had one: its `connected` event's
        request.insert(request.size() - 2, "Last-Event-ID: " + c.last_event_id() + "\r\n");
    return request;
}

void bench_run::on_reconnect_failed(stream_client& c, std::string const& why)
{
    if (finished_)
        return;
    auto const status = c.status();
    if (status != 0 && status != 200)
        ++reconnects_refused_[status];
    else
        ++reconnect_errors_;
    if (first_failure_.empty())
        first_failure_ = "reconnect: " + why;
    ++reconnect_failures_[c.index()];
    schedule_reconnect(c, why);
}

void bench_run::on_back(stream_client& c)
{
    --away_;
    ++streams_back_;
    last_back_at_ = bench_clock::now();
    reconnect_failures_[c.index()] = 0;
    if (away_ == 0 && !opts_.back_file.empty() && !back_file_written_) {
        back_file_written_ = true;
        if (auto const problem =
                write_file(opts_.back_file, std::to_string(streams_back_) + " streams back\n"))
            return finish(*problem);
    }
    check_done();
}

void bench_run::on_opening_done()
{
    all_open_at_ = bench_clock::now();
    if (!clients_.empty() && opened_ == 0)
        return finish("no stream opened: " + first_failure_);
    if (opts_.hold.count() == 0)
        return start_notifying();
    phase_timer_.expires_after(opts_.hold);
    phase_timer_.async_wait([this](error_code ec) {
        if (!ec && !finished_)
            start_notifying();
    });
}

void bench_run::start_notifying()
{
    if (opts_.server_pid)
        server_connected_ = sample_process(opts_.server_pid);
    own_cpu_connected_ = own_cpu_seconds();
    ready_at_ = bench_clock::now();
    if (!opts_.ready_file.empty()) {
        if (auto const problem =
                write_file(opts_.ready_file, std::to_string(opened_) + " streams open\n"))
            return finish(*problem);
    }
    if (opts_.notifications == 0)
        return end_notify_phase();
    if (!opts_.receive_only)
        return notifier_.start(notify_endpoint_, source_for(0));
    // Another process posts them: each is expected as if accepted now, and a run whose
    // notifications never come ends at the duration cap with them counted as lost.
    on_accepted(0, opts_.notifications, std::nullopt);
}

std::optional<std::string> bench_run::write_file(std::string const& path, std::string const& text)
{
    // Written whole, then renamed.
    auto const partial = path + ".partial";
    {
        std::ofstream out(partial, std::ios::trunc);
        out << text;
        if (!out)
            return "cannot write " + partial;
    }
    if (std::rename(partial.c_str(), path.c_str()) != 0)
        return "cannot create " + path;
    return std::nullopt;
}

void bench_run::check_broadcasts()
{
    if (opts_.broadcast_file.empty() || broadcast_file_written_ ||
        accepted_broadcasts_ < opts_.broadcast || opened_ + failed_ < clients_.size())
        return;
    // Streams lost since may have had some: then the file comes early, and the loss is
    // reported anyway.
    if (tally_.broadcasts_delivered < live_count_ * opts_.broadcast)
        return;
    broadcast_file_written_ = true;
    if (auto const problem =
            write_file(opts_.broadcast_file,
                       std::to_string(tally_.broadcasts_delivered) + " broadcast deliveries\n"))
        finish(*problem);
}

std::uint64_t bench_run::expected_for(stream_client const& c) const
{
    return (c.in_audience() ? accepted_per_name_[c.name_index()] : 0) +
           accepted_per_user_[c.index()] + accepted_broadcasts_;
}

bench_clock::time_point bench_run::posting_began() const
{
    return opts_.receive_only ? ready_at_ : notifier_.started_at();
}

void bench_run::on_accepted(std::uint64_t first, std::size_t count,
                            std::optional<std::uint64_t> recipients)
{
    last_accept_ = bench_clock::now();
    accepted_ += count;
    if (recipients)
        recipients_ += *recipients;
    else
        recipients_known_ = false;
    for (auto s = first; s < first + count; ++s) {
        auto const r = setup_.routes.of(s);
        if (r.broadcast) {
            ++accepted_broadcasts_;
            expected_live_ += live_count_;
        } else if (r.account) {
            ++accepted_per_user_[r.index];
            expected_live_ += live_[r.index];
        } else {
            ++accepted_per_name_[r.index];
            expected_live_ += live_per_name_[r.index];
        }
    }
    check_done();
}

void bench_run::on_notify_failed(std::string const& why)
{
    finish(why);
}

void bench_run::on_progress()
{
    check_broadcasts();
    check_done();
}

void bench_run::check_done()
{
    if (finished_ || notify_phase_over_ || accepted_ < opts_.notifications - opts_.post_from)
        return;
    // Every stream that ended must be back: the storm is over only then.
    if (away_ > 0)
        return;
    if (tally_.delivered - received_by_lost_ >= expected_live_)
        end_notify_phase();
}

void bench_run::end_notify_phase()
{
    notify_phase_over_ = true;
    notify_over_at_ = bench_clock::now();
    if (opts_.server_pid)
        server_after_ = sample_process(opts_.server_pid);
    own_cpu_after_ = own_cpu_seconds();
    notifier_.stop();
    if (slow_opened_ == 0)
        return finish("");
    start_drain();
}

void bench_run::start_drain()
{
    phase_timer_.expires_after(opts_.slow_drain);
    phase_timer_.async_wait([this](error_code ec) {
        if (!ec)
            finish("");
    });
    for (auto& c : clients_)
        if (c->slow() && c->opened())
            c->drain();
}

void bench_run::on_drained(stream_client&, bool closed)
{
    ++slow_drained_;
    if (closed)
        ++slow_closed_;
    if (slow_drained_ == slow_opened_)
        finish("");
}

void bench_run::finish(std::string error)
{
    if (finished_)
        return;
    finished_ = true;
    finished_at_ = bench_clock::now();
    error_ = std::move(error);
    if (!notify_phase_over_) {
        notify_over_at_ = finished_at_;
        if (opts_.server_pid)
            server_after_ = sample_process(opts_.server_pid);
        own_cpu_after_ = own_cpu_seconds();
    }
    if (server_after_.rss_kb)
        server_rss_max_kb_ = std::max(server_rss_max_kb_, *server_after_.rss_kb);
    deadline_.cancel();
    phase_timer_.cancel();
    sampler_.cancel();
    reconnects_.stop();
    notifier_.stop();
    for (auto& c : clients_)
        c->close();
    poller_.stop();
}

report bench_run::result() const
{
    report r;
    r.label = opts_.label;
    r.receive_only = opts_.receive_only;
    r.target = to_string(opts_.target);
    r.connections_requested = clients_.size();
    r.connections_open = opened_;
    r.connections_failed = failed_;
    r.streams_lost = lost_;
    r.first_failure = first_failure_;
    if (!clients_.empty() && opened_ + failed_ == clients_.size())
        r.connect_seconds = seconds_between(began_, all_open_at_);
    auto const& ch = tally_.connect;
    r.connect_p50_ms = ch.quantile(0.50) / 1000;
    r.connect_p99_ms = ch.quantile(0.99) / 1000;
    r.connect_max_ms = static_cast<double>(ch.max()) / 1000;
    r.reconnecting = !reconnect_endpoints_.empty();
    r.streams_moved = streams_moved_;
    r.streams_back = streams_back_;
    r.reconnect_attempts = reconnects_tried_;
    r.reconnects_refused = reconnects_refused_;
    r.reconnect_errors = reconnect_errors_;
    if (streams_back_ > 0) {
        r.storm_seconds = seconds_between(first_loss_at_, last_back_at_);
        r.reconnect_window_seconds = seconds_between(first_reconnect_at_, last_back_at_);
    }
    auto const& rh = tally_.reconnect;
    r.reconnect_p50_ms = rh.quantile(0.50) / 1000;
    r.reconnect_p99_ms = rh.quantile(0.99) / 1000;
    r.reconnect_max_ms = static_cast<double>(rh.max()) / 1000;
    r.resyncs = tally_.resyncs;

    r.notifications_requested = opts_.notifications - opts_.post_from;
    r.notifications_sent = notifier_.sent();
    r.notifications_accepted = accepted_;
    r.posts = notifier_.posts();
    r.rate_requested = opts_.rate;
    r.batch = opts_.batch;
    r.pipeline = opts_.pipeline;
    r.notify_connections = opts_.notify_connections;
    auto const posting_began = this->posting_began();
    if (accepted_ > 0 && !opts_.receive_only)
        r.notifications_per_second =
            static_cast<double>(accepted_) / seconds_between(posting_began, last_accept_);

    for (auto const& c : clients_) {
        if (!c->opened() || c->slow())
            continue;
        auto const expected = expected_for(*c);
        r.deliveries_expected += expected;
        r.loss += expected > c->received() ? expected - c->received() : 0;
    }
    if (recipients_known_)
        r.deliveries_reported = recipients_;
    r.events_delivered = tally_.delivered;
    r.duplicates = tally_.duplicates;
    r.order_violations = tally_.order_violations;
    r.sequence_order_checked = setup_.sequence_ordered;
    r.ids_checked = opts_.target == server_kind::sse_server;
    r.inconsistent_ids = tally_.inconsistent_ids;
    r.misrouted = tally_.misrouted;
    r.unexpected = tally_.unexpected;
    if (tally_.delivered > 0)
        r.deliveries_per_second = static_cast<double>(tally_.delivered) /
                                  seconds_between(posting_began, tally_.last_delivery);

    auto const& b = tally_.broadcast_latency;
    r.broadcast_latency_p50_ms = b.quantile(0.50) / 1000;
    r.broadcast_latency_max_ms = static_cast<double>(b.max()) / 1000;
    r.broadcasts = opts_.broadcast;
    auto const& h = tally_.latency;
    r.latency_p50_ms = h.quantile(0.50) / 1000;
    r.latency_p90_ms = h.quantile(0.90) / 1000;
    r.latency_p99_ms = h.quantile(0.99) / 1000;
    r.latency_p999_ms = h.quantile(0.999) / 1000;
    r.latency_max_ms = static_cast<double>(h.max()) / 1000;
    r.latency_mean_ms = h.mean() / 1000;

    r.slow_requested = opts_.slow;
    r.slow_opened = slow_opened_;
    r.slow_closed = slow_closed_;
    r.slow_must_close = opts_.target == server_kind::sse_server;
    std::uint64_t slow_bytes = 0;
    for (auto const& c : clients_) {
        if (!c->slow() || !c->opened())
            continue;
        slow_bytes += c->bytes_read();
        r.slow_bytes_max = std::max(r.slow_bytes_max, c->bytes_read());
    }
    if (slow_opened_ > 0)
        r.slow_bytes_mean = static_cast<double>(slow_bytes) / static_cast<double>(slow_opened_);

    r.rss_before_kb = server_before_.rss_kb;
    r.rss_connected_kb = server_connected_.rss_kb;
    r.rss_after_kb = server_after_.rss_kb;
    if (server_rss_max_kb_ > 0)
        r.rss_max_kb = server_rss_max_kb_;
    if (notifier_.posts() > 0 || (opts_.receive_only && accepted_ > 0)) {
        r.notify_phase_seconds = seconds_between(posting_began, notify_over_at_);
        r.bench_cpu_seconds = own_cpu_after_ - own_cpu_connected_;
        if (server_connected_.cpu_seconds && server_after_.cpu_seconds)
            r.server_cpu_seconds = *server_after_.cpu_seconds - *server_connected_.cpu_seconds;
    }
    if (server_before_.cpu_seconds && server_connected_.cpu_seconds)
        r.server_connect_cpu_seconds =
            *server_connected_.cpu_seconds - *server_before_.cpu_seconds;
    r.elapsed_seconds = seconds_between(began_, finished_at_);
    r.timed_out = timed_out_;
    r.error = error_;
    return r;
}

} // namespace sse_server::bench
