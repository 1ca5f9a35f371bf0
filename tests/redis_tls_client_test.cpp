// redis_client over TLS, a unix socket and an ACL user, against real redis-servers and
// certificates made by the test: what works, and what each refusal says.
#include "sse_server/redis/redis_client.hpp"
#include "support/redis_server.hpp"
#include "support/test_certificates.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sse_server {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using kind = redis_reply::kind;

template <class Done> bool run_until(net::io_context& ioc, Done done, steady::duration limit = 10s)
{
    auto const deadline = steady::now() + limit;
    while (!done() && steady::now() < deadline) {
        if (ioc.stopped())
            ioc.restart();
        ioc.run_for(10ms);
    }
    return done();
}

/** The certificates, made once for every test here (openssl takes a while on a busy machine). */
test::test_certificates const& certificates()
{
    static test::test_certificates const made;
    return made;
}

test::redis_server_options tls_server(bool auth_clients = false)
{
    test::redis_server_options options;
    options.tls_cert_file = certificates().server_cert();
    options.tls_key_file = certificates().server_key();
    options.tls_ca_file = certificates().ca();
    options.tls_auth_clients = auth_clients;
    return options;
}

/** A client of `server` over TLS, trusting the test CA unless told otherwise. */
struct tls_rig
{
    explicit tls_rig(test::redis_server_options options) : server(std::move(options))
    {
        cfg.url.scheme = redis_scheme::tls;
        cfg.url.host = "127.0.0.1";
        cfg.url.port = server.tls_port();
        cfg.tls.ca_file = certificates().ca();
    }

    bool start_connected()
    {
        client = std::make_unique<redis_client>(ioc, cfg, redis_role{"sessions", true});
        client->start();
        return run_until(ioc, [&] { return client->connected(); });
    }

    /** Starts and waits for the first failure; returns last_error(). */
    std::string refusal()
    {
        client = std::make_unique<redis_client>(ioc, cfg);
        client->start();
        run_until(ioc, [&] { return !client->last_error().empty(); });
        EXPECT_FALSE(client->connected());
        return client->last_error();
    }

    redis_reply call(std::vector<std::string> const& args)
    {
        std::optional<redis_reply> result;
        client->async_command(args, [&](redis_reply r) { result = std::move(r); });
        run_until(ioc, [&] { return result.has_value(); });
        return result.value_or(redis_reply{kind::unavailable, "<never completed>", {}});
    }

    test::redis_server server;
    net::io_context ioc;
    redis_config cfg;
    std::unique_ptr<redis_client> client;
};

TEST(redis_tls, commands_pipeline_over_tls_with_the_certificate_and_name_verified)
{
    tls_rig r(tls_server());
    r.server.set("greeting", "hello over tls");
    ASSERT_TRUE(r.start_connected()) << r.client->last_error();

    EXPECT_EQ(r.call({"GET", "greeting"}).text, "hello over tls");
    // Many at once: they leave in one write and their replies come back in order.
    std::vector<std::optional<redis_reply>> replies(200);
    for (std::size_t i = 0; i < replies.size(); ++i)
        r.client->async_command({"ECHO", std::string(i * 50, 'x')},
                                [&replies, i](redis_reply reply) { replies[i] = reply; });
    ASSERT_TRUE(run_until(r.ioc, [&] { return replies.back().has_value(); }));
    for (std::size_t i = 0; i < replies.size(); ++i)
        EXPECT_EQ(replies[i].value().text.size(), i * 50);
}

TEST(redis_tls, the_name_localhost_is_checked_against_the_certificate)
{
    tls_rig r(tls_server());
    r.cfg.url.host = "localhost"; // resolved without blocking; SNI and check by name
    EXPECT_TRUE(r.start_connected()) << r.client->last_error();
}

TEST(redis_tls, a_server_signed_by_another_ca_is_refused_with_the_reason)
{
    tls_rig r(tls_server());
    r.cfg.tls.ca_file = certificates().other_ca();
    // OpenSSL's words for it depend on what the server sends of its chain.
    auto const refusal = r.refusal();
    EXPECT_TRUE(refusal.starts_with("TLS: certificate verify failed (")) << refusal;
    EXPECT_EQ(refusal.find("hostname"), std::string::npos) << refusal;
    EXPECT_EQ(r.call({"PING"}).type, kind::unavailable);
}

TEST(redis_tls, a_certificate_for_another_name_is_refused_with_the_reason)
{
    tls_rig r(tls_server());
    r.cfg.tls.server_name = "redis.example.com";
    EXPECT_EQ(r.refusal(), "TLS: certificate verify failed (hostname mismatch)");
}

TEST(redis_tls, an_expired_certificate_is_refused_with_the_reason)
{
    auto options = tls_server();
    options.tls_cert_file = certificates().expired_cert();
    tls_rig r(options);
    EXPECT_EQ(r.refusal(), "TLS: certificate verify failed (certificate has expired)");
}

