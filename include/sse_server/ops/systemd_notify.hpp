#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace sse_server {

/** Tells systemd about the service state ("READY=1", "STOPPING=1") when started by a
    `Type=notify` unit, i.e. when NOTIFY_SOCKET is set; does nothing otherwise. Returns
    whether a message was sent. */
bool systemd_notify(std::string_view state);

/** How often to send "WATCHDOG=1": half the WatchdogSec= systemd asks for through
    WATCHDOG_USEC (and WATCHDOG_PID, when set, naming this process); empty when it asks for
    none. */
std::optional<std::chrono::microseconds> watchdog_ping_interval();

} // namespace sse_server
