#pragma once

#include <cstdint>
#include <optional>

namespace sse_server::bench {

/** What /proc tells about a process at one moment (Linux). */
struct process_sample
{
    std::optional<std::uint64_t> rss_kb; // VmRSS
    std::optional<double> cpu_seconds;   // user + system, since it started
};

/** Samples the daemon under test; nothing is set when /proc cannot be read. */
process_sample sample_process(int pid);

/** User + system CPU time of this process. */
double own_cpu_seconds();

} // namespace sse_server::bench
