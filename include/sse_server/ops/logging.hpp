#pragma once

#include "sse_server/config/config.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace spdlog::sinks {
class sink;
} // namespace spdlog::sinks

namespace sse_server {

/** Sets up the default spdlog logger on stdout: plain text, or one JSON object per line for
    log collectors. Throws config_error on an unknown level. */
void setup_logging(log_config const& cfg);

/** As above, writing to `sink` instead of stdout (tests capture the lines this way). */
void setup_logging(log_config const& cfg, std::shared_ptr<spdlog::sinks::sink> sink);

/** Applies a new level and format (a reload) to the default logger, keeping where it writes. */
void reconfigure_logging(log_config const& cfg);

/** Appends `text` as the contents of a JSON string (without the quotes) to `out`: quotes,
    backslashes and control characters escaped, valid UTF-8 kept as it is, and every byte that
    is not part of a valid UTF-8 sequence (RFC 3629) replaced by `\ufffd`. Whatever `text`
    holds (a client's request target, say), the result is valid JSON. */
void append_json_escaped(std::string_view text, std::string& out);

} // namespace sse_server
