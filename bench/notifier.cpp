#include "notifier.hpp"

#include "payload.hpp"

#include <algorithm>
#include <boost/asio/write.hpp>
#include <charconv>

namespace sse_server::bench {

namespace {

constexpr std::size_t read_chunk = 16 * 1024;

std::uint64_t steady_ns(std::chrono::steady_clock::time_point t)
{
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

// sse-server answers {"accepted":N,"recipients":M,"ids":[…]} (no recipients in cluster mode):
// the numbers are found without a JSON parser
// because the notifier reads up to a few hundred thousand answers a second.
std::optional<std::uint64_t> count_after(std::string_view body, std::string_view key)
{
    auto const at = body.find(key);
    if (at == std::string_view::npos)
        return std::nullopt;
    auto const* first = body.data() + at + key.size();
    while (first < body.data() + body.size() && *first == ' ')
        ++first;
    std::uint64_t value = 0;
    auto const [ptr, ec] = std::from_chars(first, body.data() + body.size(), value);
    if (ec != std::errc{} || ptr == first)
        return std::nullopt;
    return value;
}

void append_number(std::string& out, std::uint64_t n)
{
    char digits[24];
    out.append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr);
}

} // namespace

notifier::notifier(net::io_context& ioc, options const& o, router const& routes,
                   audience_plan const& audience, notify_observer& observer)
    : opts_(o), routes_(routes), audience_(audience), observer_(observer), timer_(ioc),
      next_seq_(o.post_from)
{
    for (std::size_t i = 0; i < o.notify_connections; ++i)
        posters_.push_back(std::make_unique<poster>(ioc));
}

void notifier::start(tcp::endpoint const& to, net::ip::address const& source)
{
    host_header_ = to.address().to_string() + ":" + std::to_string(to.port());
    for (auto& p : posters_) {
        error_code ec;
        p->socket.open(to.protocol(), ec);
        if (!ec)
            p->socket.bind({source, 0}, ec);
        if (ec)
            return fail("notification connection: " + ec.message());
        p->socket.async_connect(to, [this, &conn = *p](error_code e) { on_connect(conn, e); });
    }
}

void notifier::on_connect(poster& p, error_code ec)
{
    if (stopped_)
        return;
    if (ec)
        return fail("connect to the notification port: " + ec.message());
    p.socket.set_option(tcp::no_delay(true), ec);
    p.ready = true;
    do_read(p);
    // Pacing starts when every connection is up, so the first second is not a burst.
    if (++connected_ == posters_.size()) {
        start_ = std::chrono::steady_clock::now();
        pump();
    }
}

void notifier::do_read(poster& p)
{
    auto* at = p.reader.prepare(read_chunk);
    p.socket.async_read_some(net::buffer(at, p.reader.capacity()),
                             [this, &p](error_code ec, std::size_t n) { on_read(p, ec, n); });
}

void notifier::on_read(poster& p, error_code ec, std::size_t n)
{
    if (stopped_)
        return;
    if (ec)
        return fail("notification connection: read: " + ec.message());
    p.reader.commit(n);
    while (auto const res = p.reader.next()) {
        if (!on_response(p, *res) || stopped_)
            return;
    }
    if (!p.reader.error().empty())
        return fail("notification connection: " + p.reader.error());
    do_read(p);
    pump();
}

bool notifier::on_response(poster& p, http_response const& res)
{
    if (p.waiting.empty()) {
        fail("a response to no request (status " + std::to_string(res.status) + ")");
        return false;
    }
    auto const sent = p.waiting.front();
    p.waiting.pop_front();
    auto const what = [&] {
        return std::string(opts_.target == server_kind::nchan ? "POST /pub" : "POST /notify") +
               ": " + std::to_string(res.status) + " " + std::string(res.body.substr(0, 200));
    };
    std::optional<std::uint64_t> recipients;
    if (opts_.target == server_kind::nchan) {
        // 201: delivered to the channel's subscribers; 202: stored, nobody listening.
        if (res.status != 201 && res.status != 202) {
            fail(what());
            return false;
        }
    } else {
        // In cluster mode the 202 has no recipients: other daemons deliver.
        auto const accepted = count_after(res.body, R"("accepted":)");
        recipients = count_after(res.body, R"("recipients":)");
        if (res.status != 202 || !accepted || *accepted != sent.count) {
            fail(what() + " (" + std::to_string(sent.count) + " sent)");
            return false;
        }
    }
    if (!res.keep_alive) {
        fail("the server closed the keep-alive notification connection");
        return false;
    }
    observer_.on_accepted(sent.first, sent.count, recipients);
    return true;
}

void notifier::pump()
{
    while (!stopped_ && next_seq_ < opts_.notifications) {
        poster* idle = nullptr;
        for (std::size_t i = 0; i < posters_.size() && !idle; ++i) {
            auto& p = *posters_[(next_poster_ + i) % posters_.size()];
            if (p.ready && p.waiting.size() < opts_.pipeline)
                idle = &p;
        }
        if (!idle || !due_now())
            break; // a response or the timer will call again
        next_poster_ = (next_poster_ + 1) % posters_.size();
        build(*idle);
    }
    for (auto& p : posters_)
        if (!p->writing && !p->pending.empty())
            do_write(*p);
}

bool notifier::due_now()
{
    if (opts_.rate <= 0)
        return true;
    auto const after = static_cast<double>(next_seq_ - opts_.post_from) / opts_.rate;
    auto const due = start_ + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::duration<double>(after));
    if (std::chrono::steady_clock::now() >= due)
        return true;
    if (!timer_armed_) {
        timer_armed_ = true;
        timer_.expires_at(due);
        timer_.async_wait([this](error_code ec) {
            timer_armed_ = false;
            if (!ec)
                pump();
        });
    }
    return false;
}

