#include "response_reader.hpp"

#include "http_head.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

namespace sse_server::bench {

namespace {

constexpr std::size_t max_head_bytes = 16 * 1024;
constexpr std::size_t max_body_bytes = 1024 * 1024;

} // namespace

char* response_reader::prepare(std::size_t min)
{
    if (begin_ == end_)
        begin_ = end_ = 0;
    if (buffer_.size() - end_ < min) {
        // Move what is left to the front before growing: pipelined answers leave a tail.
        std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
        if (buffer_.size() - end_ < min)
            buffer_.resize(end_ + min);
    }
    return buffer_.data() + end_;
}

std::optional<http_response> response_reader::next()
{
    if (!error_.empty())
        return std::nullopt;
    std::string_view const bytes(buffer_.data() + begin_, end_ - begin_);
    auto const head_end = bytes.find("\r\n\r\n");
    if (head_end == std::string_view::npos) {
        if (bytes.size() > max_head_bytes)
            error_ = "response header block too large";
        return std::nullopt;
    }
    auto const head = bytes.substr(0, head_end);
    auto const line_end = head.find("\r\n");
    auto const status_line = head.substr(0, line_end);
    http_response r;
    if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
        std::from_chars(status_line.data() + 9, status_line.data() + 12, r.status).ec !=
            std::errc{}) {
        error_ = "not an HTTP response: " + std::string(status_line.substr(0, 80));
        return std::nullopt;
    }
    r.keep_alive = status_line.substr(0, 8) != "HTTP/1.0";
    std::size_t length = 0;
    bool has_length = false;
    bool chunked = false;
    auto const fields = line_end == std::string_view::npos ? std::string_view{}
                                                           : head.substr(line_end + 2);
    for_each_header_field(fields, [&](std::string_view name, std::string_view value) {
        if (iequals(name, "content-length")) {
            auto const [ptr, ec] =
                std::from_chars(value.data(), value.data() + value.size(), length);
            has_length = ec == std::errc{} && ptr == value.data() + value.size();
        } else if (iequals(name, "connection")) {
            r.keep_alive = !iequals(value, "close");
        } else if (iequals(name, "transfer-encoding")) {
            chunked = true;
        }
    });
    if (chunked) {
        error_ = "chunked responses are not supported";
        return std::nullopt;
    }
    if (!has_length || length > max_body_bytes) {
        error_ = "response without a usable Content-Length";
        return std::nullopt;
    }
    auto const total = head_end + 4 + length;
    if (bytes.size() < total)
        return std::nullopt;
    r.body = bytes.substr(head_end + 4, length);
    begin_ += total;
    return r;
}

} // namespace sse_server::bench