TEST(redis_tls, a_server_that_does_not_speak_tls_is_a_timeout_not_a_hang)
{
    tls_rig r(tls_server());
    r.cfg.timeout = 300ms;
    r.cfg.url.port = r.server.port(); // Redis waits for the rest of a "command" that never ends
    EXPECT_EQ(r.refusal(), "timeout");
}

TEST(redis_tls, mutual_tls_connects_with_a_client_certificate_and_not_without)
{
    tls_rig r(tls_server(true));
    // TLS 1.3: the server asks for the certificate after the handshake, so this is its alert.
    auto const without = r.refusal();
    EXPECT_EQ(without, "TLS: tlsv13 alert certificate required (SSL routines)");

    r.cfg.tls.cert_file = certificates().client_cert();
    r.cfg.tls.key_file = certificates().client_key();
    ASSERT_TRUE(r.start_connected()) << r.client->last_error();
    EXPECT_EQ(r.call({"PING"}).text, "PONG");
}

TEST(redis_tls, a_ca_file_that_cannot_be_loaded_is_the_reason)
{
    tls_rig r(tls_server());
    r.cfg.tls.ca_file = "/nonexistent/ca.pem"; // the config refuses it; a file gone since
    EXPECT_TRUE(r.refusal().starts_with("TLS: cannot load /nonexistent/ca.pem ("))
        << r.client->last_error();
}

TEST(redis_tls, a_restarted_server_is_reconnected_to)
{
    tls_rig r(tls_server());
    ASSERT_TRUE(r.start_connected());
    r.server.stop();
    ASSERT_TRUE(run_until(r.ioc, [&] { return !r.client->connected(); }));
    r.server.start();
    ASSERT_TRUE(run_until(r.ioc, [&] { return r.client->connected(); }));
    EXPECT_EQ(r.call({"PING"}).text, "PONG");
}

TEST(redis_unix_socket, commands_and_the_database_go_over_a_unix_socket)
{
    test::redis_server_options options;
    options.unix_socket = true;
    test::redis_server server(options);
    server.set("k", "in db 0");
    net::io_context ioc;
    redis_config cfg;
    cfg.url = parse_redis_url("unix://" + server.unix_path().string() + "?db=3").value();
    redis_client client(ioc, cfg);
    client.start();
    ASSERT_TRUE(run_until(ioc, [&] { return client.connected(); })) << client.last_error();

    std::optional<redis_reply> set, get;
    client.async_command({"SET", "k", "in db 3"}, [&](redis_reply reply) { set = reply; });
    client.async_get("k", [&](redis_reply reply) { get = reply; });
    ASSERT_TRUE(run_until(ioc, [&] { return get.has_value(); }));
    EXPECT_EQ(set.value().text, "OK");
    EXPECT_EQ(get.value().text, "in db 3");
    EXPECT_EQ(server.command({"GET", "k"}), "in db 0");
}

TEST(redis_unix_socket, a_missing_socket_is_the_reason)
{
    net::io_context ioc;
    redis_config cfg;
    cfg.url = parse_redis_url("unix:///nonexistent/redis.sock").value();
    redis_client client(ioc, cfg);
    client.start();
    ASSERT_TRUE(run_until(ioc, [&] { return !client.last_error().empty(); }));
    EXPECT_EQ(client.last_error(), "no such file or directory");
}

TEST(redis_acl, an_acl_user_with_its_password_connects_and_a_wrong_one_is_refused)
{
    test::redis_server server;
    ASSERT_EQ(server.command({"ACL", "SETUSER", "sse", "on", ">right pass", "~*", "&*", "+@all"}),
              "OK");
    server.set("k", "v");
    net::io_context ioc;
    redis_config cfg;
    cfg.url.port = server.port();
    cfg.username = "sse";
    cfg.url.password = "right pass";
    {
        redis_client client(ioc, cfg, redis_role{"bus", true});
        client.start();
        ASSERT_TRUE(run_until(ioc, [&] { return client.connected(); })) << client.last_error();
        std::optional<redis_reply> who;
        client.async_command({"ACL", "WHOAMI"}, [&](redis_reply reply) { who = reply; });
        ASSERT_TRUE(run_until(ioc, [&] { return who.has_value(); }));
        EXPECT_EQ(who.value().text, "sse");
    }
    cfg.url.password = "wrong pass";
    redis_client refused(ioc, cfg);
    refused.start();
    ASSERT_TRUE(run_until(ioc, [&] { return !refused.last_error().empty(); }));
    EXPECT_EQ(refused.last_error(), "authentication failed");
    EXPECT_FALSE(refused.connected());
}

} // namespace
} // namespace sse_server
