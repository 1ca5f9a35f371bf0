#include "support/test_server.hpp"

#include "sse_server/logging.hpp"

namespace sse_server::test {

config test_config(redis_server const& redis)
{
    config cfg;
    cfg.listen.clients = {"127.0.0.1", 0};
    cfg.listen.notify = {"127.0.0.1", 0};
    cfg.redis.url.host = "127.0.0.1";
    cfg.redis.url.port = redis.port();
    cfg.log.level = "warn";
    return cfg;
}

running_server::running_server(config cfg)
{
    setup_logging(cfg.log);
    server_ = std::make_unique<server>(std::move(cfg));
    thread_ = std::thread([this] { server_->run(); });
}

running_server::~running_server()
{
    stop();
}

void running_server::stop()
{
    if (!thread_.joinable())
        return;
    server_->stop();
    thread_.join();
}

} // namespace sse_server::test
