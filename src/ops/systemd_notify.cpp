#include "sse_server/ops/systemd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace sse_server {

bool systemd_notify(std::string_view state)
{
    char const* path = std::getenv("NOTIFY_SOCKET");
    if (!path || (path[0] != '/' && path[0] != '@'))
        return false;
    std::size_t const len = std::strlen(path);
    sockaddr_un addr{};
    if (len >= sizeof addr.sun_path)
        return false;
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path, len);
    if (addr.sun_path[0] == '@')
        addr.sun_path[0] = '\0'; // abstract socket namespace
    int const fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    auto const addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
    auto const sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                               reinterpret_cast<sockaddr const*>(&addr), addr_len);
    ::close(fd);
    return sent == static_cast<ssize_t>(state.size());
}

std::optional<std::chrono::microseconds> watchdog_ping_interval()
{
    char const* usec = std::getenv("WATCHDOG_USEC");
    if (!usec)
        return std::nullopt;
    if (char const* pid = std::getenv("WATCHDOG_PID");
        pid && std::strtoll(pid, nullptr, 10) != static_cast<long long>(::getpid()))
        return std::nullopt; // meant for another process (one we were started by)
    char* end = nullptr;
    auto const value = std::strtoll(usec, &end, 10);
    if (end == usec || *end != '\0' || value <= 0)
        return std::nullopt;
    return std::chrono::microseconds(value / 2);
}

} // namespace sse_server
