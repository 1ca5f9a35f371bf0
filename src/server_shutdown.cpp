// The server's stop sequence: stop accepting, drain the streams, close the notification and
// metrics ports last, and cut whatever is left at server.shutdown_timeout.
#include "sse_server/server.hpp"

#include "sse_server/ops/systemd_notify.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace sse_server {

void server::stop()
{
    net::post(ioc_, [this] { begin_shutdown(); });
}

void server::begin_shutdown()
{
    if (stopping_)
        return;
    stopping_ = true;
    systemd_notify("STOPPING=1");
    spdlog::info("stopping: {} streams open", subscriptions_.size());
    clients_.stop();
    start_timer_.cancel();
    // The notification and metrics ports keep listening while the streams close: a load
    // balancer's readiness check, new connection or keep-alive, gets 503 rather than a refused
    // connection.
    signals_.cancel();
    revalidate_timer_.cancel();
    // The streams end at random times over the drain period (client_stream::shut_down), each
    // when a sweep sees its time: sweeps 16 times per period, or the drain would come in
    // steps of a whole sweep period (a second by default).
    if (cfg_.server.drain_period > milliseconds::zero()) {
        auto const finer = std::clamp(cfg_.server.drain_period / 16, milliseconds(10),
                                      sweep_period_);
        if (finer < sweep_period_) {
            sweep_period_ = finer;
            sweep_timer_.cancel(); // the pending sweep returns; this one takes its place
            do_sweep();
        }
    }

    shutdown_timer_.expires_after(cfg_.server.shutdown_timeout);
    shutdown_timer_.async_wait([this](error_code ec) { on_shutdown_deadline(ec); });
    connections_.shut_down_all([this] { stop_notification_ports(); },
                               [this] {
                                   shutdown_timer_.cancel();
                                   sweep_timer_.cancel();
                                   watchdog_timer_.cancel();
                               });
    // Lookups in flight complete as "unavailable", so their clients get a 503 and close.
    redis_.stop();
    hook_.stop();
    if (redis_log_)
        redis_log_->stop();
}

void server::on_shutdown_deadline(error_code ec)
{
    if (ec)
        return;
    stop_notification_ports();
    auto const dropped = connections_.abort_all();
    sweep_timer_.cancel();
    watchdog_timer_.cancel();
    spdlog::warn("shutdown timeout: closed the remaining connections; {} queued events were "
                 "not delivered",
                 dropped);
}

void server::stop_notification_ports()
{
    notify_.stop();
    if (metrics_)
        metrics_->stop();
}

} // namespace sse_server
