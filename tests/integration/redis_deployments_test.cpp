// The daemon on Redis as it is deployed (SPEC §6): TLS with the server verified (sessions, API
// keys, the cluster bus), a unix socket, an ACL user; and what an operator reads when one of
// them is refused.
#include "support/cluster_fixture.hpp"
#include "support/daemon_process.hpp"
#include "support/test_certificates.hpp"

namespace sse_server::test {
namespace {

test_certificates const& certificates()
{
    static test_certificates const made;
    return made;
}

redis_server_options tls_server(std::string password = {})
{
    redis_server_options options;
    options.requirepass = std::move(password);
    options.tls_cert_file = certificates().server_cert();
    options.tls_key_file = certificates().server_key();
    options.tls_ca_file = certificates().ca();
    return options;
}

/** A daemon's config on loopback ports with `redis_section` as its [redis] table. */
std::string config_with(std::string const& redis_section, std::string const& extra = "")
{
    return "[listen]\nclients = \"127.0.0.1:0\"\nnotify = \"127.0.0.1:0\"\n[redis]\n" +
           redis_section + extra;
}

std::string tls_redis(redis_server const& redis, std::string const& credentials = "")
{
    return "url = \"rediss://" + credentials + "localhost:" + std::to_string(redis.tls_port()) +
           "/0\"\ntls_ca_file = \"" + certificates().ca() + "\"\n";
}

std::string account_note(std::string const& user)
{
    return R"({"name":"account","type":"update","id":")" + user + R"("})";
}

TEST(redis_deployments, sessions_and_api_keys_are_read_over_tls)
{
    redis_server redis{tls_server("tls-pass")};
    redis.set("sess:a", R"({"userId":"u1"})");
    redis.set("apikey:k1", "u2");
    daemon_process d{config_with(tls_redis(redis, ":tls-pass@"), "[events]\naccount = \"account\"\n")};

    sse_stream by_session{d.clients_port(), "/events", session("a")};
    sse_stream by_key{d.clients_port(), "/events", {{"X-API-Key", "k1"}}};
    ASSERT_EQ(by_session.status(), 200);
    ASSERT_EQ(by_key.status(), 200);
    ASSERT_TRUE(by_session.next_event_named("connected"));
    ASSERT_TRUE(by_key.next_event_named("connected"));
    ASSERT_EQ(post_notify(d.notify_port(), account_note("u1")).status, 202);
    ASSERT_EQ(post_notify(d.notify_port(), account_note("u2")).status, 202);
    auto const first = by_session.next_event();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->data, account_note("u1"));
    auto const second = by_key.next_event();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->data, account_note("u2"));
    EXPECT_EQ(sse_stream(d.clients_port(), "/events", session("nobody")).status(), 401);

    auto const out = d.output();
    EXPECT_NE(out.find("redis connected to rediss://localhost:" +
                       std::to_string(redis.tls_port()) + " (sessions)"),
              std::string::npos)
        << out;
    EXPECT_EQ(out.find("tls-pass"), std::string::npos) << "never the password";
}

TEST(redis_deployments, the_cluster_bus_runs_over_tls)
{
    redis_server redis{tls_server()};
    redis.set("sess:a", R"({"userId":1})");
    daemon_process d{config_with(tls_redis(redis), "[cluster]\nmode = \"redis\"\n")};
    ASSERT_TRUE(readyz_becomes(d.notify_port(), 200));
    sse_stream s{d.clients_port(), "/events?events=orders", session("a")};
    ASSERT_TRUE(s.next_event_named("connected"));

    auto const posted = post_notify(d.notify_port(), batch_of(0, 20));
    ASSERT_EQ(posted.status, 202) << posted.body;
    auto const ids = ids_of(posted);
    ASSERT_EQ(ids.size(), 20U);
    EXPECT_EQ(ids_in(next_events(s, 20)), ids);
    EXPECT_EQ(redis.command({"XLEN", "sse:events"}), "20") << "the entries are on the bus";
}

