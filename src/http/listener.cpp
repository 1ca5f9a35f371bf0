#include "sse_server/http/listener.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>
#include <sys/socket.h>

namespace sse_server {

namespace {

// Asio names SO_REUSEADDR only; SO_REUSEPORT is the option that lets processes share a port.
using share_port = net::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

tcp::endpoint resolve(net::io_context& ioc, host_port const& where, std::string const& name)
{
    error_code ec;
    tcp::resolver resolver{ioc};
    auto results = resolver.resolve(where.host, std::to_string(where.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty())
        throw std::runtime_error(name + ": cannot resolve \"" + where.host + "\": " +
                                 ec.message());
    return results.begin()->endpoint();
}

// Running out of descriptors or kernel memory is transient: back off instead of failing.
bool is_resource_exhaustion(error_code const& ec)
{
    return ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
           ec == net::error::no_memory || ec.value() == ENFILE;
}

} // namespace

listener::listener(net::io_context& ioc, host_port const& where, std::string name,
                   session_factory make_session, bool reuse_port, listen_from when)
    : ioc_(ioc), acceptor_(ioc), backoff_(ioc), name_(std::move(name)),
      make_session_(std::move(make_session))
{
    auto const endpoint = resolve(ioc, where, name_);
    error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec)
        acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    // Set before bind: the kernel lets a socket join a port only if every socket on it
    // asked for sharing, and only for sockets of the same user.
    if (!ec && reuse_port)
        acceptor_.set_option(share_port(true), ec);
    if (!ec)
        acceptor_.bind(endpoint, ec);
    if (!ec && when == listen_from::construction) {
        acceptor_.listen(net::socket_base::max_listen_connections, ec);
        listening_ = !ec;
    }
    if (ec)
        throw std::runtime_error(name_ + ": cannot listen on " + where.host + ":" +
                                 std::to_string(where.port) + ": " + ec.message());
    endpoint_ = acceptor_.local_endpoint();
}

bool listener::listen()
{
    if (listening_)
        return true;
    error_code ec;
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
        spdlog::error("{}: cannot listen on {}:{}: {}", name_, endpoint_.address().to_string(),
                      endpoint_.port(), ec.message());
        return false;
    }
    listening_ = true;
    return true;
}

void listener::run()
{
    spdlog::info("listening for {} on {}:{}", name_, endpoint_.address().to_string(),
                 endpoint_.port());
    do_accept();
}

void listener::stop()
{
    error_code ec;
    acceptor_.close(ec);
    backoff_.cancel();
}

void listener::do_accept()
{
    if (may_accept_ && !may_accept_()) {
        if (!paused_)
            spdlog::warn("{}: descriptors running low; new connections wait until some close",
                         name_);
        paused_ = true;
        backoff_.expires_after(std::chrono::milliseconds(20));
        backoff_.async_wait([this](error_code wait_ec) { on_backoff(wait_ec); });
        return;
    }
    if (paused_)
        spdlog::info("{}: accepting again", name_);
    paused_ = false;
    acceptor_.async_accept(ioc_, [this](error_code ec, tcp_socket socket) {
        on_accept(ec, std::move(socket));
    });
}

void listener::on_accept(error_code ec, tcp_socket socket)
{
    if (ec == net::error::operation_aborted || !acceptor_.is_open())
        return;
    if (is_resource_exhaustion(ec)) {
        if (!backing_off_)
            spdlog::warn("{}: accept failed ({}); backing off", name_, ec.message());
        backing_off_ = true;
        backoff_.expires_after(std::chrono::milliseconds(100));
        backoff_.async_wait([this](error_code wait_ec) { on_backoff(wait_ec); });
        return;
    }
    if (ec) {
        // A peer that reset before we accepted it: nothing to do but take the next one.
        spdlog::debug("{}: accept: {}", name_, ec.message());
    } else {
        if (backing_off_)
            spdlog::info("{}: accepting again", name_);
        backing_off_ = false;
        make_session_(std::move(socket));
    }
    do_accept();
}

void listener::on_backoff(error_code ec)
{
    if (ec || !acceptor_.is_open())
        return;
    do_accept();
}

} // namespace sse_server
