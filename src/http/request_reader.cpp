#include "sse_server/http/request_reader.hpp"

#include <algorithm>

namespace sse_server {

template <class Body>
request_reader<Body>::request_reader(std::optional<std::uint64_t> body_limit, body_start start)
    : read_body_(body_limit.has_value()), body_asked_(start == body_start::at_once)
{
    parser_.header_limit(static_cast<std::uint32_t>(request_header_limit));
    parser_.body_limit(body_limit.value_or(0));
    // The header is parsed alone first, so that its size is known before any body byte.
    parser_.eager(false);
}

template <class Body> error_code request_reader<Body>::put(beast::flat_buffer& buffer)
{
    error_code ec;
    while (buffer.size() > 0 && !done() && !body_waits()) {
        bool const in_header = !parser_.is_header_done();
        auto const used = parser_.put(buffer.data(), ec);
        buffer.consume(used);
        if (in_header) {
            header_bytes_ += used;
            if (parser_.is_header_done()) {
                if (header_bytes_ > request_header_limit)
                    return http::error::header_limit;
                parser_.eager(true);
            }
        }
        if (ec == http::error::need_more) {
            ec = {};
            break;
        }
        if (ec)
            return ec;
        if (used == 0)
            break;
    }
    if (done())
        return {};
    if (body_waits())
        return http::error::need_more;
    if (!parser_.is_header_done()) {
        if (header_bytes_ + buffer.size() >= request_header_limit)
            return http::error::header_limit;
    } else if (buffer.size() >= pending_line_limit) {
        return http::error::buffer_overflow;
    }
    return http::error::need_more;
}

template <class Body> std::size_t request_reader<Body>::room(beast::flat_buffer const& buffer) const
{
    if (!parser_.is_header_done()) {
        auto const held = header_bytes_ + buffer.size();
        return held < request_header_limit ? request_header_limit - held : 0;
    }
    return buffer.size() < pending_line_limit ? pending_line_limit - buffer.size() : 0;
}

template class request_reader<http::empty_body>;
template class request_reader<http::string_body>;

} // namespace sse_server
