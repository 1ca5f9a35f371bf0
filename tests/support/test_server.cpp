#include "support/test_server.hpp"

#include "sse_server/ops/logging.hpp"

#include <future>
#include <stdexcept>

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
    auto const patience = cfg.server.ready_timeout + std::chrono::seconds(20);
    server_ = std::make_unique<server>(std::move(cfg));
    // The clients port opens once Redis answers: a test connecting before would be refused.
    auto serving = std::make_shared<std::promise<void>>();
    auto served = serving->get_future();
    server_->on_serving([serving] { serving->set_value(); });
    thread_ = std::thread([this] { server_->run(); });
    if (served.wait_for(patience) != std::future_status::ready) {
        stop();
        throw std::runtime_error("the server never opened its clients port");
    }
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
