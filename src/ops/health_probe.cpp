#include "sse_server/ops/health_probe.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace sse_server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

host_port health_address(config const& cfg)
{
    host_port where = cfg.listen.metrics.value_or(cfg.listen.notify);
    if (where.host.empty() || where.host == "0.0.0.0")
        where.host = "127.0.0.1";
    else if (where.host == "::")
        where.host = "::1";
    return where;
}

bool probe_health(host_port const& where, std::chrono::milliseconds timeout, std::string& problem)
{
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    beast::flat_buffer buffer;
    http::request<http::empty_body> req{http::verb::get, "/healthz", 11};
    req.set(http::field::host, where.host);
    req.set(http::field::connection, "close");
    http::response<http::string_body> res;
    bool healthy = false;
    problem = "no answer within " + std::to_string(timeout.count()) + " ms";

    auto const fail = [&](std::string_view step, beast::error_code ec) {
        problem = std::string(step) + ": " + ec.message();
    };
    resolver.async_resolve(
        where.host, std::to_string(where.port),
        [&](beast::error_code ec, tcp::resolver::results_type endpoints) {
            if (ec)
                return fail("resolve " + where.host, ec);
            stream.async_connect(endpoints, [&](beast::error_code cec, tcp::endpoint) {
                if (cec)
                    return fail("connect", cec);
                http::async_write(stream, req, [&](beast::error_code wec, std::size_t) {
                    if (wec)
                        return fail("write", wec);
                    http::async_read(stream, buffer, res, [&](beast::error_code rec, std::size_t) {
                        if (rec)
                            return fail("read", rec);
                        healthy = res.result() == http::status::ok;
                        if (!healthy)
                            problem = "/healthz answered " + std::to_string(res.result_int());
                    });
                });
            });
        });
    ioc.run_for(timeout);
    return healthy;
}

} // namespace sse_server
