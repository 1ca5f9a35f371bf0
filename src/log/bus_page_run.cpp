// Running a page request (bus_page) on a Redis connection: by the script's digest, and with
// the script itself only when Redis does not hold it.
#include "sse_server/log/bus_page.hpp"

#include <utility>

namespace sse_server {

void async_bus_page(redis_client& redis, bus_page_request const& request,
                    std::string const& digest, redis_client::callback done)
{
    redis.async_command(
        bus_page_command(request, digest),
        [&redis, request, done = std::move(done)](redis_reply reply) mutable {
            if (!script_not_cached(reply))
                return done(std::move(reply));
            // EVAL runs the script and caches it: the next EVALSHA finds it.
            redis.async_command(bus_page_command(request), std::move(done));
        });
}

} // namespace sse_server
