// What a Type=notify unit sees of the daemon on its NOTIFY_SOCKET: READY=1 once it serves,
// WATCHDOG=1 pings every half of WatchdogSec, RELOADING=1 then READY=1 around a reload, and
// STOPPING=1 on SIGTERM.
#include "support/daemon_process.hpp"
#include "support/redis_server.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <string>

namespace sse_server::test {
namespace {

using namespace std::chrono_literals;

/** The socket systemd would listen on: one datagram per message. */
class notify_listener
{
public:
    notify_listener()
        : path_(std::filesystem::temp_directory_path() /
                ("sse-notify-" + std::to_string(::getpid()) + ".sock"))
    {
        std::filesystem::remove(path_);
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr const*>(&addr), sizeof addr) != 0)
            throw std::runtime_error("cannot bind the notify socket");
    }
    ~notify_listener()
    {
        ::close(fd_);
        std::filesystem::remove(path_);
    }
    notify_listener(notify_listener const&) = delete;
    notify_listener& operator=(notify_listener const&) = delete;

    std::string path() const { return path_.string(); }

    /** Waits for a message equal to `state`, skipping others; false after `timeout`. */
    bool await(std::string const& state, std::chrono::milliseconds timeout = 10s)
    {
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto const left = std::chrono::duration_cast<std::chrono::microseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return false;
            timeval tv{static_cast<time_t>(left.count() / 1000000),
                       static_cast<suseconds_t>(left.count() % 1000000)};
            ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            char buf[256];
            auto const n = ::recv(fd_, buf, sizeof buf, 0);
            if (n < 0)
                return false;
            if (std::string(buf, static_cast<std::size_t>(n)) == state)
                return true;
        }
    }

private:
    std::filesystem::path path_;
    int fd_ = -1;
};

TEST(systemd_notify, ready_watchdog_reloading_and_stopping_reach_the_notify_socket)
{
    redis_server redis;
    notify_listener systemd;
    auto const toml = daemon_config(redis);
    // WatchdogSec=200ms: a ping every 100 ms.
    daemon_process d{toml, {}, {{"NOTIFY_SOCKET", systemd.path()}, {"WATCHDOG_USEC", "200000"}}};
    EXPECT_TRUE(systemd.await("READY=1"));
    EXPECT_TRUE(systemd.await("WATCHDOG=1"));
    EXPECT_TRUE(systemd.await("WATCHDOG=1")) << "the pings go on";

    d.signal(SIGHUP);
    EXPECT_TRUE(systemd.await("RELOADING=1"));
    EXPECT_TRUE(systemd.await("READY=1")) << "the reload ends with READY=1";
    EXPECT_TRUE(systemd.await("WATCHDOG=1"));

    d.signal(SIGTERM);
    EXPECT_TRUE(systemd.await("STOPPING=1"));
    EXPECT_EQ(d.wait_exit(20s), 0);
}

} // namespace
} // namespace sse_server::test
