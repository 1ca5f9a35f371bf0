#pragma once

#include "sse_server/base/net.hpp"
#include "sse_server/config/config.hpp"
#include "sse_server/redis/sentinel_link.hpp"
#include "sse_server/redis/sentinel_replies.hpp"

#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace sse_server {

/** The sentinels of one `redis+sentinel://` URL, as one redis_client sees them: it asks them,
    in order, where the master is, and listens on one of them for `+switch-master`. Each
    sentinel is reached with the URL's credentials (a sentinel without a password accepts the
    connection anyway). Owned by `redis_client`; single-threaded. */
class sentinel_client
{
public:
    /** Where the master is, or why no sentinel said. */
    struct lookup
    {
        std::optional<host_port> master;
        std::string error;
    };

    /** `user` is the ACL user the connections to Redis use (the URL's or redis.username);
        `role` what the client is for, in logs. */
    sentinel_client(net::io_context& ioc, redis_config const& cfg, std::string user,
                    std::string role);
    ~sentinel_client();
    sentinel_client(sentinel_client const&) = delete;
    sentinel_client& operator=(sentinel_client const&) = delete;

    /** Asks the sentinels in order, each within redis.timeout, skipping those that are down or
        refuse; `done` gets the first address one gives, or why none did. A new lookup abandons
        the one under way (its `done` is never called). */
    void async_master(std::function<void(lookup)> done);

    /** Subscribes to `+switch-master` on the first sentinel that answers, moving on to the
        next when it goes away; `on_switch` gets the new address of this URL's master. */
    void watch(std::function<void(host_port const& to)> on_switch);

    /** Closes every connection; no callback comes after this. */
    void stop();

private:
    std::string commands(std::initializer_list<std::string_view> command) const;
    void ask(std::size_t index);
    void on_answer(std::size_t index, redis_reply reply);
    void ask_next(std::size_t index, std::string outcome);
    void listen(std::size_t index);
    void on_message(std::size_t index, redis_reply const& reply);
    void on_listen_ended(std::size_t index, std::string const& error);

    net::io_context& ioc_;
    redis_config const& cfg_;
    std::string user_;
    std::string role_;
    bool stopped_ = false;

    // The lookup under way.
    std::shared_ptr<sentinel_link> asking_;
    std::function<void(lookup)> done_;
    std::optional<std::string> auth_error_; // what AUTH got from the sentinel being asked
    std::string outcomes_;                  // what each sentinel asked so far said
    bool unknown_ = false;                  // one of them does not know the master

    // The subscription.
    std::shared_ptr<sentinel_link> listening_;
    std::function<void(host_port const&)> on_switch_;
    net::steady_timer relisten_;
    std::set<std::string> listen_errors_; // logged once until a subscription succeeds
};

} // namespace sse_server
