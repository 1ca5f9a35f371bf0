#pragma once

#include "sse_server/base/net.hpp"
#include "sse_server/config/config.hpp"
#include "sse_server/redis/redis_client.hpp"

#include <functional>
#include <optional>
#include <string>

namespace sse_server {

/** Tells the bus reader, without sending it any entry, that the stream may have changed: a
    connection of its own subscribed to Redis's `__redis__:invalidate` channel, to which the
    reader's connection sends its key-space tracking (`CLIENT TRACKING … BCAST PREFIX <key>`,
    Redis 6 and later). Redis then names the key after each change (XADD, XTRIM, DEL, …) and
    never sends a payload: a waiting reader costs Redis nothing, and an entry of any size
    reaches the reader only as the bounded reads it asks for. Owned by `bus_reader`;
    single-threaded. */
class bus_wakeup
{
public:
    struct handlers
    {
        /** Subscribed, with the id of this connection to redirect tracking to; or none, when
            the connection was lost (until it is subscribed again). */
        std::function<void(std::optional<std::string> const& client_id)> ready;
        std::function<void()> changed; // a key with the tracked prefix changed
    };

    bus_wakeup(net::io_context& ioc, redis_config const& bus, handlers on);

    void start();
    void stop();

private:
    void on_state(bool up);
    void on_message(redis_reply const& message);

    redis_config const& bus_;
    handlers on_;
    redis_client redis_;
    std::optional<std::string> client_id_; // set while subscribed
    bool stopped_ = true;
};

} // namespace sse_server
