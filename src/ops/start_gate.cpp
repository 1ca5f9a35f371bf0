#include "sse_server/ops/start_gate.hpp"

namespace sse_server {

start_gate decide_start(bool sessions_answer, std::string const& sessions_error,
                        std::optional<std::string> const& bus_problem,
                        std::chrono::milliseconds waited, std::chrono::milliseconds limit)
{
    std::string missing;
    if (!sessions_answer)
        missing = "redis unavailable: " + (sessions_error.empty() ? "connecting" : sessions_error);
    else if (bus_problem)
        missing = *bus_problem;
    if (missing.empty())
        return {start_gate::verdict::open, {}};
    if (waited >= limit)
        return {start_gate::verdict::open_anyway, std::move(missing)};
    return {start_gate::verdict::wait, std::move(missing)};
}

} // namespace sse_server
