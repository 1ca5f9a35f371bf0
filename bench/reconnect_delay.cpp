#include "reconnect_delay.hpp"

#include <algorithm>

namespace sse_server::bench {

std::chrono::milliseconds reconnect_delay(std::chrono::milliseconds retry, unsigned failures,
                                          double uniform)
{
    // Doubling past 2^15 only overflows: 30 s is reached long before from any retry >= 1 ms.
    auto const doublings = std::min(failures, 15u);
    auto const base =
        std::min(max_reconnect_backoff, std::max(retry, std::chrono::milliseconds{0}) *
                                            (std::chrono::milliseconds::rep{1} << doublings));
    auto const stretch = 1.0 + std::clamp(uniform, 0.0, 1.0) / 2;
    return std::chrono::milliseconds(
        static_cast<std::chrono::milliseconds::rep>(static_cast<double>(base.count()) * stretch));
}

} // namespace sse_server::bench
