#pragma once

#include "sse_server/base/ip_network.hpp"
#include "sse_server/base/net.hpp"

#include <boost/beast/http/fields.hpp>

#include <span>

namespace sse_server {

/** The address of a connection's peer, as the access log and forwarded_client() take it. */
ip_address address_of(tcp::endpoint const& endpoint);

/** Who made a request: the client a trusted proxy (listen.trusted_proxies) forwards for, from
    every line of X-Forwarded-For and Forwarded (see forwarded_client()), else `peer` itself.
    The header block is bounded (at most 8 KiB on the clients port), which bounds the lines. */
ip_address request_client(ip_address const& peer, http::fields const& headers,
                          std::span<ip_network const> trusted);

} // namespace sse_server
