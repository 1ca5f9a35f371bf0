#include "proc_stats.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <unistd.h>

namespace sse_server::bench {

namespace {

std::optional<std::uint64_t> read_rss_kb(int pid)
{
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    constexpr std::string_view key = "VmRSS:";
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind(key, 0) != 0)
            continue;
        auto const first = line.find_first_not_of(" \t", key.size());
        if (first == std::string::npos)
            return std::nullopt;
        std::uint64_t value = 0;
        auto const [ptr, ec] =
            std::from_chars(line.data() + first, line.data() + line.size(), value);
        if (ec != std::errc{} || ptr == line.data() + first)
            return std::nullopt;
        return value;
    }
    return std::nullopt;
}

std::optional<double> read_cpu_seconds(int pid)
{
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(file, stat);
    // The command name in field 2 may hold spaces and parentheses: count from the last ')'.
    auto const close = stat.rfind(')');
    if (close == std::string::npos)
        return std::nullopt;
    std::istringstream fields(stat.substr(close + 1));
    std::string skip;
    for (int field = 3; field < 14; ++field)
        fields >> skip;
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    if (!(fields >> utime >> stime))
        return std::nullopt;
    auto const ticks = sysconf(_SC_CLK_TCK);
    if (ticks <= 0)
        return std::nullopt;
    return static_cast<double>(utime + stime) / static_cast<double>(ticks);
}

} // namespace

process_sample sample_process(int pid)
{
    return {read_rss_kb(pid), read_cpu_seconds(pid)};
}

double own_cpu_seconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto const seconds = [](timeval t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

} // namespace sse_server::bench
