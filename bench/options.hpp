#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sse_server::bench {

/** A loopback host and port; the bench refuses anything else. */
struct endpoint
{
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
};

/** Which server the bench talks to: they differ in how streams open and notifications post. */
enum class server_kind
{
    sse_server, // GET /events with an API key; POST /notify with JSON notifications
    nchan       // nginx + Nchan: GET /sub/<channels>; POST /pub/<channel>, body = the data
};

/** How streams of sse-server authenticate: an API key, or a JWT the bench signs (SPEC §2.2a). */
enum class jwt_algorithm
{
    none, // an API key (X-API-Key)
    hs256,
    rs256
};

/** Everything one run of sse-bench is told on its command line. */
struct options
{
    server_kind target = server_kind::sse_server;
    endpoint clients{"127.0.0.1", 8080};
    endpoint notify{"127.0.0.1", 8081};
    std::optional<endpoint> redis;            // set: the bench creates its API keys there
    std::string redis_key_prefix = "apikey:"; // the daemon's auth.api_key.key_prefix
    std::string api_key_prefix = "sse-bench-";
    std::string account_event = "user"; // the daemon's events.account
    std::string notify_token;
    std::size_t connections = 100;
    std::size_t events = 1;
    std::size_t account_every = 0; // every A-th notification is an account event; 0 = none
    // Notifications 0..B-1 go to every stream (each also subscribes to "bench-all"); their
    // latency is reported apart, so that one run measures a fan-out and a steady rate.
    std::size_t broadcast = 0;
    std::size_t notifications = 1000;
    double rate = 0; // notifications per second; 0 = as fast as the server answers
    std::size_t notify_connections = 1;
    std::size_t pipeline = 1; // requests in flight per notification connection
    std::size_t batch = 1;
    std::size_t payload = 0;
    // Rights (SPEC §2.4a): what each API key claims, and the audience of every notification.
    std::size_t claims_grants = 0;   // grant patterns per key; the last grants bench-*
    std::size_t claims_groups = 0;   // groups per key: its home group g<i mod M> and M-1 roles
    std::size_t audience_users = 0;  // the users of streams 0..U-1
    std::size_t audience_groups = 0; // g0..g{G-1}
    // The same recipients without an audience: the streams it would leave out subscribe to a
    // name that gets no notification. The reference for the cost of routing by audience.
    bool audience_by_name = false;
    // Streams present `Authorization: Bearer <jwt>` (sub = their user, exp = in one hour),
    // signed with this key before any stream connects; no API keys are made.
    jwt_algorithm jwt = jwt_algorithm::none;
    std::string jwt_key_file; // HS256: the secret file; RS256: a PEM private key
    // Not a run: serve the auth hook of the hook scenarios here (hook_app.hpp).
    std::optional<endpoint> serve_hook;
    std::size_t connect_window = 256;
    std::size_t source_addresses = 254; // 127.0.0.1 .. 127.0.0.K, round-robin
    std::size_t slow = 0;               // streams that stop reading after they open
    std::chrono::milliseconds slow_drain{5000};
    std::chrono::seconds hold{0}; // streams stay open this long before notifications start
    std::chrono::seconds duration{60};
    // Several processes, one set of notifications: this one opens and checks streams while
    // another sse-bench posts notifications 0..M-1 (to this daemon or to another one of a
    // cluster); the ready file tells the script when the streams are open.
    bool receive_only = false;
    std::string ready_file;
    std::string broadcast_file; // created once every open stream has all B broadcasts
    // A poster that posts notifications F..M-1 only, another sse-bench having posted 0..F-1
    // before it (the broadcast, then a steady rate after the script saw it arrive).
    std::size_t post_from = 0;
    // A daemon that dies: its streams reconnect to these (stream i to address i mod n), as a
    // load balancer would send them elsewhere, with Last-Event-ID, at most this many times.
    std::vector<endpoint> reconnect_to;
    std::size_t reconnect_attempts = 5;
    std::string back_file; // created once every stream that ended is back: the storm is over
    int server_pid = 0;
    std::string label;
};

/** The outcome of reading the command line: options, or a message for the user. */
struct parsed_options
{
    options opts;
    std::optional<std::string> error;
    bool help = false;
};

parsed_options parse_options(std::vector<std::string> const& args);

std::string usage();

/** "sse-server" or "nchan". */
char const* to_string(server_kind k);

} // namespace sse_server::bench