void notifier::build(poster& p)
{
    in_flight const sent{next_seq_, static_cast<std::size_t>(std::min<std::uint64_t>(
                                        opts_.batch, opts_.notifications - next_seq_))};
    next_seq_ += sent.count;
    ++posts_;
    p.waiting.push_back(sent);

    auto const sent_ns = steady_ns(std::chrono::steady_clock::now());
    auto& out = p.pending;
    body_.clear();
    if (opts_.target == server_kind::nchan) {
        // Nchan has no batch publish: one message per POST, to the channel of its route.
        auto const r = routes_.of(sent.first);
        append_data(body_, {sent.first, sent_ns}, opts_.payload);
        out += r.account ? "POST /pub/user-" : "POST /pub/bench-";
        append_number(out, r.index);
        out += " HTTP/1.1\r\nHost: ";
        out += host_header_;
        out += "\r\n";
    } else {
        if (opts_.batch > 1)
            body_ += '[';
        for (std::size_t i = 0; i < sent.count; ++i) {
            if (i > 0)
                body_ += ',';
            auto const seq = sent.first + i;
            append_notification(body_, {seq, sent_ns}, routes_.of(seq), opts_.account_event,
                                audience_.member(), opts_.payload);
        }
        if (opts_.batch > 1)
            body_ += ']';
        out += "POST /notify HTTP/1.1\r\nHost: ";
        out += host_header_;
        out += "\r\nContent-Type: application/json\r\n";
        if (!opts_.notify_token.empty()) {
            out += "Authorization: Bearer ";
            out += opts_.notify_token;
            out += "\r\n";
        }
    }
    out += "Content-Length: ";
    append_number(out, body_.size());
    out += "\r\n\r\n";
    out += body_;
}

void notifier::do_write(poster& p)
{
    p.out.swap(p.pending);
    p.pending.clear();
    p.writing = true;
    net::async_write(p.socket, net::buffer(p.out), [this, &p](error_code ec, std::size_t) {
        p.writing = false;
        if (stopped_)
            return;
        if (ec)
            return fail("notification connection: write: " + ec.message());
        if (!p.pending.empty())
            do_write(p);
    });
}

void notifier::fail(std::string const& why)
{
    if (stopped_)
        return;
    stop();
    observer_.on_notify_failed(why);
}

void notifier::stop()
{
    stopped_ = true;
    timer_.cancel();
    for (auto& p : posters_) {
        error_code ignored;
        p->socket.close(ignored);
    }
}

} // namespace sse_server::bench
