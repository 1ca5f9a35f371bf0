#pragma once

#include "sse_server/config.hpp"

namespace sse_server {

/** Sets up the default spdlog logger on stdout: plain text, or one JSON object per line for
    log collectors. Throws config_error on an unknown level. */
void setup_logging(log_config const& cfg);

} // namespace sse_server
