#include "stream_parser.hpp"

#include "http_head.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

namespace sse_server::bench {

namespace {

constexpr std::size_t max_head_bytes = 16 * 1024;
constexpr std::size_t max_line_bytes = 4 * 1024 * 1024;

bool iequals_prefix(std::string_view text, std::string_view prefix)
{
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
           });
}

} // namespace

void stream_parser::feed(std::string_view bytes, event_sink& sink)
{
    while (!bytes.empty()) {
        std::size_t used = 0;
        switch (state_) {
        case state::head:
            used = feed_head(bytes);
            break;
        case state::chunk_size:
            used = feed_chunk_size(bytes);
            break;
        case state::chunk_data:
            used = std::min(chunk_left_, bytes.size());
            feed_body(bytes.substr(0, used), sink);
            chunk_left_ -= used;
            if (chunk_left_ == 0 && state_ == state::chunk_data)
                state_ = state::chunk_end;
            break;
        case state::chunk_end:
            // The CRLF after a chunk's data: read it as the start of the next size line.
            state_ = state::chunk_size;
            break;
        case state::raw_body:
            used = bytes.size();
            feed_body(bytes, sink);
            break;
        case state::ended:
        case state::failed:
            return;
        }
        bytes.remove_prefix(used);
    }
}

std::size_t stream_parser::feed_head(std::string_view bytes)
{
    auto const before = head_.size();
    head_.append(bytes);
    auto const end = head_.find("\r\n\r\n", before < 3 ? 0 : before - 3);
    if (end == std::string::npos) {
        if (head_.size() > max_head_bytes)
            fail("response header block too large");
        return bytes.size();
    }
    auto const used = end + 4 - before;
    std::string_view head(head_.data(), end);

    auto const line_end = head.find("\r\n");
    auto const status_line = head.substr(0, line_end);
    if (!iequals_prefix(status_line, "HTTP/1.") || status_line.size() < 12) {
        fail("not an HTTP response");
        return used;
    }
    auto const code = status_line.substr(9, 3);
    std::from_chars(code.data(), code.data() + code.size(), status_);
    if (status_ != 200) {
        fail(std::string(status_line));
        return used;
    }

    bool chunked = false;
    bool event_stream = false;
    auto const fields = line_end == std::string_view::npos ? std::string_view{}
                                                           : head.substr(line_end + 2);
    for_each_header_field(fields, [&](std::string_view name, std::string_view value) {
        if (iequals(name, "transfer-encoding"))
            chunked = iequals_prefix(value, "chunked");
        if (iequals(name, "content-type"))
            event_stream = iequals_prefix(value, "text/event-stream");
    });
    if (!event_stream) {
        fail("200 without Content-Type: text/event-stream");
        return used;
    }
    head_.clear();
    head_.shrink_to_fit();
    state_ = chunked ? state::chunk_size : state::raw_body;
    return used;
}

std::size_t stream_parser::feed_chunk_size(std::string_view bytes)
{
    auto const eol = bytes.find('\n');
    auto const piece = bytes.substr(0, eol == std::string_view::npos ? bytes.size() : eol + 1);
    size_line_.append(piece);
    if (size_line_.size() > 1024) {
        fail("chunk size line too long");
        return piece.size();
    }
    if (eol == std::string_view::npos)
        return piece.size();

    // Either the bare CRLF closing the previous chunk, or "<hex>[;ext]\r\n".
    std::string_view line = trim(size_line_);
    line = line.substr(0, line.find('\n'));
    line = trim(line);
    if (line.empty()) {
        size_line_.clear();
        return piece.size();
    }
    line = line.substr(0, line.find(';'));
    std::size_t size = 0;
    auto const [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
    if (ec != std::errc{} || ptr != line.data() + line.size()) {
        fail("bad chunk size line");
        return piece.size();
    }
    size_line_.clear();
    if (size == 0) {
        state_ = state::ended;
        return piece.size();
    }
    chunk_left_ = size;
    state_ = state::chunk_data;
    return piece.size();
}

void stream_parser::feed_body(std::string_view bytes, event_sink& sink)
{
    while (!bytes.empty()) {
        auto const eol = bytes.find('\n');
        if (eol == std::string_view::npos) {
            partial_line_.append(bytes);
            if (partial_line_.size() > max_line_bytes)
                fail("event line too long");
            return;
        }
        auto line = bytes.substr(0, eol);
        bytes.remove_prefix(eol + 1);
        if (!partial_line_.empty()) {
            partial_line_.append(line);
            line = partial_line_;
        }
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        on_line(line, sink);
        partial_line_.clear();
    }
}

void stream_parser::on_line(std::string_view line, event_sink& sink)
{
    if (line.empty()) {
        last_event_id_ = id_;
        if (has_data_)
            sink.on_event({event_.empty() ? std::string_view("message") : std::string_view(event_),
                           data_, id_});
        event_.clear();
        data_.clear();
        has_data_ = false;
        return;
    }
    if (line.front() == ':')
        return;
    auto const colon = line.find(':');
    auto const field = line.substr(0, colon);
    auto value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
    if (field == "event") {
        event_.assign(value);
    } else if (field == "data") {
        if (has_data_)
            data_ += '\n';
        data_.append(value);
        has_data_ = true;
    } else if (field == "id") {
        id_.assign(value);
    } else if (field == "retry") {
        // Digits only, as a browser reads it; a day at most, so that it cannot overflow.
        std::uint64_t ms = 0;
        auto const [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
        if (ec == std::errc{} && ptr == value.data() + value.size() && !value.empty())
            retry_ = std::chrono::milliseconds(std::min<std::uint64_t>(ms, 86'400'000));
    }
}

void stream_parser::restart()
{
    state_ = state::head;
    status_ = 0;
    error_.clear();
    head_.clear();
    size_line_.clear();
    chunk_left_ = 0;
    partial_line_.clear();
    event_.clear();
    data_.clear();
    has_data_ = false;
    // The id buffer too: a block cut off by the end of the old response never completes.
    id_ = last_event_id_;
}

void stream_parser::fail(std::string why)
{
    state_ = state::failed;
    error_ = std::move(why);
}

} // namespace sse_server::bench
