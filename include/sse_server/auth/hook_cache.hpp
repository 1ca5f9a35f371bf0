#pragma once

#include "sse_server/auth/authenticator.hpp"

#include <chrono>
#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

namespace sse_server {

/** The auth hook's answers, by hook_cache_key (a hash: it holds no credential), each until its
    own expiry; at most `capacity` of them, the oldest stored going first. Owned by the
    hook_client. Pure: the time is a parameter. */
class hook_cache
{
public:
    using clock = std::chrono::steady_clock;

    explicit hook_cache(std::size_t capacity);

    /** The answer kept for `key`, if it has not expired at `now` (an expired one is dropped). */
    std::optional<auth_result> find(std::string const& key, clock::time_point now);
    /** Keeps `answer` for `key` until now + `ttl`, replacing what was kept; a zero ttl only
        drops what was kept (a newer answer that may not be reused outdates it). */
    void store(std::string const& key, auth_result const& answer, clock::time_point now,
               std::chrono::milliseconds ttl);
    std::size_t size() const { return entries_.size(); }

private:
    struct entry
    {
        auth_result answer;
        clock::time_point expires;
        std::list<std::string>::iterator place; // in order_
    };

    void erase(std::unordered_map<std::string, entry>::iterator it);

    std::size_t capacity_;
    std::unordered_map<std::string, entry> entries_;
    std::list<std::string> order_; // the keys, oldest stored first
};

} // namespace sse_server
