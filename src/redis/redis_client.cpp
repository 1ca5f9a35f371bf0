#include "sse_server/redis/redis_client.hpp"

#include "sse_server/redis/redis_connection.hpp"

#include <boost/asio/post.hpp>
#include <cstdint>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>
#include <utility>

namespace sse_server {

namespace {

void* to_privdata(std::uint64_t id)
{
    return reinterpret_cast<void*>(static_cast<std::uintptr_t>(id));
}

std::uint64_t from_privdata(void* privdata)
{
    return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(privdata));
}

bool is_readonly_error(redis_reply const& r)
{
    return r.type == redis_reply::kind::error && r.text.starts_with("READONLY");
}

} // namespace

/** A command waiting for its reply, with its own deadline (hiredis 0.14 has no timer hook). */
struct redis_client::pending
{
    pending(net::io_context& ioc, callback c) : cb(std::move(c)), deadline(ioc) {}

    callback cb;
    net::steady_timer deadline;
    bool repeating = false; // a subscription: completes with each message until unavailable
};

redis_client::redis_client(net::io_context& ioc, redis_config const& cfg, redis_role role)
    : ioc_(ioc), cfg_(cfg), role_(std::move(role)), timer_(ioc), resolver_(ioc)
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
    issue(args, std::move(cb), timeout);
}

void redis_client::async_subscribe(std::string const& channel, callback on_message)
{
    issue({"SUBSCRIBE", channel}, std::move(on_message), std::nullopt);
}

void redis_client::issue(std::vector<std::string> const& args, callback cb,
                         std::optional<milliseconds> timeout)
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
    // Why it is not connected ("connection refused", Redis's answer to a wrong password) goes
    // with the refusal, so that /readyz says what the log says.
    if (!conn_ || !conn_->ctx)
        return fail_soon(unavailable_reply(
            stopped_ ? "redis client stopped"
                     : "redis not connected" +
                           (last_error_.empty() ? std::string() : ": " + last_error_)));

    auto const id = next_id_++;
    if (send_argv(conn_->ctx, &redis_client::on_reply, to_privdata(id), args) != REDIS_OK)
        return fail_soon(unavailable_reply("redis not connected"));

    auto& p = *pending_.emplace(id, std::make_unique<pending>(ioc_, std::move(cb))).first->second;
    if (!timeout) {
        p.repeating = true;
        return;
    }
    p.deadline.expires_after(*timeout);
    p.deadline.async_wait(while_alive([this, id](error_code ec) {
        if (!ec)
            on_timeout(id);
    }));
}

int redis_client::send_argv(redisAsyncContext* ctx, void (*fn)(redisAsyncContext*, void*, void*),
                            void* privdata, std::vector<std::string> const& args)
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

void redis_client::on_reply(redisAsyncContext* ctx, void* reply, void* privdata)
{
    auto& conn = redis_connection::of(ctx->data);
    if (!conn.owner)
        return;
    // A null reply means the connection went away: unavailable, never "no such key".
    conn.owner->complete(from_privdata(privdata),
                         reply ? to_redis_reply(*static_cast<redisReply*>(reply))
                               : unavailable_reply("redis connection lost"));
}

void redis_client::on_timeout(std::uint64_t id)
{
    if (!pending_.contains(id))
        return;
    // Redis answers in order: every command behind this one waits as long, and a connection
    // that stays silent may be half-open. Fail them all and start a fresh connection.
    spdlog::warn("redis command timed out after {} ms ({}), reconnecting", cfg_.timeout.count(),
                 role_.name);
    drop_connection("timeout", "redis timeout");
}

std::shared_ptr<redis_connection> redis_client::detach(std::string const& reason)
{
    auto conn = std::move(conn_);
    if (conn)
        conn->owner = nullptr;
    auto failed = std::move(pending_);
    pending_.clear();
    for (auto& [id, p] : failed)
        net::post(ioc_, [cb = std::move(p->cb), reply = unavailable_reply(reason)]() mutable {
            cb(std::move(reply));
        });
    return conn;
}

void redis_client::complete(std::uint64_t id, redis_reply reply)
{
    auto it = pending_.find(id);
    if (it == pending_.end())
        return; // timed out or failed already: a late reply is ignored
    if (it->second->repeating && reply.type != redis_reply::kind::unavailable) {
        net::post(ioc_, [cb = it->second->cb, reply = std::move(reply)]() mutable {
            cb(std::move(reply));
        });
        return;
    }
    bool const demoted = is_readonly_error(reply);
    // Posted, never run from inside hiredis: the caller may issue commands or stop the client.
    net::post(ioc_, [cb = std::move(it->second->cb), reply = std::move(reply)]() mutable {
        cb(std::move(reply));
    });
    pending_.erase(it);
    // The server we write to became a replica (REPLICAOF, a failover): every later write would
    // be refused the same way. Reconnecting makes that visible (connected() false, /readyz
    // 503) until a master answers there again.
    if (demoted)
        drop_connection(std::string(replica_error), "redis is read-only");
}

} // namespace sse_server
