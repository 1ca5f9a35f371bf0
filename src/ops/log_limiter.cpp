#include "sse_server/ops/log_limiter.hpp"

namespace sse_server {

bool log_limiter::admit(std::string_view kind, clock::time_point now)
{
    auto& state = kinds_.try_emplace(std::string(kind), window_state{now, 0, 0}).first->second;
    if (now - state.opened >= window_ && state.suppressed == 0) {
        // Quiet for a whole window: this is news again.
        state.opened = now;
        state.admitted = 0;
    }
    if (state.admitted < per_window_) {
        ++state.admitted;
        return true;
    }
    ++state.suppressed;
    return false;
}

std::vector<log_limiter::summary> log_limiter::take_expired(clock::time_point now)
{
    std::vector<summary> due;
    for (auto it = kinds_.begin(); it != kinds_.end();) {
        if (now - it->second.opened < window_) {
            ++it;
            continue;
        }
        if (it->second.suppressed > 0)
            due.push_back({it->first, it->second.suppressed});
        // Forgetting the kind bounds the map by the kinds seen in one window.
        it = kinds_.erase(it);
    }
    return due;
}

} // namespace sse_server
