#pragma once

#include "sse_server/base/net.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace sse_server {

/** A request's header block, request line included, may hold this many bytes (SPEC §2.6). */
constexpr std::size_t request_header_limit = std::size_t{8} * 1024;

/** Bytes a reader may hold while the parser waits for the end of a line (a header, a chunk
    size, a trailer): past it the request is refused rather than buffered. */
constexpr std::size_t pending_line_limit = std::size_t{8} * 1024;

/** Feeds received bytes to a Beast request parser, enforcing on both ports the limits that
    Beast's own do not cover. Beast applies its header limit to the request line and to the
    fields separately, and holds no limit at all on a chunk-size line or a trailer that never
    ends: a peer could make the buffer grow until a timeout. Here the header block counts as a
    whole, and what waits in the buffer for a line to end stays under pending_line_limit. Body
    bytes go straight into the body, bounded by the parser's body limit. */
template <class Body> class request_reader
{
public:
    using parser_type = http::request_parser<Body>;

    /** When a reader with a body limit reads the body. */
    enum class body_start
    {
        at_once,   // right after the header
        when_asked // only after read_body(): the caller first decides from the header
    };

    /** `body_limit`: the largest body accepted (a larger Content-Length is refused with the
        header); empty to stop at the end of the header (the body, if any, is left unread). */
    explicit request_reader(std::optional<std::uint64_t> body_limit,
                            body_start start = body_start::at_once);

    /** With body_start::when_asked, once header_done(): put() reads the body from now on.
        Until then it stops at the end of the header, the body's bytes left in the buffer. */
    void read_body() { body_asked_ = true; }

    /** Parses what `buffer` holds and consumes what the parser used. Returns
        http::error::need_more when more bytes are needed, http::error::header_limit when the
        header block is too large, http::error::buffer_overflow when a line inside the body
        grows too long, another parser error for a malformed request, or success once the
        request (or, without a body limit, its header) is complete. While the body waits for
        read_body(): need_more, with header_done() and not done(). */
    error_code put(beast::flat_buffer& buffer);

    /** How many bytes may be added to `buffer` before put() refuses them anyway. */
    std::size_t room(beast::flat_buffer const& buffer) const;

    bool header_done() const { return parser_.is_header_done(); }
    bool done() const { return read_body_ ? parser_.is_done() : parser_.is_header_done(); }
    parser_type& parser() { return parser_; }
    parser_type const& parser() const { return parser_; }

private:
    bool body_waits() const { return read_body_ && !body_asked_ && parser_.is_header_done(); }

    parser_type parser_;
    std::size_t header_bytes_ = 0; // consumed by the parser so far, while in the header
    bool read_body_;
    bool body_asked_;
};

extern template class request_reader<http::empty_body>;
extern template class request_reader<http::string_body>;

} // namespace sse_server
