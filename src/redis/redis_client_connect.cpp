#include "sse_server/redis/redis_client.hpp"

#include "sse_server/redis/redis_command.hpp"
#include "sse_server/redis/redis_connection.hpp"
#include "sse_server/redis/redis_transport.hpp"
#include "sse_server/redis/sentinel_client.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>
#include <string_view>
#include <utility>

namespace sse_server {

namespace {

constexpr milliseconds first_backoff{100};
constexpr milliseconds max_backoff{2000};

} // namespace

void redis_client::start()
{
    if (!stopped_)
        return;
    stopped_ = false;
    backoff_ = first_backoff;
    if (sentinels_)
        sentinels_->watch(while_alive([this](host_port const& to) { on_master_switch(to); }));
    do_connect();
}

void redis_client::stop()
{
    if (stopped_)
        return;
    stopped_ = true;
    timer_.cancel();
    resolver_.cancel();
    addresses_.clear();
    if (sentinels_)
        sentinels_->stop();
    detach("redis client stopped");
    spdlog::info("redis client stopped ({})", role_.name);
    if (connected_) {
        connected_ = false;
        if (state_change_)
            net::post(ioc_, [fn = state_change_] { fn(false); });
    }
}

void redis_client::do_connect()
{
    if (stopped_ || conn_)
        return;
    if (cfg_.url.scheme == redis_scheme::unix_socket || !addresses_.empty())
        return connect_next();
    if (!sentinels_)
        return resolve(cfg_.url.host, cfg_.url.port);
    // A switch names the new master: straight there, since the other sentinels may name the
    // old one for a moment yet, and it takes writes until the sentinels demote it.
    if (switched_to_) {
        master_ = std::exchange(switched_to_, std::nullopt);
        return resolve(master_->host, master_->port);
    }
    // Asked before every attempt: a lost connection, a replica's ROLE or a READONLY reply may
    // each mean that the master is elsewhere now.
    sentinels_->async_master(
        while_alive([this, attempt = ++lookups_](sentinel_client::lookup found) {
            if (stopped_ || conn_ || attempt != lookups_)
                return;
            if (!found.master) {
                master_.reset();
                return connect_failed(std::move(found.error));
            }
            master_ = std::move(found.master);
            resolve(master_->host, master_->port);
        }));
}

void redis_client::resolve(std::string const& host, std::uint16_t port)
{
    port_ = port;
    error_code ec;
    net::ip::make_address(host, ec); // brackets of an IPv6 literal are gone already
    if (!ec) {
        addresses_.push_back(host);
        return connect_next();
    }
    resolver_.async_resolve(
        host, std::to_string(port),
        while_alive([this, host](error_code rec, tcp::resolver::results_type results) {
            if (rec == net::error::operation_aborted || stopped_)
                return;
            for (auto const& entry : results)
                addresses_.push_back(entry.endpoint().address().to_string());
            if (rec || addresses_.empty())
                return connect_failed("cannot resolve " + host);
            connect_next();
        }));
}

void redis_client::on_master_switch(host_port const& to)
{
    if (stopped_)
        return;
    auto const there = [&to](std::optional<host_port> const& at) {
        return at && at->host == to.host && at->port == to.port;
    };
    // Going there already: each sentinel announces the switch, and a reconnect may have asked.
    if (there(switched_to_) || (conn_ && there(master_)))
        return;
    switched_to_ = to;
    ++lookups_;
    addresses_.clear();
    resolver_.cancel();
    detach("redis master switched");
    set_state(false, "the master moved to " + address_text(to));
    backoff_ = first_backoff;
    schedule_reconnect(milliseconds{0});
}

std::string redis_client::location() const
{
    if (!master_)
        return redis_location(cfg_.url);
    return redis_location(cfg_.url) + " (master " + address_text(*master_) + ")";
}

void redis_client::connect_next()
{
    std::shared_ptr<redis_connection> conn;
    if (cfg_.url.scheme == redis_scheme::unix_socket) {
        conn = std::make_shared<redis_connection>(ioc_, this, redis_transport(ioc_));
    } else {
        if (cfg_.url.scheme == redis_scheme::tls && !tls_) {
            auto made = make_redis_tls_context(cfg_.tls);
            if (!made.error.empty()) {
                addresses_.clear(); // no address would do better: a failure of this attempt
                return connect_failed(std::move(made.error));
            }
            tls_ = std::move(made.context);
        }
        auto const& name = cfg_.tls.server_name.empty() ? cfg_.url.host : cfg_.tls.server_name;
        conn = std::make_shared<redis_connection>(
            ioc_, this,
            redis_transport(ioc_, cfg_.url.scheme == redis_scheme::tls ? tls_.get() : nullptr,
                            name));
    }
    // The handshake is queued now and sent as soon as the socket connects; commands issued
    // meanwhile queue behind it.
    queue_handshake(*conn);
    conn_ = conn;
    if (cfg_.url.scheme == redis_scheme::unix_socket) {
        conn->connect(cfg_.url.path);
    } else {
        auto const address = net::ip::make_address(addresses_.front());
        addresses_.erase(addresses_.begin());
        conn->connect(tcp::endpoint(address, port_));
    }

    // A connect or handshake that never finishes (a black-holed host, a hung Redis) counts as
    // a failure after the command timeout.
    timer_.expires_after(cfg_.timeout);
    timer_.async_wait(
        while_alive([this, attempt = std::weak_ptr<redis_connection>(conn)](error_code tec) {
            if (!tec && conn_ && attempt.lock() == conn_ && !connected_)
                drop_connection("timeout", "redis timeout");
        }));
}

void redis_client::queue_handshake(redis_connection& conn) const
{
    // The PING makes connected() mean "Redis answers", not merely "the kernel accepted the
    // connection", which it also does for a Redis that hangs.
    auto const step = [&conn](char const* what, std::initializer_list<std::string_view> args) {
        append_redis_command(conn.out, args);
        conn.awaiting.push_back({0, what, false});
        ++conn.handshake_left;
    };
    auto const& url = cfg_.url;
    auto const& user = user_name();
    if (!url.password.empty()) {
        if (user.empty())
            step("AUTH", {"AUTH", url.password});
        else
            step("AUTH", {"AUTH", user, url.password});
    }
    if (url.db != 0)
        step("SELECT", {"SELECT", std::to_string(url.db)});
    // Writing to a replica fails on every command: such a server is not a connection at all
    // for a role that writes. Through sentinels, nor for one that reads: a replica that lost
    // its master may answer with what it no longer has. (ROLE also answers PING's question:
    // the server responds.)
    if (role_.writes || sentinels_)
        step("ROLE", {"ROLE"});
    else
        step("PING", {"PING"});
}

void redis_client::connect_failed(std::string error)
{
    if (!addresses_.empty())
        return schedule_reconnect(milliseconds{0});
    set_state(false, std::move(error));
    back_off();
}

void redis_client::on_connection_failed(redis_connection& conn, std::string error)
{
    if (conn_.get() != &conn)
        return;
    detach("redis not connected");
    connect_failed(std::move(error));
}

void redis_client::on_handshake_reply(redis_connection& conn, redis_reply const& reply,
                                      char const* what)
{
    bool const role_check = std::string_view(what) == "ROLE";
    if (reply.type == redis_reply::kind::error && !role_check) {
        bool const auth = std::string_view(what) == "AUTH";
        std::string error = auth ? "authentication failed" : std::string(what) + " failed";
        std::transform(error.begin(), error.end(), error.begin(),
                       [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
        // Redis's own words (WRONGPASS, NOPERM …) say which: they name no password.
        if (error != last_error_)
            spdlog::error("redis {} failed ({}, {}{}): {}", what, role_.name,
                          user_name().empty() ? "" : "user " + user_name() + " at ", location(),
                          reply.text);
        return drop_connection(error, "redis not connected");
    }
    // A replica is no connection for a role that writes. An ACL user may be denied ROLE (an
    // @admin command): the server did answer, and a READONLY reply will tell if it is a replica.
    if (role_check && role_says_replica(reply))
        return drop_connection(std::string(replica_error), "redis not connected");
    if (--conn.handshake_left == 0)
        on_connected();
}

void redis_client::on_connected()
{
    timer_.cancel();
    set_state(true, {});
    backoff_ = first_backoff;
}

void redis_client::on_connection_lost(redis_connection& conn, std::string error)
{
    if (conn_.get() != &conn)
        return;
    // Before the handshake was answered, this is a failed attempt (a TLS alert, a server that
    // closed at once); either way every command waiting on it fails now.
    detach("redis connection lost");
    set_state(false, std::move(error));
    back_off();
}

void redis_client::drop_connection(std::string error, std::string const& reason)
{
    detach(reason); // what is in flight on it finds no owner and does nothing
    set_state(false, std::move(error));
    back_off();
}

void redis_client::back_off()
{
    schedule_reconnect(backoff_);
    backoff_ = std::min(backoff_ * 2, max_backoff);
}

void redis_client::schedule_reconnect(milliseconds delay)
{
    if (stopped_)
        return;
    timer_.expires_after(delay);
    timer_.async_wait(while_alive([this](error_code ec) {
        if (!ec)
            do_connect();
    }));
}

void redis_client::set_state(bool up, std::string error)
{
    bool const was_up = connected_;
    bool const same_error = error == last_error_;
    connected_ = up;
    if (!up)
        last_error_ = std::move(error);

    if (up && !was_up)
        spdlog::info("redis connected to {} ({})", location(), role_.name);
    // Once per change, not once per retry.
    if (!up && (was_up || !same_error))
        spdlog::warn("redis {} unavailable for {} ({}), retrying", location(), role_.name,
                     last_error_);

    if (up != was_up && state_change_)
        net::post(ioc_, [fn = state_change_, up] { fn(up); });
}

} // namespace sse_server
