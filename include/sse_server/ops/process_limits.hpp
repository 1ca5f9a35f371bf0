#pragma once

#include "sse_server/config/config.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace sse_server {

/** Raises the soft limit of open files to the hard limit: every stream is a descriptor, and
    the default soft limit (often 1024) would cap the daemon far below what the host allows.
    Returns the limit now in force. */
std::uint64_t raise_open_file_limit();

/** The soft limit of open files; 0 when unknown or unlimited. */
std::uint64_t open_file_limit();

/** How many descriptors the process has open now, as the size of /proc/self/fd: Linux 6.2
    and later count them at no cost. Empty where the kernel does not (older kernels say 0). */
std::optional<std::uint64_t> counted_descriptors();

/** How many descriptors the process has open now, by listing /proc/self/fd: a cost linear in
    the descriptors, what kernels before 6.2 need. Empty without /proc. */
std::optional<std::uint64_t> listed_descriptors();

/** How many descriptors the process has open now: counted where the kernel can, else listed
    (call it rarely then). Empty without /proc. */
std::optional<std::uint64_t> open_descriptor_count();

/** Descriptors the clients port leaves free, so that Redis, the listeners and the loop keep
    working when clients take all the others: 64, or an eighth of a small limit. */
std::uint64_t descriptor_reserve(std::uint64_t limit);

/** The most connections each of the notification and metrics ports holds at once:
    notify.max_connections, or a sixteenth of a small descriptor limit (at least 1), so that
    the clients port keeps the larger part of a small limit. */
std::uint64_t admin_port_cap(config const& cfg, std::uint64_t limit);

/** Descriptors the clients port never takes: the reserve, plus the notification port (and
    the metrics port, when open) at its cap. A crowd of clients then never stops /healthz or
    /notify, and a crowd on either of those ports never takes a client's place. */
std::uint64_t descriptors_kept_from_clients(config const& cfg, std::uint64_t limit);

/** What to tell the operator when limits.max_connections cannot be reached because the
    open-file limit, less the descriptors kept from clients (`kept`), is lower; nothing when it
    can, or the limit is unknown (0). */
std::optional<std::string> descriptor_warning(std::uint64_t max_connections,
                                              std::uint64_t open_file_limit, std::uint64_t kept);

} // namespace sse_server
