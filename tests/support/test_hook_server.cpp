#include "support/test_hook_server.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <stdexcept>

namespace sse_server::test {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

struct test_hook_server::state
{
    net::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    std::unique_ptr<net::ssl::context> tls; // https: the server's certificate and key
    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    responder respond;
    std::vector<request> seen;
    std::size_t in_progress = 0;
    std::size_t max_in_progress = 0;
    bool holding = false;
    std::vector<std::function<void()>> held; // answers waiting for release()
};

namespace {

template <class Name> std::string field(http::request<http::string_body> const& req, Name name)
{
    auto const it = req.find(name);
    return it == req.end() ? std::string() : std::string(it->value().data(), it->value().size());
}

/** One connection: a tcp::socket, or a TLS stream over one. */
template <class Stream>
class hook_session : public std::enable_shared_from_this<hook_session<Stream>>
{
public:
    // The state outlives every session: the server joins its thread before it goes.
    hook_session(Stream stream, test_hook_server::state* state)
        : socket_(std::move(stream)), state_(state), timer_(state_->ioc)
    {
    }

    Stream& stream() { return socket_; }

    void read()
    {
        request_ = {};
        http::async_read(socket_, buffer_, request_,
                         [self = this->shared_from_this()](error_code ec, std::size_t) {
                             if (!ec)
                                 self->on_request();
                         });
    }

private:
    void on_request()
    {
        test_hook_server::request seen{
            std::string(request_.target().data(), request_.target().size()),
            field(request_, http::field::cookie), field(request_, http::field::authorization),
            field(request_, "X-API-Key"), field(request_, http::field::origin)};
        test_hook_server::responder respond;
        {
            std::lock_guard lock(state_->mutex);
            state_->seen.push_back(seen);
            state_->max_in_progress = std::max(state_->max_in_progress, ++state_->in_progress);
            respond = state_->respond;
        }
        state_->changed.notify_all();
        answer_ = respond(seen);
        if (answer_.hang)
            return read_hang_up();
        {
            std::lock_guard lock(state_->mutex);
            if (state_->holding) {
                state_->held.push_back([self = this->shared_from_this()] { self->answer(); });
                return;
            }
        }
        answer();
    }

    void answer()
    {
        if (answer_.delay.count() == 0)
            return write();
        timer_.expires_after(answer_.delay);
        timer_.async_wait([self = this->shared_from_this()](error_code) { self->write(); });
    }

    void write()
    {
        response_ =
            http::response<http::string_body>(static_cast<http::status>(answer_.status), 11);
        response_.set(http::field::content_type, "application/json");
        response_.body() = answer_.body;
        response_.keep_alive(request_.keep_alive());
        response_.prepare_payload();
        {
            std::lock_guard lock(state_->mutex);
            --state_->in_progress;
        }
        http::async_write(socket_, response_,
                          [self = this->shared_from_this()](error_code ec, std::size_t) {
                              if (!ec && self->response_.keep_alive())
                                  self->read();
                          });
    }

    // A request that is never answered: the session lives until its peer goes (a read that
    // ends with the connection).
    void read_hang_up()
    {
        request_ = {};
        http::async_read(socket_, buffer_, request_,
                         [self = this->shared_from_this()](error_code, std::size_t) {});
    }

    Stream socket_;
    test_hook_server::state* state_;
    net::steady_timer timer_;
    boost::beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
    test_hook_server::answer answer_;
};

void accept(test_hook_server::state* state)
{
    state->acceptor.async_accept([state](error_code ec, tcp::socket socket) {
        if (ec)
            return;
        accept(state);
        if (!state->tls)
            return std::make_shared<hook_session<tcp::socket>>(std::move(socket), state)->read();
        using tls_stream = net::ssl::stream<tcp::socket>;
        auto session = std::make_shared<hook_session<tls_stream>>(
            tls_stream(std::move(socket), *state->tls), state);
        session->stream().async_handshake(net::ssl::stream_base::server, [session](error_code hec) {
            if (!hec)
                session->read();
        });
    });
}

} // namespace

test_hook_server::test_hook_server(responder respond, std::optional<tls_identity> tls)
    : state_(std::make_shared<state>())
{
    state_->respond = std::move(respond);
    if (tls) {
        state_->tls = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
        state_->tls->use_certificate_chain_file(tls->cert_file);
        state_->tls->use_private_key_file(tls->key_file, net::ssl::context::pem);
    }
    tcp::endpoint const any{net::ip::make_address("127.0.0.1"), 0};
    state_->acceptor.open(any.protocol());
    state_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    state_->acceptor.bind(any);
    state_->acceptor.listen(4096);
    port_ = state_->acceptor.local_endpoint().port();
    accept(state_.get());
    thread_ = std::thread([state = state_] { state->ioc.run(); });
}

test_hook_server::~test_hook_server()
{
    state_->ioc.stop();
    thread_.join();
}

std::string test_hook_server::url() const
{
    return (state_->tls ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(port_) +
           "/sse/auth";
}

void test_hook_server::set_responder(responder respond)
{
    std::lock_guard lock(state_->mutex);
    state_->respond = std::move(respond);
}

void test_hook_server::hold()
{
    std::lock_guard lock(state_->mutex);
    state_->holding = true;
}

void test_hook_server::release()
{
    std::vector<std::function<void()>> held;
    {
        std::lock_guard lock(state_->mutex);
        state_->holding = false;
        held.swap(state_->held);
    }
    for (auto& later : held)
        net::post(state_->ioc, std::move(later));
}

std::size_t test_hook_server::requests() const
{
    std::lock_guard lock(state_->mutex);
    return state_->seen.size();
}

std::size_t test_hook_server::max_concurrent() const
{
    std::lock_guard lock(state_->mutex);
    return state_->max_in_progress;
}

std::vector<test_hook_server::request> test_hook_server::seen() const
{
    std::lock_guard lock(state_->mutex);
    return state_->seen;
}

bool test_hook_server::await_requests(std::size_t count, std::chrono::milliseconds timeout) const
{
    std::unique_lock lock(state_->mutex);
    return state_->changed.wait_for(lock, timeout, [&] { return state_->seen.size() >= count; });
}

std::uint16_t refused_port()
{
    net::io_context ioc;
    tcp::acceptor acceptor(ioc, tcp::endpoint{net::ip::make_address("127.0.0.1"), 0});
    auto const port = acceptor.local_endpoint().port();
    acceptor.close();
    return port;
}

} // namespace sse_server::test
