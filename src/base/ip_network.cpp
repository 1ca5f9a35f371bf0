#include "sse_server/base/ip_network.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>

namespace sse_server {

namespace {

constexpr std::array<std::uint8_t, 12> v4_mapped_prefix = {0, 0, 0, 0, 0,    0,
                                                           0, 0, 0, 0, 0xff, 0xff};
constexpr unsigned v4_mapped_bits = 96;
// The longest text of an address: a full IPv6 with an embedded IPv4 (45 characters).
constexpr std::size_t longest_address = 45;

} // namespace

ip_address ip_address::v4(std::array<std::uint8_t, 4> const& v4_bytes)
{
    ip_address address;
    std::copy(v4_mapped_prefix.begin(), v4_mapped_prefix.end(), address.bytes.begin());
    std::copy(v4_bytes.begin(), v4_bytes.end(), address.bytes.begin() + v4_mapped_prefix.size());
    return address;
}

bool ip_address::is_v4() const
{
    return std::equal(v4_mapped_prefix.begin(), v4_mapped_prefix.end(), bytes.begin());
}

std::optional<ip_address> parse_ip_address(std::string_view text)
{
    // inet_pton reads a NUL-terminated string: copied into a buffer of bounded size, since the
    // text may be a request header's.
    // Digits, dots and colons only: inet_pton would stop at a NUL byte and read what precedes
    // it as the whole address.
    auto const address_char = [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
               c == '.' || c == ':';
    };
    if (text.empty() || text.size() > longest_address ||
        !std::all_of(text.begin(), text.end(), address_char))
        return std::nullopt;
    std::array<char, longest_address + 1> terminated{};
    std::copy(text.begin(), text.end(), terminated.begin());
    if (text.find(':') == std::string_view::npos) {
        std::array<std::uint8_t, 4> v4{};
        // glibc's inet_pton takes dotted-decimal only, without leading zeros.
        if (inet_pton(AF_INET, terminated.data(), v4.data()) != 1)
            return std::nullopt;
        return ip_address::v4(v4);
    }
    ip_address address;
    if (inet_pton(AF_INET6, terminated.data(), address.bytes.data()) != 1)
        return std::nullopt;
    return address;
}

std::string to_string(ip_address const& address)
{
    std::array<char, INET6_ADDRSTRLEN> text{};
    if (address.is_v4())
        inet_ntop(AF_INET, address.bytes.data() + v4_mapped_prefix.size(), text.data(),
                  text.size());
    else
        inet_ntop(AF_INET6, address.bytes.data(), text.data(), text.size());
    return text.data();
}

bool ip_network::contains(ip_address const& address) const
{
    auto const whole = prefix / 8;
    if (!std::equal(base.bytes.begin(), base.bytes.begin() + whole, address.bytes.begin()))
        return false;
    auto const rest = prefix % 8;
    if (rest == 0)
        return true;
    auto const mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (address.bytes[whole] & mask) == base.bytes[whole];
}

std::optional<ip_network> parse_ip_network(std::string_view text)
{
    auto const slash = text.find('/');
    auto const address = parse_ip_address(text.substr(0, slash));
    if (!address)
        return std::nullopt;
    // An IPv4 prefix counts the bits of the IPv4 address.
    auto const written_as_v4 = text.substr(0, slash).find(':') == std::string_view::npos;
    unsigned const offset = written_as_v4 ? v4_mapped_bits : 0;
    ip_network network{*address, 128};
    if (slash != std::string_view::npos) {
        auto const digits = text.substr(slash + 1);
        unsigned bits = 0;
        auto const [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
        if (digits.empty() || digits.size() > 3 || ec != std::errc{} ||
            end != digits.data() + digits.size() || bits > 128 - offset)
            return std::nullopt;
        network.prefix = offset + bits;
    }
    // Bits past the prefix must be 0.
    ip_network masked{{}, network.prefix};
    for (unsigned bit = 0; bit < network.prefix; ++bit)
        masked.base.bytes[bit / 8] |= network.base.bytes[bit / 8] & (0x80 >> (bit % 8));
    if (masked.base != network.base)
        return std::nullopt;
    return network;
}

std::string to_string(ip_network const& network)
{
    if (network.base.is_v4() && network.prefix >= v4_mapped_bits)
        return to_string(network.base) + "/" + std::to_string(network.prefix - v4_mapped_bits);
    std::array<char, INET6_ADDRSTRLEN> text{};
    inet_ntop(AF_INET6, network.base.bytes.data(), text.data(), text.size());
    return std::string(text.data()) + "/" + std::to_string(network.prefix);
}

bool contains_any(std::span<ip_network const> networks, ip_address const& address)
{
    return std::any_of(networks.begin(), networks.end(),
                       [&](ip_network const& network) { return network.contains(address); });
}

} // namespace sse_server
