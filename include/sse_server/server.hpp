#pragma once

#include "sse_server/auth/authenticator.hpp"
#include "sse_server/auth/hook_client.hpp"
#include "sse_server/base/net.hpp"
#include "sse_server/config/config.hpp"
#include "sse_server/http/connection_manager.hpp"
#include "sse_server/http/listener.hpp"
#include "sse_server/log/event_log.hpp"
#include "sse_server/log/memory_event_log.hpp"
#include "sse_server/log/redis_event_log.hpp"
#include "sse_server/notify/notify_handler.hpp"
#include "sse_server/notify/notify_session.hpp"
#include "sse_server/ops/log_limiter.hpp"
#include "sse_server/ops/metrics.hpp"
#include "sse_server/redis/redis_client.hpp"
#include "sse_server/stream/flush_scheduler.hpp"
#include "sse_server/stream/registry.hpp"
#include "sse_server/stream/client_services.hpp"
#include "sse_server/stream/revalidation_round.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <optional>

namespace sse_server {

/** How often one sweep checks every connection's deadlines (header, send, notify idle, a
    stream's lifetime) and the heartbeats: a quarter of the shortest of those timeouts (half
    the heartbeat counting as one), within [10 ms, 1 s]. */
std::chrono::milliseconds sweep_period(config const& cfg);

/** The daemon: owns the configuration, the registry, the event log, the Redis client, the
    listeners (clients, notifications, and the optional metrics port) and the signal handling, and runs them on one io_context on the thread that calls run().

    Declaration order is lifetime order: the registry, the log, the connection manager and the services
    the sessions hold references to outlive the io_context, so sessions destroyed with its
    handlers still find them. */
class server
{
public:
    /** Where a reload reads the configuration again: the file and environment the daemon
        started with. Throws config_error for a bad one. */
    using config_source = std::function<config()>;

    /** Binds every port; throws std::runtime_error when one cannot be bound. With
        `handle_signals`, SIGTERM and SIGINT stop it and, given a `reload_source`, SIGHUP
        reloads. */
    explicit server(config cfg, bool handle_signals = false, config_source reload_source = {});
    ~server();
    server(server const&) = delete;
    server& operator=(server const&) = delete;

    /** Serves until stopped; returns once every connection is closed: true, or false when it
        could not serve (the clients port could not listen when its time came). The
        notification and metrics ports serve at once; the clients port opens, and systemd hears
        READY=1, once authentication can work (start_gate), at most server.ready_timeout later. */
    bool run();
    /** Calls `then` on the loop's thread once the clients port accepts. Set before run(); for
        tests and embedders, which must not connect before. */
    void on_serving(std::function<void()> then) { on_serving_ = std::move(then); }
    /** Graceful stop, safe from any thread: stop accepting, end every stream cleanly, and
        close whatever is left after server.shutdown_timeout. */
    void stop();
    /** Reads the configuration again and applies, under open streams, what can change that
        way (log level and format, session secrets, notify token, limits, CORS origins); a key
        that needs a restart is logged as such, an invalid configuration refused and the
        running one kept. Safe from any thread; what SIGHUP does. */
    void reload();

    tcp::endpoint clients_endpoint() const { return clients_.local_endpoint(); }
    tcp::endpoint notify_endpoint() const { return notify_.local_endpoint(); }
    /** Empty unless listen.metrics is set. */
    std::optional<tcp::endpoint> metrics_endpoint() const;

private:
    void do_sweep();
    void on_sweep(error_code ec);
    void do_revalidate();
    void on_revalidate(error_code ec);
    /** Checks the periodic round's next slice of users, and the one after once answered. */
    void check_next_users();
    void check_start();
    void open_clients_port();
    void do_wait_signal();
    void do_watchdog(std::chrono::microseconds every);
    void apply_reload();
    void begin_shutdown();
    void on_shutdown_deadline(error_code ec);
    void stop_notification_ports();
    void on_redis_state(bool up);
    void update_cursor_heartbeat();
    void check_readiness(std::function<void(std::optional<not_ready_reason>)> verdict);
    void revalidate_users(std::vector<std::string> users,
                          std::function<void(std::optional<std::string>)> done);
    void check_streams_of(std::vector<std::string> const& users, std::function<void()> done);

    config cfg_;
    config_source reload_source_;
    metrics stats_;
    log_limiter warnings_{std::chrono::seconds(10)}; // per-client warnings, summarised
    log_limiter access_log_{std::chrono::seconds(1), 100}; // log.access: 100 lines/s per kind
    registry subscriptions_;
    // What sessions and the handler use; forwards to memory_log_ or redis_log_ (declared after
    // the io_context, since the Redis one holds Asio objects).
    class chosen_log final : public event_log
    {
    public:
        event_log* target = nullptr;
        std::optional<append_result> append(std::vector<notification> const& items,
                                            later<append_result> done) override
        {
            return target->append(items, std::move(done));
        }
        event_id newest() const override { return target->newest(); }
        std::optional<resume> resume_point(std::string_view id, later<resume> done) override
        {
            return target->resume_point(id, std::move(done));
        }
        std::optional<replay_batch> read_after(event_id cursor, filter const& wanted,
                                               std::size_t max_bytes,
                                               later<replay_batch> done) override
        {
            return target->read_after(cursor, wanted, max_bytes, std::move(done));
        }
        double lag_seconds() const override { return target->lag_seconds(); }
        void expire() override { target->expire(); }
        std::size_t history_bytes() const override { return target->history_bytes(); }
        std::optional<bool> bus_connected() const override { return target->bus_connected(); }
    };
    chosen_log log_;
    connection_manager connections_;
    // Hold references to members declared below (bound now, used only once they exist).
    notify_handler notify_handler_;
    notify_handler metrics_handler_; // listen.metrics: the same answers, without /notify
    client_services client_services_;
    keep_alive_plan keep_alive_plan_; // set by each sweep, read by the streams it passes
    notify_services notify_services_;
    notify_services metrics_services_;
    net::io_context ioc_{1};
    flush_scheduler flushes_;
    std::mt19937_64 random_;
    redis_client redis_;
    std::optional<memory_event_log> memory_log_; // standalone mode
    std::optional<redis_event_log> redis_log_;   // cluster mode "redis"
    hook_client hook_; // idle unless "hook" is in auth.methods
    authenticator auth_;
    listener clients_;
    listener notify_;
    std::optional<listener> metrics_;
    net::signal_set signals_;
    net::steady_timer sweep_timer_;
    std::chrono::milliseconds sweep_period_;
    net::steady_timer revalidate_timer_;
    std::optional<revalidation_round> revalidation_; // while a periodic round is answered
    net::steady_timer shutdown_timer_;
    net::steady_timer watchdog_timer_;
    net::steady_timer start_timer_; // checks whether the clients port may open yet
    std::chrono::steady_clock::time_point started_at_;
    std::chrono::milliseconds next_wait_log_{0};
    std::function<void()> on_serving_;
    heartbeat heartbeat_; // the comment, and the cursor once an event was issued (SPEC §2.3)
    event_id newest_at_start_; // until the log's newest differs, no event was issued
    event_id cursor_of_heartbeat_;
    bool serving_ = false; // the clients port accepts, READY=1 was sent
    bool failed_ = false;
    bool stopping_ = false;
};

} // namespace sse_server
