#include "sse_server/log/bus_wakeup.hpp"

#include <memory>
#include <utility>

namespace sse_server {

namespace {

using kind = redis_reply::kind;

constexpr auto invalidations = "__redis__:invalidate";

} // namespace

bus_wakeup::bus_wakeup(net::io_context& ioc, redis_config const& bus, handlers on)
    : bus_(bus), on_(std::move(on)), redis_(ioc, bus_, {"bus wake-up", false})
{
    redis_.on_state_change([this](bool up) { on_state(up); });
}

void bus_wakeup::start()
{
    stopped_ = false;
    redis_.start();
}

void bus_wakeup::stop()
{
    stopped_ = true;
    client_id_.reset();
    redis_.stop();
}

void bus_wakeup::on_state(bool up)
{
    if (stopped_ || !up)
        return; // a lost connection fails the subscription, which says so (on_message)
    auto id = std::make_shared<std::string>();
    redis_.async_command({"CLIENT", "ID"}, [id](redis_reply const& r) {
        if (r.type == kind::value)
            *id = r.text;
    });
    redis_.async_subscribe(invalidations, [this, id](redis_reply const& message) {
        if (stopped_)
            return;
        if (message.type != kind::array) {
            // The connection is gone (or refused to subscribe): the reader polls meanwhile.
            client_id_.reset();
            on_.ready(std::nullopt);
            return;
        }
        if (!client_id_) {
            // The first reply confirms the subscription: from now on nothing is missed.
            if (id->empty())
                return;
            client_id_ = *id;
            on_.ready(client_id_);
            return;
        }
        on_message(message);
    });
}

void bus_wakeup::on_message(redis_reply const& message)
{
    // ["message", "__redis__:invalidate", [key, …]] (nil for a FLUSHDB): which key changed
    // does not matter, only the tracked prefix is reported.
    if (message.elements.size() == 3 && message.elements[0].text == "message")
        on_.changed();
}

} // namespace sse_server
