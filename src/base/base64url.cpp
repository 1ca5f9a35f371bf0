#include "sse_server/base/base64url.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace sse_server {

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::uint8_t not_base64 = 0xff;

constexpr std::array<std::uint8_t, 256> decoding_table()
{
    std::array<std::uint8_t, 256> table{};
    table.fill(not_base64);
    for (std::size_t i = 0; i < alphabet.size(); ++i)
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
    return table;
}

constexpr auto decoding = decoding_table();

} // namespace

bool is_base64url(std::string_view text)
{
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return decoding[static_cast<unsigned char>(c)] != not_base64;
    });
}

std::optional<std::string> decode_base64url(std::string_view text, std::size_t max_decoded)
{
    // 4 characters carry 3 bytes; a final group of 2 or 3 carries 1 or 2; one alone, none.
    auto const rest = text.size() % 4;
    if (rest == 1)
        return std::nullopt;
    auto const size = text.size() / 4 * 3 + (rest == 0 ? 0 : rest - 1);
    if (size > max_decoded)
        return std::nullopt;
    std::string out;
    out.reserve(size);
    std::uint32_t bits = 0;
    unsigned pending = 0; // bits held in `bits`
    for (char const c : text) {
        auto const value = decoding[static_cast<unsigned char>(c)];
        if (value == not_base64)
            return std::nullopt;
        bits = (bits << 6U) | value;
        pending += 6;
        if (pending >= 8) {
            pending -= 8;
            out.push_back(static_cast<char>((bits >> pending) & 0xffU));
        }
    }
    // Non-zero leftover bits would let one value have several encodings.
    if ((bits & ((1U << pending) - 1U)) != 0)
        return std::nullopt;
    return out;
}

std::string encode_base64url(std::string_view bytes)
{
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::uint32_t bits = 0;
    unsigned pending = 0;
    for (char const c : bytes) {
        bits = (bits << 8U) | static_cast<unsigned char>(c);
        pending += 8;
        while (pending >= 6) {
            pending -= 6;
            out.push_back(alphabet[(bits >> pending) & 0x3fU]);
        }
    }
    if (pending > 0)
        out.push_back(alphabet[(bits << (6 - pending)) & 0x3fU]);
    return out;
}

} // namespace sse_server