TEST(redis_deployments, an_expired_certificate_is_refused_and_the_log_and_readyz_say_so)
{
    auto options = tls_server("tls-pass");
    options.tls_cert_file = certificates().expired_cert();
    redis_server redis{options};
    daemon_process d{config_with(tls_redis(redis, ":tls-pass@"),
                                 "[server]\nready_timeout = \"0s\"\n")};
    auto const location = "rediss://localhost:" + std::to_string(redis.tls_port());
    ASSERT_TRUE(d.wait_for_output("redis " + location + " unavailable for sessions (TLS: "
                                  "certificate verify failed (certificate has expired))",
                                  10s))
        << d.output();
    auto const answer = http_request(d.notify_port(), "GET", "/readyz");
    EXPECT_EQ(answer.status, 503);
    EXPECT_TRUE(d.wait_for_output("not ready (redis unavailable): ", 10s)) << d.output();
    auto const out = d.output();
    auto const line = out.substr(out.find("not ready (redis unavailable): "));
    EXPECT_NE(line.substr(0, line.find('\n')).find("certificate has expired"), std::string::npos)
        << out;
    EXPECT_EQ(out.find("tls-pass"), std::string::npos) << "never the password";
    EXPECT_EQ(sse_stream(d.clients_port(), "/events", session("a")).status(), 503);
}

TEST(redis_deployments, a_wrong_server_name_and_an_unknown_ca_are_each_named_in_the_log)
{
    redis_server redis{tls_server()};
    daemon_process wrong_name{
        config_with(tls_redis(redis) + "tls_server_name = \"redis.example.com\"\n",
                    "[server]\nready_timeout = \"0s\"\n")};
    EXPECT_TRUE(wrong_name.wait_for_output("(TLS: certificate verify failed (hostname mismatch))",
                                           10s))
        << wrong_name.output();

    daemon_process unknown_ca{config_with("url = \"rediss://127.0.0.1:" +
                                              std::to_string(redis.tls_port()) +
                                              "/0\"\ntls_ca_file = \"" +
                                              certificates().other_ca() + "\"\n",
                                          "[server]\nready_timeout = \"0s\"\n")};
    EXPECT_TRUE(unknown_ca.wait_for_output("unavailable for sessions (TLS: certificate verify "
                                           "failed (",
                                           10s))
        << unknown_ca.output();
}

TEST(redis_deployments, mutual_tls_lets_in_the_daemon_with_its_client_certificate)
{
    auto options = tls_server();
    options.tls_auth_clients = true;
    redis_server redis{options};
    redis.set("sess:a", R"({"userId":"u1"})");
    daemon_process d{config_with(tls_redis(redis) + "tls_cert_file = \"" +
                                 certificates().client_cert() + "\"\ntls_key_file = \"" +
                                 certificates().client_key() + "\"\n")};
    sse_stream s{d.clients_port(), "/events", session("a")};
    EXPECT_EQ(s.status(), 200);
}

TEST(redis_deployments, sessions_are_read_over_a_unix_socket)
{
    redis_server_options options;
    options.unix_socket = true;
    redis_server redis{options};
    redis.set("sess:a", R"({"userId":"u1"})");
    daemon_process d{
        config_with("url = \"unix://" + redis.unix_path().string() + "?db=0\"\n",
                    "[events]\naccount = \"account\"\n")};
    sse_stream s{d.clients_port(), "/events", session("a")};
    ASSERT_EQ(s.status(), 200);
    ASSERT_TRUE(s.next_event_named("connected"));
    ASSERT_EQ(post_notify(d.notify_port(), account_note("u1")).status, 202);
    auto const got = s.next_event();
    ASSERT_TRUE(got);
    EXPECT_EQ(got->data, account_note("u1"));
}

TEST(redis_deployments, an_acl_user_authenticates_and_a_wrong_password_is_named_in_the_log)
{
    redis_server redis;
    redis.command({"ACL", "SETUSER", "sse", "on", ">acl-pass", "~*", "&*", "+@all"});
    redis.set("sess:a", R"({"userId":"u1"})");
    auto const url = "url = \"redis://:acl-pass@127.0.0.1:" + std::to_string(redis.port()) +
                     "/0\"\nusername = \"sse\"\n";
    {
        daemon_process d{config_with(url)};
        EXPECT_EQ(sse_stream(d.clients_port(), "/events", session("a")).status(), 200);
    }
    auto const wrong = "url = \"redis://sse:not-the-pass@127.0.0.1:" +
                       std::to_string(redis.port()) + "/0\"\n";
    daemon_process d{config_with(wrong, "[server]\nready_timeout = \"0s\"\n")};
    EXPECT_TRUE(d.wait_for_output("redis AUTH failed (sessions, user sse at 127.0.0.1:" +
                                      std::to_string(redis.port()) + "): WRONGPASS",
                                  10s))
        << d.output();
    EXPECT_TRUE(readyz_becomes(d.notify_port(), 503));
    EXPECT_EQ(d.output().find("not-the-pass"), std::string::npos) << "never the password";
}

} // namespace
} // namespace sse_server::test
