#include "sse_server/redis/redis_reply.hpp"

#include <utility>

namespace sse_server {

redis_reply unavailable_reply(std::string text)
{
    return {redis_reply::kind::unavailable, std::move(text), {}};
}

} // namespace sse_server
