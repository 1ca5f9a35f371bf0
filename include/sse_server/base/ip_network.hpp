#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sse_server {

/** An IPv4 or IPv6 address in one form: 16 bytes, IPv4 as IPv4-mapped IPv6 (::ffff:192.0.2.7),
    so that an IPv4 client seen on a dual-stack socket compares equal to the same client seen
    on an IPv4 one, and one network matches both. */
struct ip_address
{
    std::array<std::uint8_t, 16> bytes{};

    static ip_address v4(std::array<std::uint8_t, 4> const& v4_bytes);
    bool is_v4() const;
    bool operator==(ip_address const&) const = default;
};

/** "192.0.2.7" or "2001:db8::1": no brackets, port or zone; empty when malformed (leading
    zeros in IPv4 included: "010.0.0.1" is octal to some parsers). Pure. */
std::optional<ip_address> parse_ip_address(std::string_view text);

/** Dotted for IPv4, RFC 5952 for IPv6. */
std::string to_string(ip_address const& address);

/** A network in CIDR notation (listen.trusted_proxies). */
struct ip_network
{
    ip_address base;       // the bits past the prefix are 0
    unsigned prefix = 128; // in bits of the 16-byte form: an IPv4 /24 is 96 + 24

    bool contains(ip_address const& address) const;
    bool operator==(ip_network const&) const = default;
};

/** "10.0.0.0/8", "2001:db8::/32", or one address ("192.0.2.7" = /32, "::1" = /128); empty when
    malformed or when bits are set past the prefix ("10.0.0.1/8": a mistyped prefix, or a
    mistyped address, is refused rather than guessed). Pure. */
std::optional<ip_network> parse_ip_network(std::string_view text);

/** As the operator would write it: "10.0.0.0/8", "2001:db8::/32". */
std::string to_string(ip_network const& network);

/** True when one of `networks` contains `address`. */
bool contains_any(std::span<ip_network const> networks, ip_address const& address);

} // namespace sse_server
