#include "sse_server/process_limits.hpp"

#include <algorithm>
#include <string>

#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>

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

std::optional<std::uint64_t> counted_descriptors()
{
    struct stat directory{};
    if (::stat("/proc/self/fd", &directory) != 0 || directory.st_size <= 0)
        return std::nullopt;
    return static_cast<std::uint64_t>(directory.st_size);
}

std::optional<std::uint64_t> listed_descriptors()
{
    DIR* dir = ::opendir("/proc/self/fd");
    if (!dir)
        return std::nullopt;
    std::uint64_t n = 0;
    while (auto const* entry = ::readdir(dir))
        if (entry->d_name[0] != '.')
            ++n;
    ::closedir(dir);
    return n - 1; // the descriptor of the listing itself
}

std::optional<std::uint64_t> open_descriptor_count()
{
    if (auto const counted = counted_descriptors())
        return counted;
    return listed_descriptors();
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
