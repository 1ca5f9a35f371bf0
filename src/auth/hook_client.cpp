#include "sse_server/auth/hook_client.hpp"

#include "sse_server/auth/hook_answer.hpp"
#include "sse_server/ops/metrics.hpp"
#include "sse_server/redis/redis_transport.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <spdlog/spdlog.h>
#include <utility>

namespace sse_server {

namespace {

using clock = std::chrono::steady_clock;

// Answers kept at most: a user's answer is a few hundred bytes, so some tens of MiB at most.
constexpr std::size_t cache_capacity = 65536;

auth_result unavailable(std::string reason)
{
    return {auth_result::outcome::unavailable, {}, std::move(reason), {}};
}

/** A reused connection that the hook closed while it was idle: the request never reached it,
    and a GET may be sent again. */
bool idle_hang_up(error_code ec)
{
    return ec == http::error::end_of_stream || ec == net::error::eof ||
           ec == net::error::connection_reset || ec == net::error::broken_pipe ||
           ec == net::ssl::error::stream_truncated;
}

} // namespace

hook_client::hook_client(net::io_context& ioc, hook_auth_config const& cfg, metrics& stats)
    : ioc_(ioc), cfg_(cfg), stats_(stats), resolver_(ioc), cache_(cache_capacity)
{
    if (!cfg_.where.tls)
        return;
    // The same client context as a rediss:// URL with no CA file: the system's CAs, the
    // server's certificate always verified.
    auto made = make_redis_tls_context(redis_tls_config{});
    tls_ = std::move(made.context);
    if (!made.error.empty())
        spdlog::warn("auth hook: {}: https requests will fail", made.error);
}

hook_client::~hook_client() = default;

void hook_client::async_check(std::string const& header_lines, bool fresh, answer_handler done)
{
    if (stopped_)
        return reply(std::move(done), unavailable("server stopping"));
    auto key = hook_cache_key(header_lines);
    if (!fresh) {
        if (auto kept = cache_.find(key, clock::now())) {
            stats_.hook_lookups.inc("hit");
            return reply(std::move(done), std::move(*kept));
        }
    }
    if (auto const c = joinable(key, fresh)) {
        stats_.hook_lookups.inc("joined");
        c->waiting.push_back(std::move(done));
        return;
    }
    stats_.hook_lookups.inc(fresh ? "revalidation" : "miss");
    // New streams beyond what the hook can answer within the timeout are refused at once;
    // revalidations (of streams already open, so bounded) wait their turn.
    if (!fresh && active_ >= cfg_.max_inflight &&
        waiting_count_ >= queue_per_slot * cfg_.max_inflight) {
        stats_.hook_requests.inc("busy");
        return reply(std::move(done), unavailable("auth hook: too many requests waiting"));
    }
    auto c = std::make_shared<call>(ioc_, key, hook_request(cfg_.where, header_lines));
    c->waiting.push_back(std::move(done));
    pending_.emplace(std::move(key), c);
    // One deadline for the whole answer, the wait for a slot included.
    c->deadline.expires_after(cfg_.timeout);
    c->deadline.async_wait([this, c](error_code ec) { on_deadline(c, ec); });
    if (active_ < cfg_.max_inflight)
        return start(c);
    waiting_.push_back(std::move(c));
    ++waiting_count_;
}

hook_client::call_ptr hook_client::joinable(std::string const& key, bool fresh) const
{
    for (auto [it, end] = pending_.equal_range(key); it != end; ++it)
        if (!it->second->done && (!fresh || !it->second->sent))
            return it->second;
    return nullptr;
}

void hook_client::start(call_ptr const& c)
{
    c->active = true;
    ++active_;
    if (idle_.empty())
        return connect(c);
    c->conn = std::move(idle_.back());
    idle_.pop_back();
    c->conn->reused = true;
    // Written from the loop, not now: the checks issued in this same turn (a revalidation of
    // every stream of a user) still find it unsent, and wait for its answer.
    net::post(ioc_, [this, c] {
        if (!c->done)
            write(c);
    });
}

void hook_client::connect(call_ptr const& c)
{
    c->conn = std::make_unique<connection>(ioc_, tls_.get());
    // An address needs no lookup (Asio resolves names on a thread of its own).
    error_code ec;
    auto const address = net::ip::make_address(cfg_.where.host, ec);
    if (!ec)
        return c->conn->socket().async_connect(tcp::endpoint{address, cfg_.where.port},
                                               [this, c](error_code cec) { on_connected(c, cec); });
    resolver_.async_resolve(cfg_.where.host, std::to_string(cfg_.where.port),
                            tcp::resolver::numeric_service,
                            [this, c](error_code rec, tcp::resolver::results_type results) {
                                on_resolved(c, rec, std::move(results));
                            });
}

void hook_client::on_resolved(call_ptr const& c, error_code ec, tcp::resolver::results_type results)
{
    if (c->done)
        return;
    if (ec)
        return finish(c, unavailable("auth hook: cannot resolve " + cfg_.where.host), "failed");
    net::async_connect(c->conn->socket(), results,
                       [this, c](error_code cec, tcp::endpoint const&) { on_connected(c, cec); });
}

void hook_client::on_connected(call_ptr const& c, error_code ec)
{
    if (c->done)
        return;
    if (ec)
        return finish(c, unavailable("auth hook: cannot connect: " + ec.message()), "failed");
    error_code ignored;
    c->conn->socket().set_option(tcp::no_delay(true), ignored);
    auto* const tls = c->conn->tls.get();
    if (!tls)
        return write(c);
    // The name is sent (SNI) and checked against the certificate; an address is checked
    // against its IP entries.
    SSL* ssl = tls->native_handle();
    auto const& host = cfg_.where.host;
    error_code not_an_address;
    net::ip::make_address(host, not_an_address);
    bool const named = not_an_address
                           ? SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 &&
                                 SSL_set1_host(ssl, host.c_str()) == 1
                           : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1;
    if (!named)
        return finish(c, unavailable("auth hook: cannot check the name " + host), "failed");
    tls->async_handshake(net::ssl::stream_base::client,
                         [this, c](error_code hec) { on_handshake(c, hec); });
}

void hook_client::on_handshake(call_ptr const& c, error_code ec)
{
    if (c->done)
        return;
    if (ec)
        return finish(c, unavailable("auth hook: TLS handshake: " + ec.message()), "failed");
    write(c);
}

void hook_client::write(call_ptr const& c)
{
    c->sent = true;
    auto done = [this, c](error_code ec, std::size_t) { on_written(c, ec); };
    auto& conn = *c->conn;
    if (conn.tls)
        return net::async_write(*conn.tls, net::buffer(c->request), std::move(done));
    net::async_write(conn.plain, net::buffer(c->request), std::move(done));
}

void hook_client::on_written(call_ptr const& c, error_code ec)
{
    if (c->done)
        return;
    if (ec)
        return on_read(c, ec);
    auto& conn = *c->conn;
    conn.parser.emplace();
    // The hook's answer is hostile input like any other: bounded before it is read.
    conn.parser->header_limit(8 * 1024);
    conn.parser->body_limit(max_hook_answer_bytes);
    auto done = [this, c](error_code rec, std::size_t) { on_read(c, rec); };
    if (conn.tls)
        return http::async_read(*conn.tls, conn.buffer, *conn.parser, std::move(done));
    http::async_read(conn.plain, conn.buffer, *conn.parser, std::move(done));
}

void hook_client::on_read(call_ptr const& c, error_code ec)
{
    if (c->done)
        return;
    auto& conn = *c->conn;
    if (ec == http::error::body_limit || ec == http::error::header_limit)
        return finish(c, unavailable("auth hook: answer too large"), "oversized");
    if (ec && conn.reused && !c->retried && conn.buffer.size() == 0 && idle_hang_up(ec)) {
        c->retried = true;
        return connect(c); // the old connection goes with its last handler
    }
    if (ec)
        return finish(c, unavailable("auth hook: " + ec.message()), "failed");
    auto const response = conn.parser->release();
    auto verdict = read_hook_answer(response.result_int(), response.body(), pools_);
    // Kept for the next request when the hook keeps it open and sent nothing more.
    if (response.keep_alive() && conn.buffer.size() == 0 && idle_.size() < cfg_.max_inflight) {
        conn.parser.reset();
        conn.reused = false;
        idle_.push_back(std::move(c->conn));
    }
    finish(c, std::move(verdict.auth), verdict.label);
}

void hook_client::on_deadline(call_ptr const& c, error_code ec)
{
    if (ec || c->done)
        return;
    spdlog::debug("auth hook: no answer within auth.hook.timeout");
    finish(c, unavailable("auth hook: no answer within auth.hook.timeout"), "timeout");
}

void hook_client::finish(call_ptr const& c, auth_result result, char const* label)
{
    if (c->done)
        return;
    c->done = true;
    if (label)
        stats_.hook_requests.inc(label);
    c->deadline.cancel();
    for (auto [it, end] = pending_.equal_range(c->key); it != end; ++it)
        if (it->second == c) {
            pending_.erase(it);
            break;
        }
    // Failures are not kept: the next request asks again.
    if (result.result != auth_result::outcome::unavailable)
        cache_.store(c->key, result, clock::now(), hook_answer_ttl(result.result, cfg_.cache_ttl));
    // Each waiting check gets a copy; the last one the answer itself.
    auto waiting = std::move(c->waiting);
    if (!waiting.empty()) {
        for (std::size_t i = 0; i + 1 < waiting.size(); ++i)
            reply(std::move(waiting[i]), result);
        reply(std::move(waiting.back()), std::move(result));
    }
    if (c->active) {
        c->active = false;
        --active_;
        // A read or connect still pending completes as aborted, and frees the connection.
        if (c->conn) {
            error_code ignored;
            c->conn->socket().close(ignored);
        }
    } else {
        --waiting_count_;
    }
    start_waiting();
}

void hook_client::start_waiting()
{
    while (!stopped_ && active_ < cfg_.max_inflight && !waiting_.empty()) {
        auto c = std::move(waiting_.front());
        waiting_.pop_front();
        if (c->done)
            continue;
        --waiting_count_;
        start(c);
    }
}

void hook_client::reply(answer_handler done, auth_result result)
{
    net::post(ioc_, [done = std::move(done), result = std::move(result)]() mutable {
        done(std::move(result));
    });
}

void hook_client::stop()
{
    stopped_ = true;
    resolver_.cancel();
    std::vector<call_ptr> calls;
    for (auto const& [key, c] : pending_)
        calls.push_back(c);
    for (auto const& c : calls)
        finish(c, unavailable("server stopping"), nullptr);
    waiting_.clear();
    for (auto const& conn : idle_) {
        error_code ignored;
        conn->socket().close(ignored);
    }
    idle_.clear();
}

} // namespace sse_server
