#include "api_keys.hpp"

#include "key_claims.hpp"

#include <algorithm>
#include <hiredis/hiredis.h>
#include <memory>

namespace sse_server::bench {

namespace {

constexpr std::size_t pipeline_depth = 1000;

struct context_deleter
{
    void operator()(redisContext* c) const { redisFree(c); }
};

struct reply_deleter
{
    void operator()(void* r) const { freeReplyObject(r); }
};

} // namespace

std::string api_key_of(options const& o, std::size_t index)
{
    return o.api_key_prefix + std::to_string(index);
}

std::optional<std::string> create_api_keys(options const& o)
{
    if (!o.redis || o.jwt != jwt_algorithm::none) // tokens need no key
        return std::nullopt;
    timeval const timeout{5, 0};
    std::unique_ptr<redisContext, context_deleter> redis(
        redisConnectWithTimeout(o.redis->host.c_str(), o.redis->port, timeout));
    if (!redis)
        return "redis: out of memory";
    if (redis->err)
        return std::string("redis: ") + redis->errstr;
    redisSetTimeout(redis.get(), timeout);

    // Pipelined in rounds: a round trip per thousand keys, and a bounded output buffer.
    for (std::size_t start = 0; start < o.connections; start += pipeline_depth) {
        auto const end = std::min(o.connections, start + pipeline_depth);
        for (std::size_t i = start; i < end; ++i) {
            auto const key = o.redis_key_prefix + api_key_of(o, i);
            auto const value = api_key_value(o, i);
            redisAppendCommand(redis.get(), "SET %b %b EX 3600", key.data(), key.size(),
                               value.data(), value.size());
        }
        for (std::size_t i = start; i < end; ++i) {
            void* raw = nullptr;
            if (redisGetReply(redis.get(), &raw) != REDIS_OK)
                return std::string("redis: ") + redis->errstr;
            std::unique_ptr<void, reply_deleter> reply(raw);
            auto const* r = static_cast<redisReply*>(raw);
            if (r->type == REDIS_REPLY_ERROR)
                return std::string("redis: SET refused: ") + std::string(r->str, r->len);
        }
    }
    return std::nullopt;
}

} // namespace sse_server::bench
