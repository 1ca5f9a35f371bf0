#include "sse_server/ops/process_metrics.hpp"

#include "sse_server/ops/process_limits.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>

namespace sse_server {

namespace {

std::optional<std::uint64_t> descriptor_limit()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return std::nullopt;
    return limit.rlim_cur;
}

std::optional<std::uint64_t> resident_bytes()
{
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size = 0;
    std::uint64_t resident = 0;
    if (!(statm >> size >> resident))
        return std::nullopt;
    return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

std::optional<double> cpu_seconds()
{
    rusage usage{};
    if (::getrusage(RUSAGE_SELF, &usage) != 0)
        return std::nullopt;
    auto const seconds = [](timeval t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Field 22 of /proc/self/stat is the start in clock ticks after boot; the boot time is
// `btime` in /proc/stat. The command name (field 2) may hold spaces and parentheses: the
// fields are counted from the last ')'.
std::optional<double> start_time_seconds()
{
    std::ifstream stat_file("/proc/self/stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), {});
    auto const close = stat.rfind(')');
    if (close == std::string::npos)
        return std::nullopt;
    std::istringstream fields(stat.substr(close + 1));
    std::string field;
    std::uint64_t ticks = 0;
    for (int i = 3; i <= 22 && fields >> field; ++i)
        if (i == 22)
            ticks = std::strtoull(field.c_str(), nullptr, 10);
    std::ifstream proc_stat("/proc/stat");
    std::string key;
    std::uint64_t boot = 0;
    while (proc_stat >> key)
        if (key == "btime" && proc_stat >> boot)
            break;
    auto const hz = ::sysconf(_SC_CLK_TCK);
    if (ticks == 0 || boot == 0 || hz <= 0)
        return std::nullopt;
    return static_cast<double>(boot) + static_cast<double>(ticks) / static_cast<double>(hz);
}

template <class T>
void gauge(std::string& out, std::string_view name, std::string_view type, std::string_view help,
           std::optional<T> value)
{
    if (!value)
        return;
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help,
                   name, type, name, *value);
}

} // namespace

process_sample sample_process()
{
    return {open_descriptor_count(), descriptor_limit(), resident_bytes(), cpu_seconds(),
            start_time_seconds()};
}

process_sampler::process_sampler() : start_time_(start_time_seconds()) {}

process_sample process_sampler::sample()
{
    return {open_fds(clock::now()), descriptor_limit(), resident_bytes(), cpu_seconds(),
            start_time_};
}

std::optional<std::uint64_t> process_sampler::open_fds(clock::time_point now)
{
    if (auto const counted = counted_descriptors())
        return counted;
    if (now < next_listing_)
        return listed_fds_;
    // A listing of 100 000 descriptors takes tens of milliseconds on the loop that delivers
    // events: at most one a second, and a hundred times its own duration apart.
    listed_fds_ = listed_descriptors();
    auto const took = clock::now() - now;
    next_listing_ = now + std::max<clock::duration>(std::chrono::seconds(1), 100 * took);
    return listed_fds_;
}

void render_process_metrics(process_sample const& sample, std::string& out)
{
    gauge(out, "process_open_fds", "gauge", "Open file descriptors (one per stream).",
          sample.open_fds);
    gauge(out, "process_max_fds", "gauge", "The limit on open file descriptors.",
          sample.max_fds);
    gauge(out, "process_resident_memory_bytes", "gauge", "Resident memory.",
          sample.resident_bytes);
    gauge(out, "process_cpu_seconds_total", "counter", "User and system CPU time.",
          sample.cpu_seconds);
    gauge(out, "process_start_time_seconds", "gauge", "Start time since the Unix epoch.",
          sample.start_time_seconds);
}

} // namespace sse_server
