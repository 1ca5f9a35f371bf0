#pragma once

#include "sse_server/base/net.hpp"
#include "sse_server/config/config.hpp"
#include "sse_server/redis/redis_reply.hpp"

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::asio::ssl {
class context;
} // namespace boost::asio::ssl

namespace sse_server {

struct redis_connection;
class sentinel_client;

/** What a connection is for: its name in logs ("sessions", "bus"), so that an operator with
    two Redis servers knows which one is meant, and whether it writes. A connection that writes
    needs the master: a replica answers every write with READONLY. */
struct redis_role
{
    std::string name = "sessions";
    bool writes = false;
};

/** One shared, pipelined Redis connection driven by the io_context (no thread, no blocking
    call): plain TCP, TLS or a unix socket as the URL says, hiredis only reading the replies.
    Owned by `server`; every caller on the io_context thread.

    Every command completes exactly once: with the reply, or `unavailable` on timeout
    (`redis.timeout`), disconnect or stop. While a connection is being set up, commands wait
    for it (within their timeout); between attempts, they complete at once as `unavailable`
    and the client reconnects with backoff (100 ms doubling to 2 s). A timeout
    also drops the connection: Redis answers in order, so what waits behind the late command
    would time out too, and a silent connection may be half-open.

    With a `redis+sentinel://` URL, the sentinels are asked where the master is before every
    attempt, ROLE must say master whatever the role, and a `+switch-master` heard on one
    sentinel drops the connection for one to the new master: a switch looks like a short
    outage (commands complete as unavailable, callers answer 503), never like a wrong answer.

    Its members are defined by concern: redis_client.cpp the commands and their replies,
    redis_client_connect.cpp connecting, the handshake, reconnecting and the up/down state. */
class redis_client
{
public:
    using callback = std::function<void(redis_reply)>;

    redis_client(net::io_context& ioc, redis_config const& cfg, redis_role role = {});
    ~redis_client(); // NOLINT(bugprone-exception-escape): only bad_alloc, see the definition
    redis_client(redis_client const&) = delete;
    redis_client& operator=(redis_client const&) = delete;

    /** Connects (AUTH and SELECT as the URL says; for a role that writes, or through sentinels,
        checks with ROLE that the server is the master), and keeps reconnecting until stop(). A
       READONLY error reply (the master was demoted under us) drops the connection and reconnects,
       so that connected() never stays true on a server that refuses every write. */
    void start();
    /** Disconnects for good; pending commands complete as unavailable. */
    void stop();

    /** `GET key`; the key is passed as a binary-safe argument, never spliced into a format. */
    void async_get(std::string_view key, callback cb);
    /** `PING`, for readiness. */
    void async_ping(callback cb);
    /** Any command, arguments binary-safe. */
    void async_command(std::vector<std::string> const& args, callback cb);
    /** The same with a deadline of its own, for a command that blocks on purpose (XREAD BLOCK):
        it must exceed the blocking time, or the connection is dropped as silent. */
    void async_command(std::vector<std::string> const& args, callback cb, milliseconds timeout);

    /** `SUBSCRIBE channel`: `on_message` gets every reply on it (the confirmation first, then
        each message) and, when the connection ends, one `unavailable`. No deadline: a
        subscription waits on purpose. Only (P)SUBSCRIBE may follow on this connection. */
    void async_subscribe(std::string const& channel, callback on_message);

    /** Connected, and the handshake (AUTH/SELECT as the URL says, then PING) answered. */
    bool connected() const { return connected_; }
    /** What this connection is for ("sessions", "bus", …). */
    std::string const& role() const { return role_.name; }
    /** Why the last connection failed or ended ("connection refused", …); empty when never. */
    std::string const& last_error() const { return last_error_; }
    /** Called with true on (re)connect and false on loss; for logs and metrics. */
    void on_state_change(std::function<void(bool up)> fn) { state_change_ = std::move(fn); }

private:
    friend struct redis_connection; // reports what it read, and when it failed
    struct pending;

    /** last_error() while the server is a replica; it names the cause an operator can act on. */
    static constexpr std::string_view replica_error = "a read-only replica, not the master";

    void do_connect();
    void resolve(std::string const& host, std::uint16_t port);
    void connect_next();
    void on_master_switch(host_port const& to);
    /** Where it connects, for logs: the URL's location, and the master's address. */
    std::string location() const;
    void connect_failed(std::string error);
    void queue_handshake(redis_connection& conn) const;
    /** The ACL user: the URL's, else redis.username; empty for the default user. */
    std::string const& user_name() const
    {
        return cfg_.url.user.empty() ? cfg_.username : cfg_.url.user;
    }
    void on_connection_failed(redis_connection& conn, std::string error);
    void on_connection_lost(redis_connection& conn, std::string error);
    void on_connection_reply(redis_connection& conn, redis_reply reply);
    void on_handshake_reply(redis_connection& conn, redis_reply const& reply, char const* what);
    void on_connected();
    void on_timeout(std::uint64_t id);
    void drop_connection(std::string error, std::string const& reason);
    std::shared_ptr<redis_connection> detach(std::string const& reason);
    void back_off();
    void schedule_reconnect(milliseconds delay);
    /** Encodes the command straight into the connection's write buffer: the arguments are
        never copied. `Args` is a range of things a string_view can be made from. */
    template <class Args>
    void issue(Args const& args, callback cb, std::optional<milliseconds> timeout,
               bool subscribe = false);
    void fail_soon(callback cb, redis_reply reply);
    void complete(std::uint64_t id, redis_reply reply);
    void set_state(bool up, std::string error);

    /** Wraps a handler so that it does nothing once this client is gone: an Asio handler may
        already be queued with a success code when its timer is destroyed. */
    template <class Handler> auto while_alive(Handler handler) const
    {
        return [alive = std::weak_ptr<bool>(alive_),
                handler = std::move(handler)](auto&&... args) mutable {
            if (alive.lock())
                handler(std::forward<decltype(args)>(args)...);
        };
    }

    net::io_context& ioc_;
    redis_config const& cfg_;
    redis_role role_;
    std::shared_ptr<redis_connection> conn_;
    std::unique_ptr<net::ssl::context> tls_; // rediss://: loaded at the first connect
    net::steady_timer timer_;            // the connect deadline while connecting, else the backoff
    tcp::resolver resolver_;             // never a blocking lookup on the io_context thread
    std::vector<std::string> addresses_; // still to try in this attempt
    std::uint16_t port_ = 0;             // theirs
    std::unique_ptr<sentinel_client> sentinels_; // redis+sentinel:// only
    std::optional<host_port> master_;            // where the sentinels said the master is
    std::optional<host_port> switched_to_;       // a +switch-master's address, for the next attempt
    std::uint64_t lookups_ = 0; // a lookup's answer is ignored once a switch came after it
    milliseconds backoff_{100};
    bool connected_ = false;
    bool stopped_ = true;
    std::string last_error_;
    std::function<void(bool)> state_change_;
    std::uint64_t next_id_ = 1;
    std::map<std::uint64_t, std::unique_ptr<pending>> pending_; // by id, so oldest first
    // Handlers still queued when the client is destroyed hold this weakly and then do nothing.
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace sse_server
