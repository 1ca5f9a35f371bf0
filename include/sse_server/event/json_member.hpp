#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sse_server {

/** `object`, the text of one valid JSON object, without its top-level members whose key is
    `key` (compared decoded: `"audi\u0065nce"` is `audience`), every other byte as it was:
    what a notification forwards once its routing member is taken out (SPEC §2.4a). One pass,
    linear in the text; the text must have been validated as JSON before. */
std::string without_member(std::string_view object, std::string_view key);

/** The text of the value of `object`'s last top-level member named `key` (compared decoded;
    the last one counts, as with JSON.parse), without the whitespace around it; nothing when
    there is none. One pass, linear in the text; the text must have been validated as JSON. */
std::optional<std::string_view> member_value(std::string_view object, std::string_view key);

} // namespace sse_server
