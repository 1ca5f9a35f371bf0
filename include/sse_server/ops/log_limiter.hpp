#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sse_server {

/** Decides which lines of a repeating kind reach the log: the first `per_window` of a window
    (one, for warnings; more for the access log), then one summary line with the count of the
    others. A fault that 100 000 retrying clients hit every 3 s is then two lines per window,
    not 33 000 a second. Pure: the caller passes the time. */
class log_limiter
{
public:
    using clock = std::chrono::steady_clock;

    /** One kind's occurrences in a window that ended without being logged. */
    struct summary
    {
        std::string kind;
        std::uint64_t count = 0;
    };

    explicit log_limiter(clock::duration window, std::uint32_t per_window = 1)
        : window_(window), per_window_(per_window)
    {
    }

    clock::duration window() const { return window_; }

    /** True when this occurrence of `kind` is to be logged now: one of the first `per_window`
        since its window opened. The others are counted for take_expired(). */
    bool admit(std::string_view kind, clock::time_point now);

    /** The kinds whose window has ended with occurrences that were not logged, one summary
        each; those kinds start afresh (their next occurrence is logged at once). */
    std::vector<summary> take_expired(clock::time_point now);

private:
    struct window_state
    {
        clock::time_point opened;
        std::uint32_t admitted = 0;
        std::uint64_t suppressed = 0;
    };

    clock::duration window_;
    std::uint32_t per_window_;
    std::unordered_map<std::string, window_state> kinds_;
};

} // namespace sse_server
