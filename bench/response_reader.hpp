#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sse_server::bench {

/** One HTTP response read by response_reader; `body` lives until the reader is fed again. */
struct http_response
{
    int status = 0;
    std::string_view body;
    bool keep_alive = true;
};

/** Splits the bytes of a keep-alive connection into responses, pipelined or not, without
    allocating per response: what the notifier needs at a few hundred thousand responses a
    second. Understands Content-Length bodies only (both servers answer a POST that way). */
class response_reader
{
public:
    /** Where the next read may write, at least `min` bytes; then commit() what was read. */
    char* prepare(std::size_t min);
    std::size_t capacity() const { return buffer_.size() - end_; }
    void commit(std::size_t n) { end_ += n; }

    /** The next complete response, or nothing until more bytes arrive (or after an error). */
    std::optional<http_response> next();
    /** Why the bytes are not a response the reader understands; empty while they are. */
    std::string const& error() const { return error_; }

private:
    std::string buffer_;
    std::size_t begin_ = 0; // first byte not yet consumed
    std::size_t end_ = 0;   // end of the bytes read
    std::string error_;
};

} // namespace sse_server::bench
