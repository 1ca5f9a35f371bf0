#include "sse_server/stream/stream_origin.hpp"

#include "sse_server/base/hex.hpp"

#include <cstddef>

namespace sse_server {

namespace {

constexpr std::size_t uuid_length = 36;

bool is_hyphen_position(std::size_t i)
{
    return i == 8 || i == 13 || i == 18 || i == 23;
}

/** A lowercase hex digit's value; -1 for anything else, uppercase too: it would not come
    back as it was sent. */
int lowercase_hex_value(char c)
{
    return c >= 'A' && c <= 'F' ? -1 : hex_digit_value(c);
}

} // namespace

stream_origin::stream_origin(std::string_view text)
{
    bool compact = text.size() == uuid_length;
    for (std::size_t i = 0, byte = 0; compact && i < text.size(); ++i) {
        if (is_hyphen_position(i)) {
            compact = text[i] == '-';
            continue;
        }
        auto const high = lowercase_hex_value(text[i]);
        auto const low = lowercase_hex_value(text[++i]);
        compact = high >= 0 && low >= 0;
        uuid_[byte++] = static_cast<std::uint8_t>(high * 16 + low);
    }
    if (!compact)
        text_ = std::make_unique<std::string const>(text);
}

stream_origin stream_origin::random(std::mt19937_64& random)
{
    // UUID v4: 122 random bits, version and variant fixed.
    stream_origin o;
    for (std::size_t i = 0; i < o.uuid_.size(); i += 8) {
        auto const r = random();
        for (std::size_t j = 0; j < 8; ++j)
            o.uuid_[i + j] = static_cast<std::uint8_t>(r >> (8 * j));
    }
    o.uuid_[6] = static_cast<std::uint8_t>((o.uuid_[6] & 0x0f) | 0x40);
    o.uuid_[8] = static_cast<std::uint8_t>((o.uuid_[8] & 0x3f) | 0x80);
    return o;
}

std::string stream_origin::str() const
{
    if (text_)
        return *text_;
    std::string out;
    out.reserve(uuid_length);
    // 8-4-4-4-12 digits: the groups of 4, 2, 2, 2 and 6 bytes.
    std::size_t from = 0;
    for (std::size_t const to : {4, 6, 8, 10, 16}) {
        if (from > 0)
            out += '-';
        append_hex(out, uuid_.data() + from, to - from);
        from = to;
    }
    return out;
}

} // namespace sse_server
