#pragma once

#include <cstddef>
#include <string>

namespace sse_server {

/** Appends `size` bytes from `bytes` as lowercase hex, two digits a byte. Pure. */
void append_hex(std::string& out, unsigned char const* bytes, std::size_t size);

/** The value of one hex digit (either case), or -1 when `c` is not one. Pure. */
int hex_digit_value(char c);

} // namespace sse_server
