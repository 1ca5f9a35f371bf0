#pragma once

#include "sse_server/redis/redis_reply.hpp"

#include <cstddef>
#include <string>

struct redisReader;

namespace sse_server {

/** Bytes from Redis in, replies out: hiredis's RESP reader (no I/O), building each reply
    directly as a `redis_reply` rather than as hiredis's own objects to be converted, so that a
    reply costs no allocation but its strings' and arrays' own. Feed it what a read brought, in
    any split, then take the replies it completes. One per connection; not copyable. */
class reply_reader
{
public:
    reply_reader();
    ~reply_reader();
    reply_reader(reply_reader const&) = delete;
    reply_reader& operator=(reply_reader const&) = delete;

    enum class status
    {
        reply, // `out` holds the next reply
        more,  // no complete reply yet: feed more bytes
        error  // the bytes are not RESP (or memory ran out): error() says why; the link is done
    };

    /** False when it could not be made (out of memory). */
    bool usable() const { return reader_ != nullptr; }
    /** False when out of memory (then the link is done). */
    bool feed(char const* data, std::size_t size);
    status next(redis_reply& out);
    std::string error() const;

private:
    redis_reply root_;          // the reply being built; hiredis finds it through its privdata
    redisReader* reader_ = nullptr; // null: could not be made (out of memory)
};

} // namespace sse_server
