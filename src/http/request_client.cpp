#include "sse_server/http/request_client.hpp"

#include "sse_server/http/forwarded_client.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <string_view>
#include <vector>

namespace sse_server {

ip_address address_of(tcp::endpoint const& endpoint)
{
    auto const address = endpoint.address();
    if (address.is_v4())
        return ip_address::v4(address.to_v4().to_bytes());
    return ip_address{address.to_v6().to_bytes()};
}

ip_address request_client(ip_address const& peer, http::fields const& headers,
                          std::span<ip_network const> trusted)
{
    if (!contains_any(trusted, peer))
        return peer;
    std::vector<std::string_view> x_forwarded_for;
    std::vector<std::string_view> forwarded;
    for (auto [it, end] = headers.equal_range("X-Forwarded-For"); it != end; ++it)
        x_forwarded_for.emplace_back(it->value().data(), it->value().size());
    for (auto [it, end] = headers.equal_range(http::field::forwarded); it != end; ++it)
        forwarded.emplace_back(it->value().data(), it->value().size());
    return forwarded_client(peer, {x_forwarded_for, forwarded}, trusted).value_or(peer);
}

} // namespace sse_server
