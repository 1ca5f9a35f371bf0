// Spreading clients over several daemons (SPEC §5): daemons that share their ports on one host
// (listen.reuse_port), and streams that end after client.max_lifetime and resume elsewhere.
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace sse_server::test {
namespace {


config on_ports(redis_server const& redis, std::uint16_t clients, std::uint16_t notify,
                bool reuse_port)
{
    auto cfg = test_config(redis);
    cfg.listen.clients.port = clients;
    cfg.listen.notify.port = notify;
    cfg.listen.reuse_port = reuse_port;
    return cfg;
}

std::string note(int id)
{
    return R"({"name":"orders","type":"update","id":)" + std::to_string(id) + "}";
}

TEST(load_spreading, daemons_with_reuse_port_share_both_ports_on_one_host)
{
    redis_server redis;
    redis.set("apikey:k1", "u1");
    std::optional<running_server> first;
    std::uint16_t clients = 0;
    std::uint16_t notify = 0;
    for (int attempt = 0; attempt < 5 && !first; ++attempt) {
        clients = pick_free_port();
        do
            notify = pick_free_port();
        while (notify == clients);
        try {
            first.emplace(on_ports(redis, clients, notify, true));
        } catch (std::runtime_error const&) {
            // Taken by someone else between pick_free_port() and the bind: pick again.
        }
    }
    ASSERT_TRUE(first) << "no pair of free ports";
    ASSERT_EQ(first->clients_port(), clients);
    EXPECT_EQ(http_request(notify, "GET", "/healthz").status, 200);

    // Without SO_REUSEPORT on both sockets, this bind fails: the port is taken.
    running_server second{on_ports(redis, clients, notify, true)};
    EXPECT_EQ(second.clients_port(), clients);
    EXPECT_EQ(second.notify_port(), notify);
    EXPECT_EQ(http_request(notify, "GET", "/healthz").status, 200);

    // The first one gone, the second one alone answers on both ports.
    first.reset();
    EXPECT_EQ(http_request(notify, "GET", "/healthz").status, 200);
    sse_stream s{clients, "/events", {{"X-API-Key", "k1"}}};
    EXPECT_EQ(s.status(), 200);
    EXPECT_TRUE(s.next_event_named("connected"));
}

TEST(load_spreading, without_reuse_port_a_second_daemon_on_the_same_port_fails_naming_it)
{
    redis_server redis;
    running_server first{test_config(redis)}; // port 0: free ports, no race
    auto const clients = first.clients_port();
    try {
        server second{on_ports(redis, clients, first.notify_port(), false)};
        ADD_FAILURE() << "a second server bound port " << clients;
    } catch (std::runtime_error const& error) {
        EXPECT_NE(std::string{error.what()}.find("127.0.0.1:" + std::to_string(clients)),
                  std::string::npos)
            << error.what();
    }
    EXPECT_EQ(http_request(first.notify_port(), "GET", "/healthz").status, 200)
        << "the first one keeps serving";
}

TEST(load_spreading, a_stream_ends_cleanly_after_its_lifetime_and_resumes_without_loss)
{
    redis_server redis;
    redis.set("sess:s42", R"({"userId":42})");
    auto cfg = test_config(redis);
    cfg.client.max_lifetime = 300ms;
    running_server daemon{std::move(cfg)};
    header_list const cookie{{"Cookie", "sid=s42"}};

    sse_stream first{daemon.clients_port(), "/events?events=orders", cookie};
    ASSERT_EQ(first.status(), 200);
    ASSERT_TRUE(first.next_event_named("connected"));
    ASSERT_EQ(post_notify(daemon.notify_port(), note(1)).status, 202);
    // Nobody closes it: it ends by itself, as at a graceful shutdown (last chunk, then FIN).
    ASSERT_TRUE(first.ends_cleanly(5s));
    EXPECT_TRUE(metric_reaches(daemon.notify_port(),
                               R"(sse_server_connections_closed_total{reason="max_lifetime"})", 1));
    // What arrived before the end (event 1, unless the lifetime came first).
    std::vector<std::string> received;
    while (auto e = first.next_event(0ms))
        received.push_back(e->event + " " + e->data);

    // Posted while the client is away; it resumes with the last id it saw.
    ASSERT_EQ(post_notify(daemon.notify_port(), note(2)).status, 202);
    auto headers = cookie;
    headers.emplace_back("Last-Event-ID", first.last_event_id());
    sse_stream again{daemon.clients_port(), "/events?events=orders", headers};
    ASSERT_EQ(again.status(), 200);
    ASSERT_TRUE(again.next_event_named("connected"));
    while (received.size() < 2) {
        auto e = again.next_event(5s);
        ASSERT_TRUE(e) << received.size() << " events";
        received.push_back(e->event + " " + e->data);
    }
    EXPECT_EQ(received, (std::vector<std::string>{"db " + note(1), "db " + note(2)}))
        << "each event exactly once, in order, no resync";
}

} // namespace
} // namespace sse_server::test
