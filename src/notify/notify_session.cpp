#include "sse_server/notify/notify_session.hpp"

#include "sse_server/config/config.hpp"
#include "sse_server/http/lingering_close.hpp"
#include "sse_server/notify/notify_handler.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/string.hpp>
#include <spdlog/spdlog.h>

#include <array>

namespace sse_server {

namespace {

constexpr std::size_t read_size = std::size_t{16} * 1024;
// Answers a pipelining peer has not read yet: past this, its requests wait in its socket.
constexpr std::size_t max_unread_answers = std::size_t{64} * 1024;

// A connection beyond the port's cap gets its answer and is closed at once: no session, no
// buffer, no timer, so that a crowd costs a descriptor for a moment each. What it already
// sent is read first (a little, without waiting), so that the close is a FIN after the
// answer rather than a reset that could destroy it.
void turn_away(tcp_socket socket, notify_answer const& answer)
{
    error_code ec;
    socket.non_blocking(true, ec);
    std::array<char, 4096> discard{};
    for (int i = 0; i < 4 && !ec; ++i)
        socket.read_some(net::buffer(discard), ec);
    std::string out;
    append_answer(out, answer, 11, false);
    socket.write_some(net::buffer(out), ec);
    socket.shutdown(tcp_socket::shutdown_send, ec);
    socket.close(ec);
}

} // namespace

void notify_session::start(tcp_socket&& socket, notify_services& services)
{
    if (services.open >= services.max_open)
        return turn_away(std::move(socket), services.handler.refuse_connection());
    std::make_shared<notify_session>(std::move(socket), services)->run();
}

notify_session::notify_session(tcp_socket&& socket, notify_services& services)
    : socket_(std::move(socket)), svc_(services)
{
    ++svc_.open;
    error_code ec;
    // A response must not wait for the ACK of the previous one (Nagle).
    socket_.set_option(tcp::no_delay(true), ec);
    // A stop leaves this port answering (/readyz says 503) until the streams are closed.
    svc_.connections.add(*this, connection_manager::stop_phase::after_streams);
}

notify_session::~notify_session()
{
    --svc_.open;
    svc_.connections.remove(*this);
}

void notify_session::run()
{
    do_read();
}

void notify_session::do_read()
{
    if (reading_ || closed_)
        return;
    reading_ = true;
    // Between requests this is the idle timeout, counted from the last answer; a request
    // under way keeps the deadline of its first byte, however slowly the rest comes.
    if (!reader_)
        read_deadline_ = clock::now() + svc_.cfg.notify.idle_timeout;
    socket_.async_read_some(
        buffer_.prepare(read_size),
        beast::bind_front_handler(&notify_session::on_read, shared_from_this()));
}

void notify_session::on_read(error_code ec, std::size_t bytes)
{
    reading_ = false;
    if (closed_)
        return;
    if (ec) // end of stream, reset, or closed: a request cut short gets no answer
        return close();
    buffer_.commit(bytes);
    handle_buffered();
}

void notify_session::handle_buffered()
{
    // Every complete request already read is answered before anything is written, as long as
    // the answers waiting for the peer stay small.
    while (!waiting_ && keep_alive_ && !closed_ && buffer_.size() > 0 &&
           output_.size() + writing_.size() < max_unread_answers) {
        if (!reader_) {
            // The body waits until the header has been checked: see refused_from_header().
            reader_.emplace(svc_.cfg.notify.max_body_bytes, reader::body_start::when_asked);
            continue_sent_ = false;
            header_checked_ = false;
            read_deadline_ = clock::now() + svc_.cfg.notify.idle_timeout;
        }
        auto ec = reader_->put(buffer_);
        // A header refused by the reader (431 and the like) is answered as such below.
        bool const header_read = !ec || ec == http::error::need_more;
        if (header_read && reader_->header_done() && !header_checked_) {
            header_checked_ = true;
            if (refused_from_header())
                break;
            reader_->read_body();
            ec = reader_->put(buffer_);
        }
        if (ec == http::error::need_more) {
            // HTTP clients such as libcurl (PHP, curl) ask before sending a body over 1 KiB
            // and wait a whole second for this answer if it never comes.
            if (reader_->header_done() && !continue_sent_ &&
                beast::iequals(reader_->parser().get()[http::field::expect], "100-continue")) {
                output_ += "HTTP/1.1 100 Continue\r\n\r\n";
                continue_sent_ = true;
            }
            break;
        }
        read_deadline_ = clock::time_point::max();
        received_at_ = clock::now();
        if (ec) {
            refuse_malformed(ec);
            break;
        }
        keep_alive_ = reader_->parser().get().keep_alive();
        handle_request();
        if (!waiting_)
            reader_.reset();
    }
    if (closed_)
        return;
    if (!output_.empty())
        return do_write();
    // A write under way resumes reading when it completes.
    if (!waiting_ && !writing_now_ && keep_alive_)
        do_read();
}

bool notify_session::refused_from_header()
{
    // Decided as soon as the header is in, before a byte of the body is read: a peer without
    // the token, or with a body for a request that takes none, never has it read, let alone
    // buffered.
    bool const body_follows = !reader_->done();
    auto refusal = svc_.handler.check_header(reader_->parser().get(), body_follows);
    if (!refusal)
        return false;
    // The body, if any, is left unread: the connection closes after the answer.
    keep_alive_ = false;
    read_deadline_ = clock::time_point::max();
    reply(*refusal);
    return true;
}

void notify_session::refuse_malformed(error_code ec)
{
    // What follows on the wire cannot be trusted to be a request: answer, then close.
    keep_alive_ = false;
    auto& handler = svc_.handler;
    if (ec == http::error::body_limit) {
        auto const target = reader_->parser().get().target(); // the header is in
        reply(handler.refuse_too_large(std::string_view(target.data(), target.size())));
    }
    else if (ec == http::error::header_limit)
        reply(handler.refuse(http::status::request_header_fields_too_large,
                             "request header fields too large"));
    else if (ec == http::error::buffer_overflow)
        reply(handler.refuse(http::status::bad_request, "chunk size line or trailer too long"));
    else
        reply(handler.refuse(http::status::bad_request, "malformed HTTP request"));
}

void notify_session::handle_request()
{
    auto answer = svc_.handler.handle(
        reader_->parser().get(), received_at_, svc_.connections.stopping(),
        [self = shared_from_this()](notify_answer const& later) { self->on_answer(later); });
    if (answer)
        return reply(*answer);
    // Answers leave in request order: nothing more is read or handled until this one.
    waiting_ = true;
}

void notify_session::on_answer(notify_answer const& answer)
{
    waiting_ = false;
    if (closed_)
        return;
    reply(answer);
    reader_.reset();
    handle_buffered();
}

void notify_session::reply(notify_answer const& answer)
{
    bool const header_read = reader_ && reader_->header_done();
    unsigned const version = header_read ? reader_->parser().get().version() : 11;
    keep_alive_ = keep_alive_ && !svc_.connections.stopping();
    append_answer(output_, answer, version, keep_alive_);
}

void notify_session::do_write()
{
    if (writing_now_ || closed_ || output_.empty())
        return;
    writing_now_ = true;
    std::swap(writing_, output_);
    output_.clear();
    write_deadline_ = clock::now() + svc_.cfg.notify.idle_timeout;
    net::async_write(socket_, net::buffer(writing_),
                     beast::bind_front_handler(&notify_session::on_write, shared_from_this()));
}

void notify_session::on_write(error_code ec, std::size_t)
{
    writing_now_ = false;
    write_deadline_ = clock::time_point::max();
    writing_.clear();
    if (closed_)
        return;
    if (ec) {
        spdlog::debug("notify: write: {}", ec.message());
        return close();
    }
    if (!output_.empty())
        return do_write();
    if (!keep_alive_) {
        closed_ = true;
        return lingering_close(socket_, shared_from_this());
    }
    if (!waiting_)
        handle_buffered();
}

void notify_session::shut_down()
{
    // Between requests: close now. Mid-request: the response goes out, then the close.
    keep_alive_ = false;
    if (!writing_now_ && !waiting_)
        close();
}

std::size_t notify_session::abort()
{
    close();
    // A lingering close (after a refusal) still holds the socket: cut it too.
    error_code ignored;
    socket_.close(ignored);
    return 0;
}

void notify_session::check_deadline(clock::time_point now)
{
    // Idle between requests, a request not complete in time, or a peer that does not read
    // its answers: the connection goes.
    if ((now >= read_deadline_ || now >= write_deadline_) && !closed_)
        close();
}

void notify_session::close()
{
    if (closed_)
        return;
    closed_ = true;
    error_code ignored;
    socket_.close(ignored);
}

} // namespace sse_server
