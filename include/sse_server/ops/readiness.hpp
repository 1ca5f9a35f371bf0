#pragma once

#include <string>
#include <string_view>

namespace sse_server {

/** Why the daemon is not ready, in the words /readyz may use. /readyz answers whoever reaches
    the port, without a token (the metrics port is made for that): it names the cause in a few
    generic words, and the detail (Redis's error text, key and host names) goes to the log
    only. A new reason is a new cause here with its public words, or a new detail of one. */
enum class not_ready_cause
{
    redis_unavailable,  // the sessions' Redis does not answer PING
    bus_unavailable,    // cluster mode: the bus's Redis cannot be used (down, a key not a stream)
    bus_not_positioned, // cluster mode: the reading position is not fixed yet
    starting,           // all answers, but the clients port is not open yet
};

/** What /readyz says for `cause`: short, generic, the same on every daemon. */
constexpr std::string_view public_reason(not_ready_cause cause)
{
    switch (cause) {
    case not_ready_cause::redis_unavailable:
        return "redis unavailable";
    case not_ready_cause::bus_unavailable:
        return "event bus unavailable";
    case not_ready_cause::bus_not_positioned:
        return "event bus not positioned";
    case not_ready_cause::starting:
        return "starting";
    }
    return "not ready";
}

/** Why not ready, once: the cause, and the detail for the log. */
struct not_ready_reason
{
    not_ready_cause cause;
    std::string detail;
};

} // namespace sse_server
