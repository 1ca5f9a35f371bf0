#include "sse_server/redis_client.hpp"

#include "sse_server/redis_connection.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <cctype>
#include <chrono>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>
#include <utility>

namespace sse_server {

namespace {

constexpr milliseconds first_backoff{100};
constexpr milliseconds max_backoff{2000};

/** Wraps a handler so that it does nothing once the object owning `alive` is gone: an Asio
    handler may already be queued with a success code when its timer is destroyed. */
template <class Handler> auto while_alive(std::shared_ptr<bool> const& alive, Handler handler)
{
    return
        [alive = std::weak_ptr<bool>(alive), handler = std::move(handler)](auto&&... args) mutable {
            if (alive.lock())
                handler(std::forward<decltype(args)>(args)...);
        };
}

redis_reply unavailable(std::string text)
{
    return {redis_reply::kind::unavailable, std::move(text), {}};
}

redis_reply to_reply(redisReply const& r)
{
    switch (r.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
        return {redis_reply::kind::value, std::string(r.str, r.len), {}};
    case REDIS_REPLY_INTEGER:
        return {redis_reply::kind::value, std::to_string(r.integer), {}};
    case REDIS_REPLY_NIL:
        return {redis_reply::kind::nil, {}, {}};
    case REDIS_REPLY_ERROR:
        return {redis_reply::kind::error, std::string(r.str, r.len), {}};
    case REDIS_REPLY_ARRAY: {
        // hiredis bounds the nesting (its reader refuses deeper replies), so this recursion is
        // bounded too.
        redis_reply out{redis_reply::kind::array, {}, {}};
        out.elements.reserve(r.elements);
        for (std::size_t i = 0; i < r.elements; ++i)
            out.elements.push_back(to_reply(*r.element[i]));
        return out;
    }
    default:
        return {redis_reply::kind::value, {}, {}};
    }
}

/** hiredis says "Connection refused"; our last_error() speaks in lower case. */
std::string describe(char const* errstr)
{
    std::string text = errstr && *errstr ? errstr : "connection failed";
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

void* to_privdata(std::uint64_t id)
{
    return reinterpret_cast<void*>(static_cast<std::uintptr_t>(id));
}

std::uint64_t from_privdata(void* privdata)
{
    return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(privdata));
}

/** Sends one command with binary-safe arguments (never a format string). */
int send_argv(redisAsyncContext* ctx, redisCallbackFn* fn, void* privdata,
              std::vector<std::string> const& args)
{
    std::vector<char const*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (auto const& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    return redisAsyncCommandArgv(ctx, fn, privdata, static_cast<int>(args.size()), argv.data(),
                                 lengths.data());
}

} // namespace

/** A command waiting for its reply, with its own deadline (hiredis 0.14 has no timer hook). */
struct redis_client::pending
{
    pending(net::io_context& ioc, callback c) : cb(std::move(c)), deadline(ioc) {}

