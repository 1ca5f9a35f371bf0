#include "hook_app.hpp"

#include "payload.hpp"
#include "sse_server/base/net.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <string_view>
#include <sys/resource.h>

namespace sse_server::bench {

namespace {

using hook_clock = std::chrono::steady_clock;

/** What the app answered, for its report. */
struct hook_tally
{
    std::uint64_t ok = 0;
    std::uint64_t refused = 0;
    std::uint64_t connections = 0;
    std::optional<hook_clock::time_point> first;
    hook_clock::time_point last{};
};

/** The stream index a credential names: <prefix><decimal i>, or nothing. */
std::optional<std::size_t> index_of(std::string_view credential, std::string_view prefix)
{
    if (credential.size() <= prefix.size() || credential.substr(0, prefix.size()) != prefix)
        return std::nullopt;
    auto const digits = credential.substr(prefix.size());
    std::size_t index = 0;
    auto const* end = digits.data() + digits.size();
    auto const [ptr, ec] = std::from_chars(digits.data(), end, index);
    if (ec != std::errc{} || ptr != end)
        return std::nullopt;
    return index;
}

/** The credential of a request: its X-API-Key, else its Bearer token. */
std::string_view credential_of(http::request<http::string_body> const& req)
{
    if (auto const key = req.find("X-API-Key"); key != req.end())
        return key->value();
    if (auto const auth = req.find(http::field::authorization); auth != req.end()) {
        constexpr std::string_view bearer = "Bearer ";
        auto const value = auth->value();
        if (value.substr(0, bearer.size()) == bearer)
            return value.substr(bearer.size());
    }
    return {};
}

class hook_session : public std::enable_shared_from_this<hook_session>
{
public:
    hook_session(tcp::socket socket, options const& o, hook_tally& tally)
        : socket_(std::move(socket)), opts_(o), tally_(tally)
    {
    }

    void read()
    {
        req_ = {};
        http::async_read(socket_, buffer_, req_,
                         [self = shared_from_this()](error_code ec, std::size_t) {
                             if (!ec)
                                 self->answer();
                         });
    }

private:
    void answer()
    {
        res_ = {};
        res_.version(11);
        res_.keep_alive(req_.keep_alive());
        if (req_.target() == "/ready") {
            res_.result(http::status::ok);
            res_.body() = "ok\n";
        } else if (auto const i = index_of(credential_of(req_), opts_.api_key_prefix)) {
            auto const now = hook_clock::now();
            if (!tally_.first)
                tally_.first = now;
            tally_.last = now;
            ++tally_.ok;
            res_.result(http::status::ok);
            res_.set(http::field::content_type, "application/json");
            res_.body() = R"({"user":")" + std::to_string(user_id_of(*i)) + "\"}";
        } else {
            ++tally_.refused;
            res_.result(http::status::unauthorized);
        }
        res_.prepare_payload();
        http::async_write(socket_, res_, [self = shared_from_this()](error_code ec, std::size_t) {
            if (!ec && self->res_.keep_alive())
                self->read();
        });
    }

    tcp::socket socket_;
    options const& opts_;
    hook_tally& tally_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> req_;
    http::response<http::string_body> res_;
};

void accept(tcp::acceptor& acceptor, options const& o, hook_tally& tally)
{
    acceptor.async_accept([&acceptor, &o, &tally](error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted)
            return;
        if (!ec) {
            ++tally.connections;
            error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            std::make_shared<hook_session>(std::move(socket), o, tally)->read();
        }
        accept(acceptor, o, tally);
    });
}

} // namespace

int serve_hook(options const& o)
{
    net::io_context ioc(1);
    tcp::endpoint const where{net::ip::make_address(o.serve_hook->host), o.serve_hook->port};
    tcp::acceptor acceptor(ioc);
    acceptor.open(where.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(where);
    acceptor.listen(net::socket_base::max_listen_connections);
    hook_tally tally;
    accept(acceptor, o, tally);
    net::signal_set stop(ioc, SIGTERM, SIGINT);
    stop.async_wait([&ioc](error_code, int) { ioc.stop(); });
    std::cout << "hook: listening on " << o.serve_hook->host << ':'
              << acceptor.local_endpoint().port() << " (ready)" << std::endl;
    ioc.run();

    auto const span = tally.first ? std::chrono::duration<double>(tally.last - *tally.first).count()
                                  : 0.0;
    auto const rate = span > 0 ? static_cast<double>(tally.ok) / span : 0.0;
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto const seconds = [](timeval t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    auto const cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    std::cout << "hook: " << tally.ok << " users answered, " << tally.refused << " refused, on "
              << tally.connections << " connections; " << static_cast<std::uint64_t>(rate)
              << "/s from the first to the last; CPU " << cpu << " s\n"
              << R"({"hook_ok":)" << tally.ok << R"(,"hook_refused":)" << tally.refused
              << R"(,"hook_connections":)" << tally.connections << R"(,"hook_span_s":)" << span
              << R"(,"hook_per_s":)" << rate << R"(,"hook_cpu_s":)" << cpu << '}' << std::endl;
    return 0;
}

} // namespace sse_server::bench
