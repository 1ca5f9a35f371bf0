#pragma once

#include <string>
#include <vector>

namespace sse_server {

/** The outcome of one Redis command. */
struct redis_reply
{
    enum class kind
    {
        value,      // a string, status or integer reply; `text` holds it
        nil,        // the key does not exist (or a blocking read timed out)
        array,      // `elements` holds the items (XREAD, XRANGE, EXEC, …)
        error,      // Redis answered with an error; `text` holds it (e.g. WRONGTYPE …)
        unavailable // not connected, disconnected before the reply, or timed out; `text` says which
    };
    kind type = kind::unavailable;
    std::string text;
    std::vector<redis_reply> elements;
};

/** A reply that never came, saying why ("redis connection lost", …). */
redis_reply unavailable_reply(std::string text);

} // namespace sse_server
