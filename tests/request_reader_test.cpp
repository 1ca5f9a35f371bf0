#include "sse_server/http/request_reader.hpp"

#include <boost/asio/buffer.hpp>
#include <gtest/gtest.h>
#include <string>

namespace sse_server {
namespace {

/** A request whose header block (request line and blank line included) is `size` bytes. */
std::string header_of_size(std::size_t size)
{
    std::string head = "GET /events HTTP/1.1\r\nX-Pad: ";
    head.append(size - head.size() - 4, 'p');
    return head + "\r\n\r\n";
}

void append(beast::flat_buffer& buffer, std::string_view bytes)
{
    auto const n = net::buffer_copy(buffer.prepare(bytes.size()), net::buffer(bytes));
    buffer.commit(n);
}

/** Feeds `bytes` in pieces of `piece` bytes, as a slow peer would; returns the last result. */
template <class Body>
error_code feed(request_reader<Body>& reader, std::string_view bytes, std::size_t piece)
{
    beast::flat_buffer buffer;
    error_code ec = http::error::need_more;
    for (std::size_t at = 0; at < bytes.size() && ec == http::error::need_more; at += piece) {
        append(buffer, bytes.substr(at, piece));
        ec = reader.put(buffer);
    }
    return ec;
}

TEST(request_reader, a_header_block_of_exactly_8_KiB_is_read_whole_or_byte_by_byte)
{
    for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{100000}}) {
        request_reader<http::empty_body> reader{std::nullopt};
        EXPECT_FALSE(feed(reader, header_of_size(8192), piece)) << piece;
        EXPECT_TRUE(reader.done());
    }
}

TEST(request_reader, one_byte_more_counts_the_request_line_too)
{
    // Beast alone limits the request line and the fields separately.
    for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{100000}}) {
        request_reader<http::empty_body> reader{std::nullopt};
        EXPECT_EQ(feed(reader, header_of_size(8193), piece), http::error::header_limit) << piece;
    }
}

TEST(request_reader, a_header_that_never_ends_is_refused_at_the_limit)
{
    request_reader<http::empty_body> reader{std::nullopt};
    beast::flat_buffer buffer;
    append(buffer, "GET /events?");
    EXPECT_EQ(reader.put(buffer), http::error::need_more);
    EXPECT_EQ(reader.room(buffer), request_header_limit - 12);
    append(buffer, std::string(reader.room(buffer), 'a'));
    EXPECT_EQ(reader.put(buffer), http::error::header_limit);
    EXPECT_EQ(reader.room(buffer), 0u);
}

TEST(request_reader, without_a_body_limit_the_body_is_left_unread)
{
    request_reader<http::empty_body> reader{std::nullopt};
    beast::flat_buffer buffer;
    append(buffer, "GET /events HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello");
    EXPECT_FALSE(reader.put(buffer));
    EXPECT_TRUE(reader.done());
    EXPECT_EQ(buffer.size(), 8u) << "the chunk stays where it was";
}

TEST(request_reader, an_endless_chunk_size_line_is_refused_once_it_fills_the_bound)
{
    request_reader<http::string_body> reader{1 << 20};
    beast::flat_buffer buffer;
    append(buffer, "POST /notify HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    EXPECT_EQ(reader.put(buffer), http::error::need_more);
    error_code ec = http::error::need_more;
    std::size_t sent = 0;
    while (ec == http::error::need_more && sent < (std::size_t{1} << 20)) {
        append(buffer, std::string(1000, 'f'));
        sent += 1000;
        ec = reader.put(buffer);
    }
    EXPECT_EQ(ec, http::error::buffer_overflow);
    EXPECT_LE(sent, pending_line_limit + 1000);
}

TEST(request_reader, a_body_is_read_up_to_its_limit)
{
    request_reader<http::string_body> small{4};
    EXPECT_EQ(feed(small, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 3),
              http::error::body_limit);
    request_reader<http::string_body> fits{5};
    EXPECT_FALSE(feed(fits, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", 3));
    EXPECT_EQ(fits.parser().get().body(), "hello");
}

TEST(request_reader, a_body_asked_for_is_read_only_once_asked)
{
    using reader_type = request_reader<http::string_body>;
    reader_type reader{100, reader_type::body_start::when_asked};
    beast::flat_buffer buffer;
    append(buffer, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
    EXPECT_EQ(reader.put(buffer), http::error::need_more);
    EXPECT_TRUE(reader.header_done());
    EXPECT_FALSE(reader.done()) << "a body follows";
    EXPECT_EQ(buffer.size(), 5u) << "the body stays where it was";
    EXPECT_EQ(reader.put(buffer), http::error::need_more) << "still waiting to be asked";
    reader.read_body();
    EXPECT_FALSE(reader.put(buffer));
    EXPECT_EQ(reader.parser().get().body(), "hello");

    reader_type none{100, reader_type::body_start::when_asked};
    append(buffer, "GET / HTTP/1.1\r\n\r\n");
    EXPECT_FALSE(none.put(buffer)) << "no body: complete with its header";
    EXPECT_TRUE(none.done());

    reader_type too_large{4, reader_type::body_start::when_asked};
    append(buffer, "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n");
    EXPECT_EQ(too_large.put(buffer), http::error::body_limit) << "known from the header";
}

TEST(request_reader, pipelined_requests_stay_in_the_buffer_for_the_next_reader)
{
    request_reader<http::string_body> first{100};
    beast::flat_buffer buffer;
    append(buffer, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
    EXPECT_FALSE(first.put(buffer));
    EXPECT_EQ(first.parser().get().target(), "/a");
    request_reader<http::string_body> second{100};
    EXPECT_FALSE(second.put(buffer));
    EXPECT_EQ(second.parser().get().target(), "/b");
    EXPECT_EQ(buffer.size(), 0u);
}

} // namespace
} // namespace sse_server
