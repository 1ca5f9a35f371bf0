#include "sse_server/auth/hook_cache.hpp"

#include <algorithm>
#include <iterator>

namespace sse_server {

hook_cache::hook_cache(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

std::optional<auth_result> hook_cache::find(std::string const& key, clock::time_point now)
{
    auto const it = entries_.find(key);
    if (it == entries_.end())
        return std::nullopt;
    if (now >= it->second.expires) {
        erase(it);
        return std::nullopt;
    }
    return it->second.answer;
}

void hook_cache::store(std::string const& key, auth_result const& answer, clock::time_point now,
                       std::chrono::milliseconds ttl)
{
    if (auto const it = entries_.find(key); it != entries_.end())
        erase(it);
    if (ttl <= std::chrono::milliseconds::zero())
        return;
    // The oldest go first: those that expired, then, when full, those that have not.
    while (!order_.empty()) {
        auto const oldest = entries_.find(order_.front());
        if (entries_.size() < capacity_ && oldest->second.expires > now)
            break;
        erase(oldest);
    }
    order_.push_back(key);
    entries_.emplace(key, entry{answer, now + ttl, std::prev(order_.end())});
}

void hook_cache::erase(std::unordered_map<std::string, entry>::iterator it)
{
    order_.erase(it->second.place);
    entries_.erase(it);
}

} // namespace sse_server
