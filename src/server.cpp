// The daemon's wiring and its life while it serves: construction, run, signals and reload, the
// periodic sweep, revalidation, watchdog and readiness (the stop sequence: server_shutdown.cpp).
#include "sse_server/server.hpp"

#include "sse_server/config/config_report.hpp"
#include "sse_server/ops/logging.hpp"
#include "sse_server/ops/process_limits.hpp"
#include "sse_server/ops/start_gate.hpp"
#include "sse_server/ops/systemd_notify.hpp"
#include "sse_server/stream/client_session.hpp"

#include <boost/asio/post.hpp>
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
      notify_handler_(cfg_, log_, subscriptions_, stats_,
                      [this](auto verdict) { check_readiness(std::move(verdict)); },
                      [this](auto users, auto done) {
                          revalidate_users(std::move(users), std::move(done));
                      },
                      ioc_),
      metrics_handler_(cfg_, log_, subscriptions_, stats_,
                       [this](auto verdict) { check_readiness(std::move(verdict)); }, {}, ioc_,
                       notify_routes::health_only),
      client_services_{cfg_,      subscriptions_, log_,        auth_,    stats_,
                       warnings_, access_log_,    connections_, flushes_, random_,
                       keep_alive_plan_},
      notify_services_{cfg_, notify_handler_, connections_},
      metrics_services_{cfg_, metrics_handler_, connections_},
      flushes_(ioc_), random_(std::random_device{}()), redis_(ioc_, cfg_.redis),
      hook_(ioc_, cfg_.auth.hook, stats_), auth_(ioc_.get_executor(), redis_, cfg_.auth, &hook_),
      // Bound now (a taken port stops the start), listening once the daemon can serve.
      clients_(ioc_, cfg_.listen.clients, "clients",
               [this](tcp_socket&& s) {
                   std::make_shared<client_session>(std::move(s), client_services_)->run();
               },
               cfg_.listen.reuse_port, listener::listen_from::first_listen),
      notify_(ioc_, cfg_.listen.notify, "notifications",
              [this](tcp_socket&& s) { notify_session::start(std::move(s), notify_services_); },
              cfg_.listen.reuse_port),
      signals_(ioc_), sweep_timer_(ioc_), sweep_period_(sweep_period(cfg_)),
      revalidate_timer_(ioc_), shutdown_timer_(ioc_), watchdog_timer_(ioc_), start_timer_(ioc_),
      heartbeat_{std::make_shared<std::string const>(heartbeat_comment()), nullptr}
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
            [this](tcp_socket&& s) { notify_session::start(std::move(s), metrics_services_); },
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
                           },
                           [this](auto const& users, auto done) {
                               check_streams_of(users, std::move(done));
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

bool server::run()
{
    newest_at_start_ = log_.newest();
    redis_.start();
    if (redis_log_)
        redis_log_->start();
    auto const limit = open_file_limit();
    notify_services_.max_open = metrics_services_.max_open = admin_port_cap(cfg_, limit);
    if (limit > 0) {
        // Every connection holds one descriptor; the rest (listeners, Redis, the loop's own)
        // are about what is open now. The clients port stops short of the limit, leaving the
        // notification and metrics ports their caps, so that health checks, notifications and
        // Redis never starve behind a crowd of clients, nor clients behind a crowd there.
        auto const used_by_others =
            open_descriptor_count().value_or(0) + descriptors_kept_from_clients(cfg_, limit);
        clients_.accept_while([this, limit, used_by_others] {
            return used_by_others + connections_.count(connection_manager::stop_phase::first) <
                   limit;
        });
    }
    notify_.run();
    if (metrics_)
        metrics_->run();
    do_sweep();
    do_revalidate();
    if (auto const every = watchdog_ping_interval())
        do_watchdog(*every);
    started_at_ = std::chrono::steady_clock::now();
    check_start();
    ioc_.run();
    spdlog::info("sse-server stopped");
    return !failed_;
}

// The clients port opens once a client can be authenticated: before, the kernel would queue
// clients for a daemon that can only refuse them, while, with SO_REUSEPORT, others sharing the
// port could serve them. Checked when Redis connects, and every 50 ms for the rest (the bus).
void server::check_start()
{
    if (serving_ || stopping_)
        return;
    auto const waited = std::chrono::duration_cast<milliseconds>(
        std::chrono::steady_clock::now() - started_at_);
    auto const limit = cfg_.server.ready_timeout;
    std::optional<std::string> bus_missing;
    if (auto const why = redis_log_ ? redis_log_->not_ready() : std::nullopt)
        bus_missing = why->detail;
    auto const gate =
        decide_start(redis_.connected(), redis_.last_error(), bus_missing, waited, limit);
    switch (gate.action) {
    case start_gate::verdict::open:
        return open_clients_port();
    case start_gate::verdict::open_anyway:
        if (limit > milliseconds::zero())
            spdlog::warn("clients port: Redis still not usable after server.ready_timeout "
                         "({} ms): {}; accepting clients anyway, new streams get 503 until it "
                         "answers",
                         limit.count(), gate.missing);
        return open_clients_port();
    case start_gate::verdict::wait:
        break;
    }
    // Said when something is wrong rather than still connecting, and again every 10 s.
    if (waited >= next_wait_log_ &&
        (waited >= std::chrono::seconds(1) || !redis_.last_error().empty())) {
        auto const where = clients_.local_endpoint();
        spdlog::warn("clients port {}:{} opens once Redis can be used, within {} ms at most; "
                     "waiting for it: {}",
                     where.address().to_string(), where.port(), limit.count(), gate.missing);
        next_wait_log_ = waited + std::chrono::seconds(10);
    }
    start_timer_.expires_after(std::chrono::milliseconds(50));
    start_timer_.async_wait([this](error_code ec) {
        if (!ec)
            check_start();
    });
}

void server::open_clients_port()
{
    start_timer_.cancel();
    if (!clients_.listen()) {
        failed_ = true;
        return begin_shutdown();
    }
    clients_.run();
    serving_ = true;
    systemd_notify("READY=1");
    spdlog::info("sse-server {} ready", SSE_SERVER_VERSION);
    if (on_serving_)
        on_serving_();
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
    // Before READY=1, systemd would take a reload's READY=1 as the end of the start.
    if (serving_)
        systemd_notify("RELOADING=1");
    try {
        auto const fresh = reload_source_();
        for (auto const& warning : fresh.warnings)
            spdlog::warn("reload: {}", warning);
        auto const outcome = apply_reloadable(cfg_, fresh);
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
    if (serving_)
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
    // A stream gets a comment once it has been quiet for a heartbeat less two sweep
    // periods: its last write is known to within one period (the sweep that saw it), and the
    // comment comes at most one period late. So an idle stream's comments come at most
    // client.heartbeat apart, and at least 0.75 of it (a period is at most 1/8 of it).
    keep_alive_plan_ = {};
    if (!stopping_) {
        update_cursor_heartbeat();
        keep_alive_plan_ = {&heartbeat_, cfg_.client.heartbeat - 2 * sweep_period_};
    }
    connections_.sweep(now); // deadlines, lifetimes and heartbeats, in one pass
    for (auto const& held : warnings_.take_expired(now))
        spdlog::warn("{} (×{} more in the last {} s)", held.kind, held.count,
                     std::chrono::duration_cast<std::chrono::seconds>(warnings_.window()).count());
    auto const access_window =
        std::chrono::duration_cast<std::chrono::seconds>(access_log_.window()).count();
    for (auto const& held : access_log_.take_expired(now))
        spdlog::info("{}: {} more in the last {} s, over the access log's budget, not logged "
                     "one by one",
                     held.kind, held.count, access_window);
    if (!stopping_) {
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
    do_revalidate();
    if (revalidation_) {
        // Still answering the previous round: the streams it has yet to reach are checked
        // soon anyway, so this tick adds nothing but load.
        spdlog::warn("revalidation: the previous round is still running, this one is skipped");
        return;
    }
    revalidation_.emplace(subscriptions_.users());
    check_next_users();
}

void server::check_next_users()
{
    if (stopping_ || revalidation_->done()) {
        revalidation_.reset();
        return;
    }
    // Each slice goes to Redis as one pipelined batch; the next one leaves once it is answered.
    auto const users = revalidation_->next(
        cfg_.auth.revalidate_in_flight,
        [this](std::string const& user) { return subscriptions_.streams_of(user); });
    check_streams_of(users, [this] { check_next_users(); });
}

// POST /revalidate: checked here now (standalone), or on every daemon when its reader reaches
// the request in the bus (cluster), so that nothing posted after it reaches a stream that lost
// the right.
void server::revalidate_users(std::vector<std::string> users,
                              std::function<void(std::optional<std::string>)> done)
{
    if (redis_log_)
        return redis_log_->append_revalidation(users, std::move(done));
    check_streams_of(users, [done = std::move(done)] { done(std::nullopt); });
}

void server::check_streams_of(std::vector<std::string> const& users, std::function<void()> done)
{
    // `done` runs from the loop once the last check is answered, never from within this call:
    // the count starts at one, which this call gives back after issuing every check.
    struct pending
    {
        std::size_t left = 1;
        std::function<void()> done;
    };
    auto wait = std::make_shared<pending>(pending{1, std::move(done)});
    auto answered = [this, wait] {
        if (--wait->left == 0)
            net::post(ioc_, std::move(wait->done));
    };
    for (auto const& user : users)
        subscriptions_.for_each_of(user, [&](subscriber& s) {
            ++wait->left;
            s.revalidate(answered);
        });
    answered();
}

void server::check_readiness(std::function<void(std::optional<not_ready_reason>)> verdict)
{
    // Ready when Redis answers (authentication needs it) and, in cluster mode, the bus is read
    // from a fixed position, and the clients port is open.
    redis_.async_ping([this, verdict = std::move(verdict)](redis_reply const& r) {
        std::optional<not_ready_reason> why;
        if (r.type != redis_reply::kind::value)
            why = not_ready_reason{not_ready_cause::redis_unavailable,
                                   "redis unavailable: " + r.text};
        else if (redis_log_)
            why = redis_log_->not_ready();
        // Ready means clients are taken: the clients port opens at most one check after.
        if (!why && !serving_)
            why = not_ready_reason{not_ready_cause::starting, "the clients port is not open yet"};
        // /readyz tells the cause in generic words; the log has the detail, once a window.
        if (why) {
            auto const line =
                "not ready (" + std::string(public_reason(why->cause)) + "): " + why->detail;
            if (warnings_.admit(line, std::chrono::steady_clock::now()))
                spdlog::warn("{}", line);
        }
        verdict(std::move(why));
    });
}

void server::update_cursor_heartbeat()
{
    // One frame for every stream, made again only when the newest event changed.
    auto const newest = log_.newest();
    if (newest == newest_at_start_)
        return;
    if (!heartbeat_.cursor || newest != cursor_of_heartbeat_) {
        heartbeat_.cursor = std::make_shared<std::string const>(format_cursor_heartbeat(newest));
        cursor_of_heartbeat_ = newest;
    }
}

void server::on_redis_state(bool up)
{
    stats_.redis_up = up;
    if (up)
        check_start();
}

} // namespace sse_server
