#pragma once

#include <string_view>

namespace sse_server {

/** Tells systemd about the service state ("READY=1", "STOPPING=1") when started by a
    `Type=notify` unit, i.e. when NOTIFY_SOCKET is set; does nothing otherwise. Returns
    whether a message was sent. */
bool systemd_notify(std::string_view state);

} // namespace sse_server
