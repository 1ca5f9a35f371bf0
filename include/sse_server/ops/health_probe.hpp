#pragma once

#include "sse_server/config/config.hpp"

#include <chrono>
#include <string>

namespace sse_server {

/** Where `sse-server --health` asks: listen.metrics when set, else listen.notify, with a
    wildcard listen address ("0.0.0.0", "::", "") turned into the matching loopback one. */
host_port health_address(config const& cfg);

/** GET /healthz at `where`, answered within `timeout`: true on 200. `problem` says what went
    wrong otherwise. Blocking: for the command line (a container's HEALTHCHECK), not for the
    daemon's loop. */
bool probe_health(host_port const& where, std::chrono::milliseconds timeout, std::string& problem);

} // namespace sse_server
