#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace sse_server {

/** What the kernel says about this process, for the standard `process_*` metrics. Open
    descriptors against their limit is the daemon's capacity: one descriptor per stream. */
struct process_sample
{
    std::optional<std::uint64_t> open_fds;       // what /proc/self/fd holds
    std::optional<std::uint64_t> max_fds;        // RLIMIT_NOFILE, soft
    std::optional<std::uint64_t> resident_bytes; // /proc/self/statm
    std::optional<double> cpu_seconds;           // user + system
    std::optional<double> start_time_seconds;    // since the Unix epoch
};

/** Reads the sample, every figure now; a figure the kernel does not give (no /proc) is left
    out. Costs a listing of the descriptors on kernels before Linux 6.2. */
process_sample sample_process();

/** Samples the process for every scrape at a cost that does not grow with the streams: the
    descriptors are counted by the kernel where it can (Linux 6.2 and later); older kernels
    need them listed, which costs time in proportion to them, so the listing is redone at most
    once a second and at most 1 % of the time, and the figure may be that old. The start time
    is read once. Owned by `metrics`. */
class process_sampler
{
public:
    using clock = std::chrono::steady_clock;

    process_sampler();
    process_sample sample();

private:
    std::optional<std::uint64_t> open_fds(clock::time_point now);

    std::optional<double> start_time_;
    std::optional<std::uint64_t> listed_fds_;
    clock::time_point next_listing_{};
};

/** Appends the sample in the Prometheus text format, under the names the official client
    libraries use (process_open_fds, process_max_fds, process_resident_memory_bytes,
    process_cpu_seconds_total, process_start_time_seconds). */
void render_process_metrics(process_sample const& sample, std::string& out);

} // namespace sse_server
