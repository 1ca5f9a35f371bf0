#pragma once

#include <string>
#include <string_view>

namespace sse_server {

/** Splits `text` at the first `separator`: returns the head and leaves the tail (after the
    separator) in `text`, or returns all of it and leaves `text` empty. Pure. */
inline std::string_view take_until(std::string_view& text, char separator)
{
    auto const at = text.find(separator);
    auto const head = text.substr(0, at);
    text = at == std::string_view::npos ? std::string_view{} : text.substr(at + 1);
    return head;
}

/** `text` without the characters of `whitespace` at either end (by default HTTP's optional
    whitespace, space and tab; JSON's adds CR and LF). Pure. */
inline std::string_view trim(std::string_view text, std::string_view whitespace = " \t")
{
    auto const first = text.find_first_not_of(whitespace);
    if (first == std::string_view::npos)
        return {};
    return text.substr(first, text.find_last_not_of(whitespace) - first + 1);
}

/** `text` with ASCII capitals in lower case (error texts from libraries, for our log lines). */
inline std::string ascii_lower(std::string text)
{
    for (auto& c : text)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return text;
}

} // namespace sse_server
