#include "sse_server/stream/stream_origin.hpp"

#include <cstddef>

namespace sse_server {

namespace {

constexpr std::size_t uuid_length = 36;

bool is_hyphen_position(std::size_t i)
{
    return i == 8 || i == 13 || i == 18 || i == 23;
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; // uppercase too: it would not come back as it was sent
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
        auto const high = hex_value(text[i]);
        auto const low = hex_value(text[++i]);
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
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(uuid_length);
    for (std::size_t byte = 0; byte < uuid_.size(); ++byte) {
        if (byte == 4 || byte == 6 || byte == 8 || byte == 10)
            out += '-';
        out += digits[uuid_[byte] >> 4];
        out += digits[uuid_[byte] & 0x0f];
    }
    return out;
}

} // namespace sse_server
