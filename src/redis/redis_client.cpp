#include "sse_server/redis/redis_client.hpp"

#include "sse_server/redis/redis_command.hpp"
#include "sse_server/redis/redis_connection.hpp"
#include "sse_server/redis/sentinel_client.hpp"

#include <boost/asio/post.hpp>
#include <initializer_list>
#include <spdlog/spdlog.h>
#include <utility>

namespace sse_server {

namespace {

bool is_readonly_error(redis_reply const& r)
{
    return r.type == redis_reply::kind::error && r.text.starts_with("READONLY");
}

/** A message on a subscribed channel: ["message", channel, payload]. */
bool is_channel_message(redis_reply const& r)
{
    return r.type == redis_reply::kind::array && r.elements.size() == 3 &&
           r.elements.front().text == "message";
}

} // namespace

/** A command waiting for its reply, with its own deadline. */
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
    if (cfg_.url.scheme == redis_scheme::sentinel)
        sentinels_ = std::make_unique<sentinel_client>(ioc, cfg_, user_name(), role_.name);
}

// Failing the pending commands posts them to the io_context, which allocates: only a failed
// allocation can throw here, and terminating the process then is what is wanted.
// NOLINTNEXTLINE(bugprone-exception-escape)
redis_client::~redis_client()
{
    stopped_ = true;
    detach("redis client stopped");
}

void redis_client::async_get(std::string_view key, callback cb)
{
    issue(std::initializer_list<std::string_view>{"GET", key}, std::move(cb), cfg_.timeout);
}

void redis_client::async_ping(callback cb)
{
    issue(std::initializer_list<std::string_view>{"PING"}, std::move(cb), cfg_.timeout);
}

void redis_client::async_command(std::vector<std::string> const& args, callback cb)
{
    issue(args, std::move(cb), cfg_.timeout);
}

void redis_client::async_command(std::vector<std::string> const& args, callback cb,
                                 milliseconds timeout)
{
    issue(args, std::move(cb), timeout);
}

void redis_client::async_subscribe(std::string const& channel, callback on_message)
{
    issue(std::initializer_list<std::string_view>{"SUBSCRIBE", channel}, std::move(on_message),
          std::nullopt, true);
}

void redis_client::fail_soon(callback cb, redis_reply reply)
{
    net::post(ioc_, [cb = std::move(cb), reply = std::move(reply)]() mutable {
        cb(std::move(reply));
    });
}

template <class Args>
void redis_client::issue(Args const& args, callback cb, std::optional<milliseconds> timeout,
                         bool subscribe)
{
    if (std::empty(args))
        return fail_soon(std::move(cb), {redis_reply::kind::error, "empty command", {}});
    // While a connection is being set up the command waits on it, queued behind the
    // handshake (a daemon that just started should not refuse its first clients); between
    // attempts there is no connection to wait on.
    // Why it is not connected ("connection refused", Redis's answer to a wrong password) goes
    // with the refusal, so that /readyz says what the log says.
    if (!conn_)
        return fail_soon(std::move(cb),
                         unavailable_reply(stopped_ ? "redis client stopped"
                                                    : "redis not connected" +
                                                          (last_error_.empty()
                                                               ? std::string()
                                                               : ": " + last_error_)));

    auto const id = next_id_++;
    append_redis_command(conn_->out, args);
    conn_->awaiting.push_back({id, nullptr, subscribe});
    conn_->flush_soon();

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

void redis_client::on_connection_reply(redis_connection& conn, redis_reply reply)
{
    // Once subscribed, messages come unasked, in between the confirmations of later
    // SUBSCRIBEs: they go to their channel's subscriber.
    if (!conn.channels.empty() && is_channel_message(reply)) {
        if (auto it = conn.channels.find(reply.elements[1].text); it != conn.channels.end())
            complete(it->second, std::move(reply));
        return;
    }
    if (conn.awaiting.empty())
        return drop_connection("protocol error: a reply nobody asked for", "redis protocol error");
    auto const next = conn.awaiting.front();
    conn.awaiting.pop_front();
    if (next.step)
        return on_handshake_reply(conn, reply, next.step);
    if (next.subscribe && reply.type == redis_reply::kind::array && reply.elements.size() >= 2)
        conn.channels.emplace(reply.elements[1].text, next.id);
    complete(next.id, std::move(reply));
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
        conn->close();
    auto failed = std::move(pending_);
    pending_.clear();
    for (auto& [id, p] : failed)
        fail_soon(std::move(p->cb), unavailable_reply(reason));
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
    // Posted, never run from inside the read: the caller may issue commands or stop the client.
    fail_soon(std::move(it->second->cb), std::move(reply));
    pending_.erase(it);
    // The server we write to became a replica (REPLICAOF, a failover): every later write would
    // be refused the same way. Reconnecting makes that visible (connected() false, /readyz
    // 503) until a master answers there again.
    if (demoted)
        drop_connection(std::string(replica_error), "redis is read-only");
}

} // namespace sse_server
