#pragma once

#include "sse_server/auth/authenticator.hpp"
#include "sse_server/auth/hook_cache.hpp"
#include "sse_server/base/net.hpp"
#include "sse_server/config/config.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace sse_server {

struct metrics;

/** Asks the application's auth hook who a stream request is (SPEC §2.2a): one GET per distinct
    set of headers, its answer kept in a hook_cache; requests with the same headers while one is
    on its way wait for its answer (a reconnect storm is one request per user); at most
    auth.hook.max_inflight requests at once on keep-alive connections it reuses, up to 16 times
    as many new streams' checks waiting for one of them (revalidations always wait). Every
    answer comes within auth.hook.timeout of the ask.
    Owned by `server`, on its io_context; nothing is locked. */
class hook_client
{
public:
    using answer_handler = std::function<void(auth_result)>;

    hook_client(net::io_context& ioc, hook_auth_config const& cfg, metrics& stats);
    ~hook_client();
    hook_client(hook_client const&) = delete;
    hook_client& operator=(hook_client const&) = delete;

    /** Completes exactly once, never inline. `fresh` (a revalidation): the cache is not read,
        and only a request not yet sent is waited for, so the answer is from after the ask. */
    void async_check(std::string const& header_lines, bool fresh, answer_handler done);
    /** The daemon stops: every pending check answers unavailable now, connections close, and
        later checks answer unavailable too. */
    void stop();

    /** How many waiting requests there may be beyond max_inflight: 16 per slot. */
    static constexpr std::size_t queue_per_slot = 16;

private:
    /** A keep-alive connection to the hook: TCP, or TLS over TCP for an https:// URL. */
    struct connection
    {
        connection(net::io_context& ioc, net::ssl::context* tls_context)
            : plain(ioc),
              tls(tls_context ? std::make_unique<net::ssl::stream<tcp::socket>>(ioc, *tls_context)
                              : nullptr)
        {
        }
        tcp::socket& socket() { return tls ? tls->next_layer() : plain; }
        tcp::socket plain;                                  // http://
        std::unique_ptr<net::ssl::stream<tcp::socket>> tls; // https://
        beast::flat_buffer buffer;
        std::optional<http::response_parser<http::string_body>> parser;
        bool reused = false; // it served a request before: a hang-up may be its idle close
    };
    /** One request to the hook, and every check waiting for its answer. */
    struct call
    {
        call(net::io_context& ioc, std::string cache_key, std::string get)
            : key(std::move(cache_key)), request(std::move(get)), deadline(ioc)
        {
        }
        std::string key;
        std::string request; // the whole GET
        std::vector<answer_handler> waiting;
        net::steady_timer deadline;
        std::unique_ptr<connection> conn; // while it holds a slot
        bool sent = false;    // written (in part): its answer may be from before a later ask
        bool active = false;  // holds one of the max_inflight slots
        bool done = false;    // answered; its handlers only clean up
        bool retried = false; // once, on a fresh connection, when a reused one hung up
    };
    using call_ptr = std::shared_ptr<call>;

    call_ptr joinable(std::string const& key, bool fresh) const;
    void start(call_ptr const& c);
    void connect(call_ptr const& c);
    void on_resolved(call_ptr const& c, error_code ec, tcp::resolver::results_type results);
    void on_connected(call_ptr const& c, error_code ec);
    void on_handshake(call_ptr const& c, error_code ec);
    void write(call_ptr const& c);
    void on_written(call_ptr const& c, error_code ec);
    void on_read(call_ptr const& c, error_code ec);
    void on_deadline(call_ptr const& c, error_code ec);
    /** Answers every check of `c` with `result` (kept in the cache as hook_answer_ttl says,
        unless unavailable), counts it under `label` (null: not counted), frees its slot, and
        starts the next waiting call. */
    void finish(call_ptr const& c, auth_result result, char const* label);
    void start_waiting();
    void reply(answer_handler done, auth_result result);

    net::io_context& ioc_;
    hook_auth_config const& cfg_;
    metrics& stats_;
    tcp::resolver resolver_;
    // https://: the system's CA certificates, loaded once; the name is checked per connection.
    std::unique_ptr<net::ssl::context> tls_;
    hook_cache cache_;
    claims_pools pools_; // the claims of the hook's answers
    // Calls not yet answered, by key; a revalidation may add a second one for a key whose
    // request was already sent.
    std::unordered_multimap<std::string, call_ptr> pending_;
    std::deque<call_ptr> waiting_;  // for a slot, oldest first (answered ones skipped)
    std::size_t waiting_count_ = 0; // those in waiting_ not answered yet
    std::size_t active_ = 0;
    std::vector<std::unique_ptr<connection>> idle_; // keep-alive connections, at most max_inflight
    bool stopped_ = false;
};

} // namespace sse_server
