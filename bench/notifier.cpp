#include "notifier.hpp"

#include "payload.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <nlohmann/json.hpp>

namespace sse_server::bench {

namespace {

std::uint64_t steady_ns(std::chrono::steady_clock::time_point t)
{
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

std::optional<std::uint64_t> count_field(nlohmann::json const& doc, char const* key)
{
    if (!doc.is_object())
        return std::nullopt;
    auto const it = doc.find(key);
    if (it == doc.end() || !it->is_number_unsigned())
        return std::nullopt;
    return it->get<std::uint64_t>();
}

} // namespace

notifier::notifier(net::io_context& ioc, options const& o, notify_observer& observer)
    : opts_(o), observer_(observer), timer_(ioc)
{
    for (std::size_t i = 0; i < o.notify_connections; ++i)
        posters_.push_back(std::make_unique<poster>(ioc));
}

void notifier::start(tcp::endpoint const& to)
{
    host_header_ = to.address().to_string() + ":" + std::to_string(to.port());
    for (auto& p : posters_)
        p->socket.async_connect(to, [this, &conn = *p](error_code ec) { on_connect(conn, ec); });
}

void notifier::on_connect(poster& p, error_code ec)
{
    if (stopped_)
        return;
    if (ec)
        return fail("connect to the notification port: " + ec.message());
    p.socket.set_option(tcp::no_delay(true), ec);
    p.ready = true;
    // Pacing starts when every connection is up, so the first second is not a burst.
    if (++connected_ == posters_.size()) {
        start_ = std::chrono::steady_clock::now();
        pump();
    }
}

void notifier::pump()
{
    while (!stopped_ && next_seq_ < opts_.notifications) {
        auto const idle = std::find_if(posters_.begin(), posters_.end(),
                                       [](auto const& p) { return p->ready && !p->busy; });
        if (idle == posters_.end())
            return; // a response will call again
        if (opts_.rate > 0) {
            auto const due = start_ + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::duration<double>(next_seq_ / opts_.rate));
            if (std::chrono::steady_clock::now() < due) {
                if (!timer_armed_) {
                    timer_armed_ = true;
                    timer_.expires_at(due);
                    timer_.async_wait([this](error_code ec) {
                        timer_armed_ = false;
                        if (!ec)
                            pump();
                    });
                }
                return;
            }
        }
        post(**idle);
    }
}

void notifier::post(poster& p)
{
    p.busy = true;
    p.first = next_seq_;
    p.count = static_cast<std::size_t>(
        std::min<std::uint64_t>(opts_.batch, opts_.notifications - next_seq_));
    next_seq_ += p.count;
    ++posts_;

    auto const sent_ns = steady_ns(std::chrono::steady_clock::now());
    p.body.clear();
    if (opts_.batch > 1)
        p.body += '[';
    for (std::size_t i = 0; i < p.count; ++i) {
        if (i > 0)
            p.body += ',';
        append_notification(p.body, {p.first + i, sent_ns}, opts_.events, opts_.payload);
    }
    if (opts_.batch > 1)
        p.body += ']';

    p.request =
        "POST /notify HTTP/1.1\r\nHost: " + host_header_ + "\r\nContent-Type: application/json\r\n";
    if (!opts_.notify_token.empty())
        p.request += "Authorization: Bearer " + opts_.notify_token + "\r\n";
    p.request += "Content-Length: " + std::to_string(p.body.size()) + "\r\n\r\n";
    std::array<net::const_buffer, 2> const buffers{net::buffer(p.request), net::buffer(p.body)};
    net::async_write(p.socket, buffers,
                     [this, &p](error_code ec, std::size_t) { on_written(p, ec); });
}

void notifier::on_written(poster& p, error_code ec)
{
    if (stopped_)
        return;
    if (ec)
        return fail("POST /notify: write: " + ec.message());
    p.parser.emplace();
    p.parser->body_limit(64 * 1024);
    http::async_read(p.socket, p.buffer, *p.parser,
                     [this, &p](error_code e, std::size_t) { on_response(p, e); });
}

void notifier::on_response(poster& p, error_code ec)
{
    if (stopped_)
        return;
    if (ec)
        return fail("POST /notify: read: " + ec.message());
    auto const& res = p.parser->get();
    if (res.result() != http::status::accepted)
        return fail("POST /notify: " + std::to_string(res.result_int()) + " " + res.body());
    auto const doc = nlohmann::json::parse(res.body(), nullptr, false);
    auto const accepted = count_field(doc, "accepted");
    auto const recipients = count_field(doc, "recipients");
    if (!accepted || !recipients || *accepted != p.count)
        return fail("POST /notify: " + std::to_string(p.count) + " sent, answer " + res.body());
    if (!res.keep_alive())
        return fail("POST /notify: the daemon closed the keep-alive connection");
    p.busy = false;
    observer_.on_accepted(p.first, p.count, *recipients);
    pump();
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
