#pragma once

#include <cstdint>

namespace sse_server {

/** Raises the soft limit of open files to the hard limit: every stream is a descriptor, and
    the default soft limit (often 1024) would cap the daemon far below what the host allows.
    Returns the limit now in force. */
std::uint64_t raise_open_file_limit();

} // namespace sse_server
