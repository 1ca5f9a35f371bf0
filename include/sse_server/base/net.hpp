#pragma once

// Namespace aliases shared by every networking file, as in Beast's examples.
#include "sse_server/base/text_split.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>

#include <string>

namespace boost::beast::http {
}

namespace sse_server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;
// A socket of the one io_context. Not tcp::socket: its polymorphic executor is copied into the
// socket and into every operation waiting on it (the hang-up watch waits for a stream's whole
// life), about 110 bytes per idle stream more than this executor's one pointer.
using tcp_socket = boost::asio::basic_stream_socket<tcp, boost::asio::io_context::executor_type>;

/** A socket error as the logs and /readyz reasons word it: "connection refused", lower case. */
inline std::string socket_error_text(error_code ec)
{
    return ascii_lower(ec.message());
}

} // namespace sse_server
