#pragma once

#include "sse_server/config/config.hpp"
#include "sse_server/server.hpp"
#include "support/redis_server.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <thread>

namespace sse_server::test {

/** A config for tests: both ports on 127.0.0.1:0, the given Redis, quiet logs. */
config test_config(redis_server const& redis);

/** The server object in-process, its io_context run by its own thread, talked to over real
    sockets only. Constructed once its clients port accepts (throws if it never does); stopped
    gracefully and joined by the destructor. */
class running_server
{
public:
    explicit running_server(config cfg);
    ~running_server();
    running_server(running_server const&) = delete;
    running_server& operator=(running_server const&) = delete;

    std::uint16_t clients_port() const { return server_->clients_endpoint().port(); }
    std::uint16_t notify_port() const { return server_->notify_endpoint().port(); }
    std::optional<std::uint16_t> metrics_port() const
    {
        auto const endpoint = server_->metrics_endpoint();
        return endpoint ? std::optional<std::uint16_t>{endpoint->port()} : std::nullopt;
    }
    /** Stops it now (graceful) and waits for run() to return. */
    void stop();

private:
    std::unique_ptr<server> server_;
    std::thread thread_;
};

} // namespace sse_server::test
