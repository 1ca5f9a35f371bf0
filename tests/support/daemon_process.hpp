#pragma once

#include "support/child_process.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sse_server::test {

class redis_server;

/** TOML for a daemon on ports the kernel picks (port 0, loopback) with `redis` as its Redis,
    followed by `extra` (more sections). */
std::string daemon_config(redis_server const& redis, std::string const& extra = "");

/** The real sse-server binary, started with a config file and environment of the test's
    choosing, its output captured. Ports are 0 in the config; the real ones are read from the
    "listening" log lines. Killed in the destructor if still running. */
class daemon_process
{
public:
    /** Starts `sse-server --config <file with toml_text>` plus `args`; with
        `wait_until_ready`, waits for both listening lines (throws if they never come): the
        clients port listens once Redis answers.
        A non-zero `open_file_limit` caps the daemon's descriptors (soft and hard). */
    daemon_process(std::string const& toml_text, std::vector<std::string> args = {},
                   std::map<std::string, std::string> env = {}, bool wait_until_ready = true,
                   unsigned long open_file_limit = 0);
    ~daemon_process();
    daemon_process(daemon_process const&) = delete;
    daemon_process& operator=(daemon_process const&) = delete;

    std::uint16_t clients_port() const { return clients_port_; }
    std::uint16_t notify_port() const { return notify_port_; }
    /** 0 unless listen.metrics is set. */
    std::uint16_t metrics_port() const { return metrics_port_; }
    /** The config file it was started with (a reload test rewrites it). */
    std::filesystem::path config_path() const { return dir_ / "sse-server.toml"; }

    void signal(int sig) { process_->signal(sig); }
    /** The exit code once it exits within `timeout`; empty if it is still running. A death by
        signal is reported as 128 + signal. */
    std::optional<int> wait_exit(std::chrono::milliseconds timeout)
    {
        return process_->wait_exit(timeout);
    }
    /** Waits until the output contains `text`. */
    bool wait_for_output(std::string const& text, std::chrono::milliseconds timeout)
    {
        return process_->wait_for_output(text, timeout);
    }
    std::string output() const { return process_->output(); }
    pid_t pid() const { return process_->pid(); }
    /** The port of the output's first "listening for <what> on host:port" line; 0 if none. */
    std::uint16_t listening_port(std::string const& what) const;
    /** Resident set size in KiB, from /proc. */
    long rss_kib() const;

private:
    std::filesystem::path dir_;
    std::optional<child_process> process_; // reset before dir_ is removed
    std::uint16_t clients_port_ = 0;
    std::uint16_t notify_port_ = 0;
    std::uint16_t metrics_port_ = 0;
};

} // namespace sse_server::test