    callback cb;
    net::steady_timer deadline;
};

redis_client::redis_client(net::io_context& ioc, redis_config const& cfg)
    : ioc_(ioc), cfg_(cfg), timer_(ioc), resolver_(ioc)
{
}

// Failing the pending commands posts them to the io_context, which allocates: only a failed
// allocation can throw here, and terminating the process then is what is wanted.
// NOLINTNEXTLINE(bugprone-exception-escape)
redis_client::~redis_client()
{
    stopped_ = true;
    if (auto conn = detach("redis client stopped"); conn && conn->ctx)
        redisAsyncFree(conn->ctx);
}

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
    spdlog::info("redis client stopped");
    if (connected_) {
        connected_ = false;
        if (state_change_)
            net::post(ioc_, [fn = state_change_] { fn(false); });
    }
}

void redis_client::async_get(std::string_view key, callback cb)
{
    async_command({"GET", std::string(key)}, std::move(cb));
}

void redis_client::async_ping(callback cb)
{
    async_command({"PING"}, std::move(cb));
}

void redis_client::async_command(std::vector<std::string> const& args, callback cb)
{
    async_command(args, std::move(cb), cfg_.timeout);
}

void redis_client::async_command(std::vector<std::string> const& args, callback cb,
                                 milliseconds timeout)
{
    auto fail_soon = [&](redis_reply reply) {
        net::post(ioc_, [cb = std::move(cb), reply = std::move(reply)]() mutable {
            cb(std::move(reply));
        });
    };
    if (args.empty())
        return fail_soon({redis_reply::kind::error, "empty command", {}});
    // While a connection is being set up the command waits on it, queued behind the
    // handshake (a daemon that just started should not refuse its first clients); between
    // attempts there is no connection to wait on.
    if (!conn_ || !conn_->ctx)
        return fail_soon(unavailable(stopped_ ? "redis client stopped" : "redis not connected"));

    auto const id = next_id_++;
    if (send_argv(conn_->ctx, &redis_client::on_reply, to_privdata(id), args) != REDIS_OK)
        return fail_soon(unavailable("redis not connected"));

    auto& p = *pending_.emplace(id, std::make_unique<pending>(ioc_, std::move(cb))).first->second;
    p.deadline.expires_after(timeout);
    p.deadline.async_wait(while_alive(alive_, [this, id](error_code ec) {
        if (!ec)
            on_timeout(id);
    }));
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
        while_alive(alive_, [this](error_code rec, tcp::resolver::results_type results) {
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
    handshake.push_back({"PING", {"PING"}});
    for (auto const& [what, args] : handshake) {
        send_argv(ctx, &redis_client::on_handshake_cb, const_cast<char*>(what), args);
        ++conn->handshake_left;
    }
    conn_ = conn;

    // A connect or handshake that never finishes (a black-holed host, a hung Redis) counts as
    // a failure after the command timeout.
    timer_.expires_after(cfg_.timeout);
    timer_.async_wait(while_alive(
        alive_, [this, attempt = std::weak_ptr<redis_connection>(conn)](error_code tec) {
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
    auto const r = to_reply(*static_cast<redisReply*>(reply));
    if (r.type == redis_reply::kind::error) {
        std::string const error =
            std::string(what) == "AUTH" ? "authentication failed" : describe(what) + " failed";
        if (error != last_error_)
            spdlog::error("redis {} failed: {}", what, r.text);
        // Inside a reply callback hiredis defers the free until the callback returns.
        return drop_connection(error, "redis not connected");
    }
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

void redis_client::on_reply(redisAsyncContext* ctx, void* reply, void* privdata)
{
    auto& conn = redis_connection::of(ctx->data);
    if (!conn.owner)
        return;
    // A null reply means the connection went away: unavailable, never "no such key".
    conn.owner->complete(from_privdata(privdata), reply ? to_reply(*static_cast<redisReply*>(reply))
                                                        : unavailable("redis connection lost"));
}

void redis_client::on_timeout(std::uint64_t id)
{
    if (!pending_.contains(id))
        return;
    // Redis answers in order: every command behind this one waits as long, and a connection
    // that stays silent may be half-open. Fail them all and start a fresh connection.
    spdlog::warn("redis command timed out after {} ms, reconnecting", cfg_.timeout.count());
    drop_connection("timeout", "redis timeout");
}

void redis_client::drop_connection(std::string error, std::string const& reason)
{
    auto conn = detach(reason);
    if (conn && conn->ctx)
        redisAsyncFree(conn->ctx); // the callbacks it runs find no owner and do nothing
    set_state(false, std::move(error));
    back_off();
}

std::shared_ptr<redis_connection> redis_client::detach(std::string const& reason)
{
    auto conn = std::move(conn_);
    if (conn)
        conn->owner = nullptr;
    auto failed = std::move(pending_);
    pending_.clear();
    for (auto& [id, p] : failed)
        net::post(ioc_, [cb = std::move(p->cb), reply = unavailable(reason)]() mutable {
            cb(std::move(reply));
        });
    return conn;
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
    timer_.async_wait(while_alive(alive_, [this](error_code ec) {
        if (!ec)
            do_connect();
    }));
}

void redis_client::complete(std::uint64_t id, redis_reply reply)
{
    auto it = pending_.find(id);
    if (it == pending_.end())
        return; // timed out or failed already: a late reply is ignored
    // Posted, never run from inside hiredis: the caller may issue commands or stop the client.
    net::post(ioc_, [cb = std::move(it->second->cb), reply = std::move(reply)]() mutable {
        cb(std::move(reply));
    });
    pending_.erase(it);
}

void redis_client::set_state(bool up, std::string error)
{
    bool const was_up = connected_;
    bool const same_error = error == last_error_;
    connected_ = up;
    if (!up)
        last_error_ = std::move(error);

    if (up && !was_up)
        spdlog::info("redis connected to {}:{}", cfg_.url.host, cfg_.url.port);
    // Once per change, not once per retry.
    if (!up && (was_up || !same_error))
        spdlog::warn("redis unavailable ({}), retrying", last_error_);

    if (up != was_up && state_change_)
        net::post(ioc_, [fn = state_change_, up] { fn(up); });
}

} // namespace sse_server
