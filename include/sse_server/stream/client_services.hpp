#pragma once

#include <chrono>
#include <random>

namespace sse_server {

struct config;
struct metrics;
class registry;
class event_log;
class authenticator;
class log_limiter;
class connection_manager;
class flush_scheduler;
struct heartbeat;

/** What the server's sweep asks of each stream it passes, set before every sweep: a heartbeat
    when the stream was quiet for `quiet_for`; none while `beat` is null (stopping). The
    transport does it when the sweep checks its deadlines, so one pass over the connections
    does both: a second pass through the registry's lists cost as much again at a million
    streams (each stream's memory reached twice a second). */
struct keep_alive_plan
{
    heartbeat const* beat = nullptr;
    std::chrono::steady_clock::duration quiet_for{};
};

/** What the clients port's sessions, streams and transports use; owned by `server`, passed
    by reference. */
struct client_services
{
    config const& cfg;
    registry& subscriptions;
    event_log& log;
    authenticator& auth;
    metrics& stats;
    log_limiter& warnings; // what 100 000 clients could each trigger is logged once per window
    log_limiter& access_log; // log.access: a budget of lines per second, the rest counted
    connection_manager& connections; // also the count of the clients port's connections
    flush_scheduler& flushes;
    std::mt19937_64& random; // origins of clients that announce none, lifetimes, drain delays
    keep_alive_plan const& keep_alive;
};

} // namespace sse_server
