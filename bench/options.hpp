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

/** Everything one run of sse-bench is told on its command line. */
struct options
{
    endpoint clients{"127.0.0.1", 8080};
    endpoint notify{"127.0.0.1", 8081};
    std::optional<endpoint> redis;            // set: the bench creates its API keys there
    std::string redis_key_prefix = "apikey:"; // the daemon's auth.api_key.key_prefix
    std::string api_key_prefix = "sse-bench-";
    std::string notify_token;
    std::size_t connections = 100;
    std::size_t events = 1;
    std::size_t notifications = 1000;
    double rate = 0; // notifications per second; 0 = as fast as the daemon answers
    std::size_t notify_connections = 1;
    std::size_t batch = 1;
    std::size_t payload = 0;
    std::size_t connect_window = 256;
    std::chrono::seconds duration{60};
    int daemon_pid = 0;
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

} // namespace sse_server::bench
