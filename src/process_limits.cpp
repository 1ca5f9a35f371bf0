#include "sse_server/process_limits.hpp"

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

} // namespace sse_server
