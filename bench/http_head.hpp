#pragma once

#include <string_view>

namespace sse_server::bench {

/** `s` without leading and trailing spaces, tabs and carriage returns. */
std::string_view trim(std::string_view s);

/** Case-insensitive ASCII comparison of header names and tokens. */
bool iequals(std::string_view a, std::string_view b);

/** Calls `field(name, value)` for every `Name: value` line of `lines` (an HTTP head after its
    status line, lines ending in CRLF), the value trimmed; lines without a colon are skipped. */
template <class Field>
void for_each_header_field(std::string_view lines, Field&& field)
{
    while (!lines.empty()) {
        auto const eol = lines.find("\r\n");
        auto const line = lines.substr(0, eol);
        lines = eol == std::string_view::npos ? std::string_view{} : lines.substr(eol + 2);
        auto const colon = line.find(':');
        if (colon != std::string_view::npos)
            field(line.substr(0, colon), trim(line.substr(colon + 1)));
    }
}

} // namespace sse_server::bench
