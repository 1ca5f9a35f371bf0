#pragma once

// What a browser makes of an event stream, written from the WHATWG HTML standard
// ("9.2.6 Interpreting an event stream") rather than from sse_frame.cpp, so that the fuzz
// targets check the frames against the reader that matters instead of against themselves.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sse_server::fuzz {

/** One event as `EventSource` hands it to the page. */
struct dispatched_event
{
    std::string type;
    std::string data;
    std::string last_event_id;
};

/** Splits `stream` into lines ended by CRLF, LF or CR; a last line without an end is never
    processed (the browser is still waiting for its end). */
template <class F> void for_each_complete_line(std::string_view stream, F&& f)
{
    std::size_t start = 0;
    for (std::size_t i = 0; i < stream.size(); ++i) {
        if (stream[i] != '\r' && stream[i] != '\n')
            continue;
        f(stream.substr(start, i - start));
        if (stream[i] == '\r' && i + 1 < stream.size() && stream[i + 1] == '\n')
            ++i;
        start = i + 1;
    }
}

/** The events `stream` dispatches, in order. `stream` is taken as already decoded, so a
    caller that cares checks is_valid_utf8() too. */
inline std::vector<dispatched_event> parse_event_stream(std::string_view stream)
{
    std::vector<dispatched_event> events;
    std::string data;
    std::string type;
    std::string last_event_id;
    if (stream.starts_with("\xEF\xBB\xBF"))
        stream.remove_prefix(3);

    for_each_complete_line(stream, [&](std::string_view line) {
        if (line.empty()) {
            // A blank line dispatches, unless no data was collected since the last one.
            if (data.empty()) {
                type.clear();
                return;
            }
            if (data.back() == '\n')
                data.pop_back();
            events.push_back({type.empty() ? "message" : type, data, last_event_id});
            data.clear();
            type.clear();
            return;
        }
        if (line.front() == ':')
            return;
        auto const colon = line.find(':');
        auto const field = line.substr(0, colon);
        auto value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
        if (value.starts_with(' '))
            value.remove_prefix(1);
        if (field == "event") {
            type = value;
        } else if (field == "data") {
            data += value;
            data += '\n';
        } else if (field == "id") {
            if (value.find('\0') == std::string_view::npos)
                last_event_id = value;
        }
        // "retry" and unknown fields do not change what is dispatched.
    });
    return events;
}

/** `text` with CRLF and lone CR turned into LF: what `event.data` shows for a body. */
inline std::string normalise_line_breaks(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\r') {
            out += text[i];
            continue;
        }
        out += '\n';
        if (i + 1 < text.size() && text[i + 1] == '\n')
            ++i;
    }
    return out;
}

/** Well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF): anything
    else the browser's decoder would replace by U+FFFD, changing `event.data`. */
inline bool is_valid_utf8(std::string_view text)
{
    auto const byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    std::size_t i = 0;
    while (i < text.size()) {
        unsigned char const c = byte(i);
        std::size_t length = 0;
        unsigned char low = 0x80;
        unsigned char high = 0xBF;
        if (c < 0x80) {
            ++i;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            length = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            length = 3;
            if (c == 0xE0)
                low = 0xA0;
            if (c == 0xED)
                high = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            length = 4;
            if (c == 0xF0)
                low = 0x90;
            if (c == 0xF4)
                high = 0x8F;
        } else {
            return false;
        }
        if (i + length > text.size())
            return false;
        if (byte(i + 1) < low || byte(i + 1) > high)
            return false;
        for (std::size_t k = 2; k < length; ++k) {
            if (byte(i + k) < 0x80 || byte(i + k) > 0xBF)
                return false;
        }
        i += length;
    }
    return true;
}

} // namespace sse_server::fuzz
