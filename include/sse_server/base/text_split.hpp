#pragma once

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

} // namespace sse_server
