#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace sse_server {

/** What the clients port does at start: it opens (and systemd hears READY=1) once
    authentication can work, so that with SO_REUSEPORT the kernel never hands a client to a
    daemon that could only refuse it; or, after server.ready_timeout, anyway (new streams then
    get 503 until Redis answers, as in any outage). */
struct start_gate
{
    enum class verdict
    {
        wait,       // not yet: `missing` says what for
        open,       // everything answers
        open_anyway // the wait is over; `missing` still is
    };
    verdict action = verdict::wait;
    std::string missing; // empty with `open`
};

/** Decides from what is known now: whether the sessions Redis has answered (its handshake),
    why it has not (its last error, empty while it first connects), why the cluster bus cannot
    be read from yet (empty in standalone mode and once it can), and how long the start has
    waited against `limit`. Pure. */
start_gate decide_start(bool sessions_answer, std::string const& sessions_error,
                        std::optional<std::string> const& bus_problem,
                        std::chrono::milliseconds waited, std::chrono::milliseconds limit);

} // namespace sse_server
