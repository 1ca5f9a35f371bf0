#pragma once

#include "sse_server/base/ip_network.hpp"

#include <optional>
#include <span>
#include <string_view>

namespace sse_server {

/** A request's header lines that name the hops it came through, each in the order received. */
struct forwarded_headers
{
    std::span<std::string_view const> x_forwarded_for; // "client, proxy1, proxy2"
    std::span<std::string_view const> forwarded; // RFC 7239: "for=client;proto=https, for=proxy1"
};

/** The client's address when the request came through proxies of `trusted`
    (listen.trusted_proxies); empty when the peer itself is the client: it is not trusted, or
    the headers name no usable hop.

    X-Forwarded-For is read when present, else Forwarded (its `for=`); several lines of a
    header count as one list. Each hop is believed only if the one that reported it is trusted:
    from the right (the peer's own report), the walk goes left while the address reached is a
    trusted proxy, so the result is the first untrusted address from the right, or the leftmost
    if every hop is trusted. What a client writes into the header itself sits left of that and
    is never reached. A hop that is no address ("unknown", an obfuscated name, garbage) ends
    the walk at the trusted address that reported it. Addresses may carry a port
   ("[2001:db8::1]:4711", "192.0.2.7:80"), which is dropped.

    One pass from the left, no allocation: linear in the headers' length whatever they hold.
    Pure. */
std::optional<ip_address> forwarded_client(ip_address const& peer, forwarded_headers const& headers,
                                           std::span<ip_network const> trusted);

/** One hop of either header: "192.0.2.7", "192.0.2.7:80", "2001:db8::1", "[2001:db8::1]",
    "[2001:db8::1]:4711"; empty when it is anything else. Pure. */
std::optional<ip_address> parse_hop(std::string_view text);

} // namespace sse_server
