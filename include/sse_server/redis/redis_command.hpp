#pragma once

#include <charconv>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace sse_server {

namespace detail {

inline void append_resp_header(std::string& out, char type, std::size_t count)
{
    char digits[24];
    auto const end = std::to_chars(digits, digits + sizeof digits, count).ptr;
    out += type;
    out.append(digits, end);
    out += "\r\n";
}

} // namespace detail

/** Appends one command as Redis reads it (RESP: an array of bulk strings) to `out`. Every
    argument is counted, never scanned, so any bytes (CR, LF, NUL) may be in it. Appending to a
    buffer kept across commands means no allocation of its own once the buffer has grown. */
template <class Args> void append_redis_command(std::string& out, Args const& args)
{
    std::size_t count = 0;
    for ([[maybe_unused]] auto const& arg : args)
        ++count;
    detail::append_resp_header(out, '*', count);
    for (auto const& arg : args) {
        std::string_view const bytes{arg};
        detail::append_resp_header(out, '$', bytes.size());
        out.append(bytes);
        out += "\r\n";
    }
}

inline void append_redis_command(std::string& out, std::initializer_list<std::string_view> args)
{
    append_redis_command<std::initializer_list<std::string_view>>(out, args);
}

} // namespace sse_server
