// The daemon's wiring and its life while it serves: construction, run, signals and reload, the
// periodic sweep, revalidation, watchdog and readiness (the stop sequence: server_shutdown.cpp).
#include "sse_server/server.hpp"

#include "sse_server/config_report.hpp"
#include "sse_server/logging.hpp"
#include "sse_server/process_limits.hpp"
#include "sse_server/systemd_notify.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <memory>

namespace sse_server {

// One sweep checks every connection's deadlines, the streams' lifetimes and the heartbeats. It
// runs often enough that a deadline is late by at most a quarter of the shortest timeout, and
// at least every second: a lifetime of an hour costs no more sweeps than none.
std::chrono::milliseconds sweep_period(config const& cfg)
{
    using std::chrono::milliseconds;
    // Half the heartbeat: a period of at most 1/8 of it keeps heartbeats within [0.75, 1] of
    // client.heartbeat apart (on_sweep).
    auto shortest = std::min({cfg.client.header_timeout, cfg.client.send_timeout,
                              cfg.client.heartbeat / 2, cfg.notify.idle_timeout});
    if (cfg.client.max_lifetime > milliseconds::zero())
        shortest = std::min(shortest, cfg.client.max_lifetime);
    return std::clamp(shortest / 4, milliseconds(10), milliseconds(1000));
}

server::server(config cfg, bool handle_signals, config_source reload_source)
    : cfg_(std::move(cfg)), reload_source_(std::move(reload_source)),
      subscriptions_(cfg_.events.account),
      notify_handler_(cfg_, log_, stats_,
                      [this](auto verdict) { check_readiness(std::move(verdict)); }),
      metrics_handler_(cfg_, log_, stats_,
                       [this](auto verdict) { check_readiness(std::move(verdict)); },
                       notify_routes::health_only),
      client_services_{cfg_,    subscriptions_, log_,    auth_,
                       stats_,  warnings_,      connections_, flushes_,
                       random_, open_client_sessions_},
      notify_services_{cfg_, notify_handler_, connections_},
      metrics_services_{cfg_, metrics_handler_, connections_},
      flushes_(ioc_), random_(std::random_device{}()), redis_(ioc_, cfg_.redis),
      auth_(redis_, cfg_.auth),
      clients_(ioc_, cfg_.listen.clients, "clients",
               [this](tcp::socket&& s) {
                   std::make_shared<sse_session>(std::move(s), client_services_)->run();
               },
               cfg_.listen.reuse_port),
      notify_(ioc_, cfg_.listen.notify, "notifications",
              [this](tcp::socket&& s) {
                  std::make_shared<notify_session>(std::move(s), notify_services_)->run();
              },
              cfg_.listen.reuse_port),
      signals_(ioc_), sweep_timer_(ioc_), sweep_period_(sweep_period(cfg_)),
      revalidate_timer_(ioc_), shutdown_timer_(ioc_), watchdog_timer_(ioc_),
      heartbeat_(std::make_shared<std::string const>(heartbeat_comment()))
{
    if (handle_signals) {
        signals_.add(SIGTERM);
        signals_.add(SIGINT);
        // Without a handler SIGHUP would end the daemon, and systemd would count that as a
        // clean exit and not restart it.
        signals_.add(SIGHUP);
        do_wait_signal();
    }
    if (cfg_.listen.metrics) {
        // The notification port's sessions, limits and shutdown, with their own routes.
        metrics_.emplace(
            ioc_, *cfg_.listen.metrics, "metrics",
            [this](tcp::socket&& s) {
                std::make_shared<notify_session>(std::move(s), metrics_services_)->run();
            },
            cfg_.listen.reuse_port);
    }
    redis_.on_state_change([this](bool up) { on_redis_state(up); });

    auto deliver = [this](event const& e) { return subscriptions_.deliver(e); };
    if (cfg_.cluster.mode == cluster_mode::redis) {
        redis_log_.emplace(ioc_, cfg_, bus_redis_config(cfg_), stats_, deliver,
                           [this](frame_ptr const& frame) {
                               std::size_t took = 0;
                               subscriptions_.for_each(
                                   [&](subscriber& s) { took += s.send(frame) ? 1 : 0; });
                               return took;
                           });
        log_.target = &*redis_log_;
    } else {
        memory_log_.emplace(cfg_.replay, deliver);
        log_.target = &*memory_log_;
    }
}

server::~server() = default;

std::optional<tcp::endpoint> server::metrics_endpoint() const
{
    if (!metrics_)
        return std::nullopt;
    return metrics_->local_endpoint();
}

void server::run()
{
    redis_.start();
    if (redis_log_)
        redis_log_->start();
    if (auto const limit = open_file_limit(); limit > 0) {
        // Every connection holds one descriptor; the rest (listeners, Redis, the loop's own)
        // are about what is open now. The clients port stops short of the limit, so that
        // health checks, notifications and Redis never starve behind a crowd of clients.
        auto const used_by_others = open_descriptor_count() + descriptor_reserve(limit);
        clients_.accept_while(
            [this, limit, used_by_others] { return used_by_others + connections_.size() < limit; });
    }
    clients_.run();
    notify_.run();
    if (metrics_)
        metrics_->run();
    do_sweep();
    do_revalidate();
    systemd_notify("READY=1");
    if (auto const every = watchdog_ping_interval())
        do_watchdog(*every);
    spdlog::info("sse-server {} ready", SSE_SERVER_VERSION);
    ioc_.run();
    spdlog::info("sse-server stopped");
}

void server::reload()
{
    net::post(ioc_, [this] { apply_reload(); });
}

void server::do_wait_signal()
{
    signals_.async_wait([this](error_code ec, int signal) {
        if (ec)
            return;
        if (signal == SIGHUP) {
            apply_reload();
            return do_wait_signal();
        }
        spdlog::info("signal {} received: stopping", signal);
        begin_shutdown();
    });
}

// The ping comes from a timer on the loop itself: a loop that hangs stops pinging, and systemd
// restarts the daemon.
void server::do_watchdog(std::chrono::microseconds every)
{
    systemd_notify("WATCHDOG=1");
    watchdog_timer_.expires_after(every);
    watchdog_timer_.async_wait([this, every](error_code ec) {
        // A ping already due when the last connection closed must not keep the loop alive.
        if (!ec && (!stopping_ || connections_.size() > 0))
            do_watchdog(every);
    });
}

void server::apply_reload()
{
    if (stopping_)
        return;
    if (!reload_source_) {
        spdlog::warn("reload: no configuration source; nothing changed");
        return;
    }
    systemd_notify("RELOADING=1");
    try {
        auto const outcome = apply_reloadable(cfg_, reload_source_());
        reconfigure_logging(cfg_.log);
        for (auto const& key : outcome.need_restart)
            spdlog::warn("reload: {} changed; it takes effect at the next restart", key);
        std::string applied;
        for (auto const& key : outcome.applied)
            applied += (applied.empty() ? "" : ", ") + key;
        spdlog::info("reloaded the configuration: {}",
                     applied.empty() ? std::string("nothing to apply") : "applied " + applied);
    } catch (config_error const& e) {
        // Thrown by the loader: the running configuration was not touched.
        spdlog::error("reload refused, the running configuration stays: {}", e.what());
    }
    systemd_notify("READY=1");
}

void server::do_sweep()
{
    sweep_timer_.expires_after(sweep_period_);
    sweep_timer_.async_wait([this](error_code ec) { on_sweep(ec); });
}

void server::on_sweep(error_code ec)
{
    if (ec)
        return;
    auto const now = std::chrono::steady_clock::now();
    connections_.sweep(now);
    for (auto const& held : warnings_.take_expired(now))
        spdlog::warn("{} (×{} more in the last {} s)", held.kind, held.count,
                     std::chrono::duration_cast<std::chrono::seconds>(warnings_.window()).count());
    // A stream gets a comment once it has been quiet for a heartbeat less two sweep
    // periods: its last write is known to within one period (the sweep that saw it), and the
    // comment comes at most one period late. So an idle stream's comments come at most
    // client.heartbeat apart, and at least 0.75 of it (a period is at most 1/8 of it).
    if (!stopping_) {
        auto const quiet_for = cfg_.client.heartbeat - 2 * sweep_period_;
        subscriptions_.for_each(
            [&](subscriber& s) { s.keep_alive(heartbeat_, now, quiet_for); });
        // Old history goes even when nothing is published.
        log_.expire();
    }
    // Deadlines still apply while stopping, until the last connection is gone.
    if (!stopping_ || connections_.size() > 0)
        do_sweep();
}

void server::do_revalidate()
{
    if (cfg_.auth.revalidate_interval.count() == 0)
        return;
    revalidate_timer_.expires_after(cfg_.auth.revalidate_interval);
    revalidate_timer_.async_wait([this](error_code ec) { on_revalidate(ec); });
}

void server::on_revalidate(error_code ec)
{
    if (ec || stopping_)
        return;
    // One lookup per stream, all issued now: they go to Redis as one pipelined batch.
    subscriptions_.for_each([](subscriber& s) { s.revalidate(); });
    do_revalidate();
}

void server::check_readiness(std::function<void(bool, std::string)> verdict)
{
    // Ready when Redis answers (authentication needs it) and, in cluster mode, the bus is read
    // from a fixed position.
    redis_.async_ping([this, verdict = std::move(verdict)](redis_reply const& r) {
        if (r.type != redis_reply::kind::value)
            return verdict(false, "redis unavailable: " + r.text);
        if (auto const why = redis_log_ ? redis_log_->not_ready() : std::nullopt)
            return verdict(false, *why);
        verdict(true, {});
    });
}

void server::on_redis_state(bool up)
{
    stats_.redis_up = up;
}

} // namespace sse_server
