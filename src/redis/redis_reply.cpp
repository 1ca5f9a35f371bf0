#include "sse_server/redis/redis_reply.hpp"

#include <hiredis/hiredis.h>

#include <cstddef>
#include <utility>

namespace sse_server {

redis_reply unavailable_reply(std::string text)
{
    return {redis_reply::kind::unavailable, std::move(text), {}};
}

redis_reply to_redis_reply(redisReply const& reply)
{
    switch (reply.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
        return {redis_reply::kind::value, std::string(reply.str, reply.len), {}};
    case REDIS_REPLY_INTEGER:
        return {redis_reply::kind::value, std::to_string(reply.integer), {}};
    case REDIS_REPLY_NIL:
        return {redis_reply::kind::nil, {}, {}};
    case REDIS_REPLY_ERROR:
        return {redis_reply::kind::error, std::string(reply.str, reply.len), {}};
    case REDIS_REPLY_ARRAY: {
        // hiredis bounds the nesting (its reader refuses deeper replies), so this recursion is
        // bounded too.
        redis_reply out{redis_reply::kind::array, {}, {}};
        out.elements.reserve(reply.elements);
        for (std::size_t i = 0; i < reply.elements; ++i)
            out.elements.push_back(to_redis_reply(*reply.element[i]));
        return out;
    }
    default:
        return {redis_reply::kind::value, {}, {}};
    }
}

} // namespace sse_server
