#pragma once

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
};

} // namespace sse_server
