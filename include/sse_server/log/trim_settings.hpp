#pragma once

#include "sse_server/redis/redis_reply.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sse_server {

/** How a daemon trims the bus stream (SPEC §5): to about `max_len` entries on every append,
    and to `max_age` periodically. Every daemon trims for all, so the smallest settings win;
    each daemon publishes its own beside the stream, in a hash `<stream>:settings` whose field
    is the settings themselves (daemons that agree share one, so restarts add nothing) and
    whose value is when the field expires unless refreshed (ms since the epoch). */
struct trim_settings
{
    std::uint64_t max_len = 0;
    std::chrono::milliseconds max_age{0};
};

/** The hash field that stands for `s`: "max_len=100000 max_age=300000ms". */
std::string settings_field(trim_settings const& s);

/** What the published settings say, read from the hash (HGETALL: field, expiry, …). */
struct settings_seen
{
    std::vector<std::string> others;  // current settings other than `mine`, sorted
    std::vector<std::string> expired; // fields past their expiry: anyone may delete them
};
settings_seen read_settings(redis_reply const& hgetall, std::string_view mine,
                            std::uint64_t now_ms);

} // namespace sse_server
