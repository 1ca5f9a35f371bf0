#include "sse_server/ops/process_limits.hpp"

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

std::uint64_t admin_port_cap(config const& cfg, std::uint64_t limit)
{
    std::uint64_t const configured = cfg.notify.max_connections;
    if (limit == 0)
        return configured;
    return std::min(configured, std::max<std::uint64_t>(1, limit / 16));
}

std::uint64_t descriptors_kept_from_clients(config const& cfg, std::uint64_t limit)
{
    std::uint64_t const admin_ports = cfg.listen.metrics ? 2 : 1;
    return descriptor_reserve(limit) + admin_ports * admin_port_cap(cfg, limit);
}

std::optional<std::string> descriptor_warning(std::uint64_t max_connections,
                                              std::uint64_t open_file_limit, std::uint64_t kept)
{
    if (open_file_limit == 0)
        return std::nullopt;
    auto const streams = open_file_limit > kept ? open_file_limit - kept : 0;
    if (max_connections <= streams)
        return std::nullopt;
    return "limits.max_connections is " + std::to_string(max_connections) +
           " but the open-file limit (" + std::to_string(open_file_limit) + ") leaves room for " +
           std::to_string(streams) + " streams: raise LimitNOFILE / ulimit -n, or lower "
           "limits.max_connections";
}

} // namespace sse_server
