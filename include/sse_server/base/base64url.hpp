#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sse_server {

/** RFC 4648 §5 base64url without padding, as JOSE writes it (RFC 7515 §2): `[A-Za-z0-9_-]`,
    no `=`, no whitespace. Empty optional for any other byte, for a length that no encoding
    has (4n+1), for leftover bits that are not zero (each value has one encoding), or when the
    decoded size would pass `max_decoded`. The size is checked before anything is decoded:
    linear, and never more memory than `max_decoded`. Pure. */
std::optional<std::string> decode_base64url(std::string_view text, std::size_t max_decoded);

/** The unpadded base64url encoding of `bytes`. Pure. */
std::string encode_base64url(std::string_view bytes);

/** True when every byte of `text` is of the base64url alphabet (and it is not empty). */
bool is_base64url(std::string_view text);

} // namespace sse_server
