#include "sse_server/process_limits.hpp"

#include <string>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include <sys/resource.h>

namespace sse_server {

std::uint64_t raise_open_file_limit()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 0;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0)
            limit = raised;
    }
    return limit.rlim_cur;
}

std::uint64_t open_file_limit()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return 0;
    return limit.rlim_cur;
}

std::size_t open_descriptor_count()
{
    std::error_code ec;
    std::size_t count = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
         it.increment(ec))
        ++count;
    return count;
}

std::uint64_t descriptor_reserve(std::uint64_t limit)
{
    return std::min<std::uint64_t>(64, limit / 8);
}

std::optional<std::string> descriptor_warning(std::uint64_t max_connections,
                                              std::uint64_t open_file_limit)
{
    if (open_file_limit == 0)
        return std::nullopt;
    auto const streams = open_file_limit - descriptor_reserve(open_file_limit);
    if (max_connections <= streams)
        return std::nullopt;
    return "limits.max_connections is " + std::to_string(max_connections) +
           " but the open-file limit (" + std::to_string(open_file_limit) + ") leaves room for " +
           std::to_string(streams) + " streams: raise LimitNOFILE / ulimit -n, or lower "
           "limits.max_connections";
}

} // namespace sse_server
