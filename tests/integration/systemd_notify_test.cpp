// What a Type=notify unit sees of the daemon on its NOTIFY_SOCKET: READY=1 once it serves
// (Redis answers, and in cluster mode the bus is positioned: not before, so that the kernel
// never hands a client to a daemon that could only refuse it), WATCHDOG=1 pings every half of
// WatchdogSec, RELOADING=1 then READY=1 around a reload, and STOPPING=1 on SIGTERM.
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
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

// "clients port 127.0.0.1:41519 opens once Redis can be used ...": the port the daemon holds.
std::uint16_t waiting_clients_port(daemon_process const& d)
{
    auto const text = d.output();
    auto const at = text.find("clients port ");
    auto const end = text.find(" opens once", at);
    if (at == std::string::npos || end == std::string::npos)
        return 0;
    auto const colon = text.rfind(':', end);
    return static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1, end - colon - 1)));
}

bool refuses_connections(std::uint16_t port)
{
    try {
        tcp_connection probe{port};
        return false;
    } catch (std::runtime_error const& error) {
        return std::string(error.what()).find("refused") != std::string::npos;
    }
}

header_list const session{{"Cookie", "sid=s"}};

TEST(systemd_notify, without_redis_no_ready_and_no_client_is_taken_until_it_answers)
{
    redis_server redis;
    redis.stop();
    notify_listener systemd;
    daemon_process d{daemon_config(redis), {}, {{"NOTIFY_SOCKET", systemd.path()}}, false};
    ASSERT_TRUE(d.wait_for_output("opens once Redis can be used", 20s)) << d.output();
    auto const clients = waiting_clients_port(d);
    auto const notify = d.listening_port("notifications");
    ASSERT_NE(clients, 0) << d.output();
    ASSERT_NE(notify, 0) << d.output();

    // The notification port serves from the start; the clients port takes no one.
    EXPECT_EQ(http_request(notify, "GET", "/healthz").status, 200);
    EXPECT_EQ(http_request(notify, "GET", "/readyz").status, 503);
    EXPECT_TRUE(refuses_connections(clients));
    // A reload meanwhile must not end the start for systemd (its READY=1).
    d.signal(SIGHUP);
    ASSERT_TRUE(d.wait_for_output("reloaded the configuration", 10s)) << d.output();
    EXPECT_FALSE(systemd.await("READY=1", 1s)) << "READY=1 while Redis is down";
    EXPECT_TRUE(refuses_connections(clients));

    redis.start();
    redis.set("sess:s", R"({"userId":1})");
    EXPECT_TRUE(systemd.await("READY=1", 20s)) << d.output();
    sse_stream s{clients, "/events", session};
    EXPECT_EQ(s.status(), 200);
    EXPECT_TRUE(s.next_event_named("connected"));
    d.signal(SIGTERM);
    EXPECT_EQ(d.wait_exit(20s), 0);
}

TEST(systemd_notify, in_cluster_mode_the_clients_port_also_waits_for_the_bus)
{
    redis_server redis;
    redis.set("sess:s", R"({"userId":1})");
    redis.set("sse:events", "not a stream"); // the bus cannot be read from
    notify_listener systemd;
    daemon_process d{daemon_config(redis, "[cluster]\nmode = \"redis\"\n"),
                     {},
                     {{"NOTIFY_SOCKET", systemd.path()}},
                     false};
    ASSERT_TRUE(d.wait_for_output("opens once Redis can be used", 20s)) << d.output();
    EXPECT_TRUE(d.wait_for_output("is not a stream", 10s)) << d.output();
    auto const clients = waiting_clients_port(d);
    ASSERT_NE(clients, 0) << d.output();
    EXPECT_TRUE(refuses_connections(clients));
    EXPECT_FALSE(systemd.await("READY=1", 1s)) << "READY=1 before the bus could be read";

    redis.del("sse:events");
    EXPECT_TRUE(systemd.await("READY=1", 20s)) << d.output();
    sse_stream s{clients, "/events?events=orders", session};
    ASSERT_EQ(s.status(), 200);
    ASSERT_TRUE(s.next_event_named("connected"));
    auto const body = R"({"name":"orders","type":"create","id":1})";
    ASSERT_EQ(post_notify(d.listening_port("notifications"), body).status, 202);
    auto const e = s.next_event();
    ASSERT_TRUE(e);
    EXPECT_EQ(e->data, body);
}

TEST(systemd_notify, after_server_ready_timeout_it_serves_anyway_with_503_until_redis_answers)
{
    redis_server redis;
    redis.stop();
    notify_listener systemd;
    daemon_process d{daemon_config(redis, "[server]\nready_timeout = \"300ms\"\n"),
                     {},
                     {{"NOTIFY_SOCKET", systemd.path()}}};
    EXPECT_TRUE(systemd.await("READY=1", 20s));
    EXPECT_NE(d.output().find("accepting clients anyway"), std::string::npos) << d.output();
    sse_stream refused{d.clients_port(), "/events", session};
    EXPECT_EQ(refused.status(), 503);

    redis.start();
    redis.set("sess:s", R"({"userId":1})");
    EXPECT_TRUE(readyz_becomes(d.notify_port(), 200, 20s));
    sse_stream s{d.clients_port(), "/events", session};
    EXPECT_EQ(s.status(), 200);
}

} // namespace
} // namespace sse_server::test
