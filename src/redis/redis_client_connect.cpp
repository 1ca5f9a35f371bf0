#include "sse_server/redis/redis_client.hpp"

#include "sse_server/redis/redis_connection.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <cctype>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>
#include <string_view>
#include <utility>

namespace sse_server {

namespace {

constexpr milliseconds first_backoff{100};
constexpr milliseconds max_backoff{2000};

/** hiredis says "Connection refused"; our last_error() speaks in lower case. */
std::string describe(char const* errstr)
{
    std::string text = errstr && *errstr ? errstr : "connection failed";
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

} // namespace

void redis_client::start()
{
    if (!stopped_)
        return;
    stopped_ = false;
    backoff_ = first_backoff;
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
    if (auto conn = detach("redis client stopped"); conn && conn->ctx)
        redisAsyncFree(conn->ctx);
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
    if (!addresses_.empty())
        return connect_next();

    auto const& host = cfg_.url.host; // brackets of an IPv6 literal are gone already
    error_code ec;
    net::ip::make_address(host, ec);
    if (!ec) {
        addresses_.push_back(host);
        return connect_next();
    }
    resolver_.async_resolve(
        host, std::to_string(cfg_.url.port),
        while_alive([this](error_code rec, tcp::resolver::results_type results) {
            if (rec == net::error::operation_aborted || stopped_)
                return;
            for (auto const& entry : results)
                addresses_.push_back(entry.endpoint().address().to_string());
            if (rec || addresses_.empty())
                return connect_failed("cannot resolve " + cfg_.url.host);
            connect_next();
        }));
}

void redis_client::connect_next()
{
    auto const address = addresses_.front();
    addresses_.erase(addresses_.begin());

    redisAsyncContext* ctx = redisAsyncConnect(address.c_str(), cfg_.url.port);
    if (!ctx)
        return connect_failed("out of memory");
    if (ctx->err) {
        auto error = describe(ctx->errstr);
        redisAsyncFree(ctx);
        return connect_failed(std::move(error));
    }
    auto conn = std::make_shared<redis_connection>(ioc_, ctx, this);
    error_code ec;
    conn->fd.assign(ctx->c.fd, ec);
    if (ec) {
        redisAsyncFree(ctx);
        return connect_failed(ec.message());
    }
    conn->attach();
    redisAsyncSetConnectCallback(ctx, &redis_client::on_connect_cb);
    redisAsyncSetDisconnectCallback(ctx, &redis_client::on_disconnect_cb);

    // The handshake is queued now and sent as soon as the socket connects. The PING makes
    // connected() mean "Redis answers", not merely "the kernel accepted the connection",
    // which it also does for a Redis that hangs.
    auto const& url = cfg_.url;
    std::vector<std::pair<char const*, std::vector<std::string>>> handshake;
    if (!url.password.empty()) {
        if (url.user.empty())
            handshake.push_back({"AUTH", {"AUTH", url.password}});
        else
            handshake.push_back({"AUTH", {"AUTH", url.user, url.password}});
    }
    if (url.db != 0)
        handshake.push_back({"SELECT", {"SELECT", std::to_string(url.db)}});
    // Writing to a replica fails on every command: such a server is not a connection at all
    // for a role that writes. (ROLE also answers PING's question: the server responds.)
    if (role_.writes)
        handshake.push_back({"ROLE", {"ROLE"}});
    else
        handshake.push_back({"PING", {"PING"}});
    for (auto const& [what, args] : handshake) {
        send_argv(ctx, &redis_client::on_handshake_cb, const_cast<char*>(what), args);
        ++conn->handshake_left;
    }
    conn_ = conn;

    // A connect or handshake that never finishes (a black-holed host, a hung Redis) counts as
    // a failure after the command timeout.
    timer_.expires_after(cfg_.timeout);
    timer_.async_wait(
        while_alive([this, attempt = std::weak_ptr<redis_connection>(conn)](error_code tec) {
            if (!tec && conn_ && attempt.lock() == conn_ && !connected_)
                drop_connection("timeout", "redis timeout");
        }));
}

void redis_client::connect_failed(std::string error)
{
    if (!addresses_.empty())
        return schedule_reconnect(milliseconds{0});
    set_state(false, std::move(error));
    back_off();
}

void redis_client::on_connect_cb(redisAsyncContext const* ctx, int status)
{
    auto& conn = redis_connection::of(ctx->data);
    auto* self = conn.owner;
    if (!self || status == REDIS_OK)
        return; // usable once the handshake is answered
    // hiredis frees the context when this returns: only let go of it.
    auto error = describe(ctx->c.errstr);
    self->detach("redis not connected");
    self->connect_failed(std::move(error));
}

void redis_client::on_handshake_cb(redisAsyncContext* ctx, void* reply, void* privdata)
{
    auto& conn = redis_connection::of(ctx->data);
    if (conn.owner && reply)
        conn.owner->on_handshake_reply(conn, reply, static_cast<char const*>(privdata));
}

void redis_client::on_handshake_reply(redis_connection& conn, void* reply, char const* what)
{
    auto const r = to_redis_reply(*static_cast<redisReply*>(reply));
    bool const role_check = std::string_view(what) == "ROLE";
    if (r.type == redis_reply::kind::error && !role_check) {
        std::string const error =
            std::string(what) == "AUTH" ? "authentication failed" : describe(what) + " failed";
        if (error != last_error_)
            spdlog::error("redis {} failed ({}): {}", what, role_.name, r.text);
        // Inside a reply callback hiredis defers the free until the callback returns.
        return drop_connection(error, "redis not connected");
    }
    // A replica is no connection for a role that writes. An ACL user may be denied ROLE (an
    // @admin command): the server did answer, and a READONLY reply will tell if it is a replica.
    if (role_check && r.type == redis_reply::kind::array &&
        (r.elements.empty() || r.elements.front().text != "master"))
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

void redis_client::on_disconnect_cb(redisAsyncContext const* ctx, int)
{
    auto& conn = redis_connection::of(ctx->data);
    if (conn.owner)
        conn.owner->on_disconnected();
}

void redis_client::on_disconnected()
{
    // hiredis has already failed every pending command (null replies); it frees the context.
    detach("redis connection lost");
    set_state(false, "connection lost");
    back_off();
}

void redis_client::drop_connection(std::string error, std::string const& reason)
{
    auto conn = detach(reason);
    if (conn && conn->ctx)
        redisAsyncFree(conn->ctx); // the callbacks it runs find no owner and do nothing
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
        spdlog::info("redis connected to {}:{} ({})", cfg_.url.host, cfg_.url.port, role_.name);
    // Once per change, not once per retry.
    if (!up && (was_up || !same_error))
        spdlog::warn("redis {}:{} unavailable for {} ({}), retrying", cfg_.url.host, cfg_.url.port,
                     role_.name, last_error_);

    if (up != was_up && state_change_)
        net::post(ioc_, [fn = state_change_, up] { fn(up); });
}

} // namespace sse_server
