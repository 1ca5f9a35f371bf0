#pragma once

#include "sse_server/redis/redis_reply.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <sys/types.h>
#include <vector>

namespace sse_server::test {

/** A loopback port that was free a moment ago: bind to port 0, read it back, close. Another
    process may take it before the caller binds it: callers retry. */
std::uint16_t pick_free_port();

/** What a redis-server listens on besides its plain loopback port (which stays, for the
    blocking helpers below), and who it lets in. */
struct redis_server_options
{
    std::string requirepass;
    /** PEM files: with a certificate, Redis also listens for TLS on tls_port(). */
    std::string tls_cert_file;
    std::string tls_key_file;
    std::string tls_ca_file;       // the CA of client certificates it accepts
    bool tls_auth_clients = false; // a client certificate is required
    bool unix_socket = false;      // also listens on unix_path(), mode 700
    /** A replica of the Redis on this loopback port (0: a master). */
    std::uint16_t replica_of = 0;
    /** Not a Redis but a sentinel (`redis-server <conf> --sentinel`) watching the master on
        this loopback port as `sentinel_master`, with a quorum of `sentinel_quorum` and short
        timeouts (down after 1 s), so that a test's failover takes seconds. */
    std::uint16_t sentinel_of = 0;
    std::string sentinel_master = "mymaster";
    int sentinel_quorum = 2;
    /** The master's password: a replica's `masterauth`, a sentinel's `auth-pass`. */
    std::string master_password;
};

/** A real redis-server on a free loopback port, in a private temporary directory, for one test.
    Owned by the test; killed and cleaned up by the destructor. Throws std::runtime_error when it
    cannot be started. */
class redis_server
{
public:
    /** What Redis keeps across stop() and start(). */
    enum class durability
    {
        none,               // nothing: a restarted Redis is empty
        append_fsync_always // `--appendonly yes --appendfsync always`: every acknowledged write
    };

    /** Starts Redis and waits until it answers; with a password, Redis requires AUTH. */
    explicit redis_server(std::string requirepass = {});
    /** Starts Redis without a password, keeping what `kept` says across a restart. */
    explicit redis_server(durability kept);
    /** Starts Redis listening where `options` says too. */
    explicit redis_server(redis_server_options options);
    ~redis_server();
    redis_server(redis_server const&) = delete;
    redis_server& operator=(redis_server const&) = delete;

    std::uint16_t port() const { return port_; }
    /** The TLS port; 0 without a certificate in the options. */
    std::uint16_t tls_port() const { return tls_port_; }
    /** The unix socket's path (listened on with options.unix_socket). */
    std::filesystem::path unix_path() const { return dir_ / "redis.sock"; }
    /** `redis://127.0.0.1:<port>/0`, without the password. */
    std::string url() const;

    /** SIGKILL: Redis goes away abruptly, as in a crash. */
    void stop();
    /** Starts it again on the same port and directory (so with its append-only file, if any)
        and waits until it answers. */
    void start();
    /** SIGSTOP: Redis still accepts connections (the kernel does) but never answers. */
    void pause();
    /** SIGCONT after pause(). */
    void resume();

    /** Blocking helpers on a short-lived connection of their own. */
    void set(std::string const& key, std::string const& value);
    void del(std::string const& key);
    /** The reply as text: a string, status or number as is, nil as "(nil)", an error as
        "(error) <text>", an array's elements one per line. */
    std::string command(std::vector<std::string> const& args);
    /** The reply as the daemon sees it (nested arrays kept). */
    sse_server::redis_reply reply(std::vector<std::string> const& args);

private:
    void start_first(); // picks a port and starts; throws, cleaning up, when it cannot
    void write_sentinel_config() const; // rewritten by the sentinel itself afterwards
    bool launch(); // false when Redis exited before answering (its port was taken)
    void kill_and_reap();
    std::string log_tail() const;

    std::string requirepass_;
    redis_server_options options_;
    std::uint16_t tls_port_ = 0;
    durability kept_ = durability::none;
    std::filesystem::path dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

} // namespace sse_server::test
