#pragma once

#include "options.hpp"

#include <cstddef>
#include <optional>
#include <string>

namespace sse_server::bench {

/** The API key of stream `index`: each stream is its own user, so the daemon's
    per-user connection limit never refuses a bench stream. */
std::string api_key_of(options const& o, std::size_t index);

/** Stores `o.connections` API keys in Redis (user id 1000000+i, and the claims asked for:
    key_claims.hpp; expiring after one hour),
    pipelined on one connection; none when the streams present tokens (--jwt-*). Runs before any I/O of the bench: blocking is fine.
    Returns what went wrong, or nothing. */
std::optional<std::string> create_api_keys(options const& o);

} // namespace sse_server::bench
