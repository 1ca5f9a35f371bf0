#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sse_server {

/** What a JSON text holds at one JSON pointer, as far as user ids and claims care. */
struct json_pick
{
    enum class kind
    {
        missing, // the pointer finds nothing (or is malformed)
        string,
        integer, // signed or unsigned
        strings, // an array whose items are all strings (or none)
        array,   // an array with at least one item that is not a string
        object,
        other // null, true, false, a number with a fraction or an exponent
    };
    kind type = kind::missing;
    std::string text;               // string: the value, decoded; integer: its decimal digits
    std::vector<std::string> items; // strings: the items, decoded, in order
};

/** Reads `text` once, with no document built, and says what it holds at each of `pointers`
    (RFC 6901: `""` is the whole text, `/a/0` the first item of the array at `/a`), exactly as
    nlohmann::json::parse and json_pointer would: when a key comes twice in an object, the last
    one counts; a pointer that is malformed, goes through a scalar, or names an index past an
    array's end finds nothing. Nothing at all when the text is not JSON. Pure; linear in the
    text, nesting included. One json_pick per pointer, in their order; at most 32 pointers. */
std::optional<std::vector<json_pick>> pick_json(std::string_view text, std::span<std::string const> pointers);

} // namespace sse_server
