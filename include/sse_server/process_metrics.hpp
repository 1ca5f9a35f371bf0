#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sse_server {

/** What the kernel says about this process, for the standard `process_*` metrics. Open
    descriptors against their limit is the daemon's capacity: one descriptor per stream. */
struct process_sample
{
    std::optional<std::uint64_t> open_fds;       // entries of /proc/self/fd
    std::optional<std::uint64_t> max_fds;        // RLIMIT_NOFILE, soft
    std::optional<std::uint64_t> resident_bytes; // /proc/self/statm
    std::optional<double> cpu_seconds;           // user + system
    std::optional<double> start_time_seconds;    // since the Unix epoch
};

/** Reads the sample; a figure the kernel does not give (no /proc) is left out. */
process_sample sample_process();

/** Appends the sample in the Prometheus text format, under the names the official client
    libraries use (process_open_fds, process_max_fds, process_resident_memory_bytes,
    process_cpu_seconds_total, process_start_time_seconds). */
void render_process_metrics(process_sample const& sample, std::string& out);

} // namespace sse_server
