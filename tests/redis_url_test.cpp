// The Redis URL forms of SPEC §6, the keys that go with them, and what reports show of them.
#include "sse_server/config/config.hpp"
#include "sse_server/config/config_report.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

namespace sse_server {
namespace {

std::string refusal(std::string const& text)
{
    try {
        parse_config(text);
    } catch (config_error const& error) {
        return error.what();
    }
    return "<accepted>";
}

/** A file holding `text`, removed with the object. */
class temp_file
{
public:
    explicit temp_file(std::string const& text)
        : path_(std::filesystem::temp_directory_path() /
                ("sse-redis-url-" + std::to_string(::getpid()) + "-" + std::to_string(++count_)))
    {
        std::ofstream(path_, std::ios::binary) << text;
        std::filesystem::permissions(path_, std::filesystem::perms::owner_read |
                                                std::filesystem::perms::owner_write);
    }
    ~temp_file() { std::filesystem::remove(path_); }
    temp_file(temp_file const&) = delete;
    temp_file& operator=(temp_file const&) = delete;
    std::string path() const { return path_.string(); }

private:
    static inline int count_ = 0;
    std::filesystem::path path_;
};

TEST(redis_url_forms, rediss_is_tcp_with_tls)
{
    auto const url = parse_redis_url("rediss://app:p@ss@cache.example.com:6380/2").value();
    EXPECT_EQ(url.scheme, redis_scheme::tls);
    EXPECT_EQ(url.user, "app");
    EXPECT_EQ(url.password, "p@ss");
    EXPECT_EQ(url.host, "cache.example.com");
    EXPECT_EQ(url.port, 6380);
    EXPECT_EQ(url.db, 2);
    EXPECT_EQ(parse_redis_url("rediss://localhost").value().port, 6379);
    EXPECT_EQ(parse_redis_url("redis://localhost").value().scheme, redis_scheme::plain);
}

TEST(redis_url_forms, unix_takes_an_absolute_path_and_a_database)
{
    auto const plain = parse_redis_url("unix:///run/redis/redis.sock").value();
    EXPECT_EQ(plain.scheme, redis_scheme::unix_socket);
    EXPECT_EQ(plain.path, "/run/redis/redis.sock");
    EXPECT_EQ(plain.db, 0);
    EXPECT_EQ(plain.password, "");

    auto const db = parse_redis_url("unix:///tmp/r.sock?db=5").value();
    EXPECT_EQ(db.path, "/tmp/r.sock");
    EXPECT_EQ(db.db, 5);

    auto const auth = parse_redis_url("unix://app:se@cret@/tmp/r.sock?db=1").value();
    EXPECT_EQ(auth.user, "app");
    EXPECT_EQ(auth.password, "se@cret");
    EXPECT_EQ(auth.path, "/tmp/r.sock");
    EXPECT_EQ(auth.db, 1);

    EXPECT_EQ(parse_redis_url("unix://:pw@/tmp/r.sock").value().password, "pw");
}

TEST(redis_url_forms, sentinel_lists_its_sentinels_the_master_and_the_database)
{
    auto const url =
        parse_redis_url("redis+sentinel://app:pw@s1:26379,[::1]:26380,s3/mymaster/4").value();
    EXPECT_EQ(url.scheme, redis_scheme::sentinel);
    ASSERT_EQ(url.sentinels.size(), 3U);
    EXPECT_EQ(url.sentinels[0].host, "s1");
    EXPECT_EQ(url.sentinels[1].host, "::1");
    EXPECT_EQ(url.sentinels[1].port, 26380);
    EXPECT_EQ(url.sentinels[2].port, 26379);
    EXPECT_EQ(url.master, "mymaster");
    EXPECT_EQ(url.db, 4);
    EXPECT_EQ(url.user, "app");
    EXPECT_EQ(url.password, "pw");
    EXPECT_EQ(parse_redis_url("redis+sentinel://s1/m").value().db, 0);
}

TEST(redis_url_forms, malformed_forms_of_each_scheme_are_refused)
{
    for (auto const* text :
         {"rediss://", "rediss://host:0", "rediss://secret@host", "rediss://host/x", "unix://",
          "unix://relative.sock", "unix:///",
          "unix:///tmp/a-path-longer-than-a-unix-socket-address-can-hold-which-is-one-hundred-"
          "and-seven-bytes-including-the-nul.sock", "unix:///tmp/r.sock?db=x", "unix:///tmp/r.sock?db=",
          "unix:///tmp/r.sock?timeout=1", "unix://secret@/tmp/r.sock", "redis+sentinel://",
          "redis+sentinel://s1", "redis+sentinel://s1/", "redis+sentinel://s1,/m",
          "redis+sentinel://s1:0/m", "redis+sentinel://s1/m/x", "redis+sentinel://s1/m a",
          "rediss+sentinel://s1/m", "REDIS://host", "tcp://host:6379"})
        EXPECT_FALSE(parse_redis_url(text).has_value()) << text;
}

TEST(redis_url_forms, each_form_is_written_back_with_the_password_redacted)
{
    for (auto const* text :
         {"redis://app:pw@10.0.0.1:6379/0", "rediss://:pw@[::1]:6380/3",
          "unix://app:pw@/tmp/r.sock?db=2", "redis+sentinel://:pw@s1:26379,s2:26380/main/1"}) {
        auto const url = parse_redis_url(text).value();
        auto const shown = redis_url_text(url);
        EXPECT_EQ(shown.find("pw@"), std::string::npos) << shown;
        EXPECT_NE(shown.find("<redacted>"), std::string::npos) << shown;
        EXPECT_EQ(redis_url_text(url, false), text);
        EXPECT_EQ(redis_location(url).find("pw"), std::string::npos);
    }
    EXPECT_EQ(redis_location(parse_redis_url("redis://:pw@10.0.0.1:6379/0").value()),
              "10.0.0.1:6379");
    EXPECT_EQ(redis_location(parse_redis_url("rediss://:pw@cache:6380/0").value()),
              "rediss://cache:6380");
    EXPECT_EQ(redis_location(parse_redis_url("unix://:pw@/tmp/r.sock").value()),
              "unix:///tmp/r.sock");
}

TEST(redis_url_keys, every_form_is_accepted_for_sessions_and_the_bus)
{
    auto const tls = parse_config("redis.url = \"rediss://:pw@cache:6380/1\"\n");
    EXPECT_EQ(tls.redis.url.scheme, redis_scheme::tls);
    auto const local = parse_config("cluster.redis_url = \"unix:///tmp/bus.sock?db=3\"\n");
    EXPECT_EQ(bus_redis_config(local).url.scheme, redis_scheme::unix_socket);

    auto const sentinel =
        parse_config("redis.url = \"redis+sentinel://:hunter2@s1,s2:26380/main/2\"\n"
                     "cluster.redis_url = \"redis+sentinel://s3/bus\"\n");
    EXPECT_EQ(sentinel.redis.url.scheme, redis_scheme::sentinel);
    EXPECT_EQ(sentinel.redis.url.master, "main");
    EXPECT_EQ(sentinel.redis.url.db, 2);
    EXPECT_EQ(bus_redis_config(sentinel).url.master, "bus");
    // What --check-config prints: the sentinels and the master, never the password.
    auto const shown = effective_config_text(sentinel);
    EXPECT_NE(shown.find(R"(url = "redis+sentinel://:<redacted>@s1:26379,s2:26380/main/2")"),
              std::string::npos)
        << shown;
    EXPECT_NE(shown.find(R"(redis_url = "redis+sentinel://s3:26379/bus/0")"), std::string::npos)
        << shown;
    EXPECT_EQ(shown.find("hunter2"), std::string::npos);

    auto const malformed = refusal("redis.url = \"redis+sentinel://:hunter2@s1:0/main\"\n");
    EXPECT_NE(malformed.find("redis+sentinel://"), std::string::npos) << malformed;
    EXPECT_EQ(malformed.find("hunter2"), std::string::npos);
}

TEST(redis_url_keys, the_tls_files_must_be_readable_at_load)
{
    auto const missing = refusal("redis.tls_ca_file = \"/nonexistent/ca.pem\"\n");
    EXPECT_NE(missing.find("redis.tls_ca_file: cannot read \"/nonexistent/ca.pem\""),
              std::string::npos)
        << missing;
    auto const directory = refusal("redis.tls_cert_file = \"/tmp\"\n");
    EXPECT_NE(directory.find("redis.tls_cert_file: \"/tmp\" is not a regular file"),
              std::string::npos)
        << directory;

    temp_file ca("ca"), cert("cert"), key("key");
    auto const cfg = parse_config("[redis]\nurl = \"rediss://cache\"\ntls_ca_file = \"" +
                                  ca.path() + "\"\ntls_cert_file = \"" + cert.path() +
                                  "\"\ntls_key_file = \"" + key.path() +
                                  "\"\ntls_server_name = \"redis.internal\"\n");
    EXPECT_EQ(cfg.redis.tls.ca_file, ca.path());
    EXPECT_EQ(cfg.redis.tls.cert_file, cert.path());
    EXPECT_EQ(cfg.redis.tls.key_file, key.path());
    EXPECT_EQ(cfg.redis.tls.server_name, "redis.internal");
    EXPECT_EQ(bus_redis_config(cfg).tls.ca_file, ca.path()) << "the bus uses the same TLS keys";
    EXPECT_TRUE(cfg.warnings.empty());
}

TEST(redis_url_keys, a_client_certificate_needs_its_key_and_the_reverse)
{
    temp_file cert("cert"), key("key");
    auto const no_key = refusal("redis.tls_cert_file = \"" + cert.path() + "\"\n");
    EXPECT_NE(no_key.find("redis.tls_cert_file: set redis.tls_cert_file and redis.tls_key_file "
                          "together"),
              std::string::npos)
        << no_key;
    auto const no_cert = refusal("redis.tls_key_file = \"" + key.path() + "\"\n");
    EXPECT_NE(no_cert.find("redis.tls_key_file: set"), std::string::npos) << no_cert;
}

TEST(redis_url_keys, a_key_file_others_may_read_is_a_warning)
{
    temp_file cert("cert"), key("key");
    std::filesystem::permissions(key.path(), std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
    auto const cfg = parse_config("redis.tls_cert_file = \"" + cert.path() +
                                  "\"\nredis.tls_key_file = \"" + key.path() + "\"\n");
    ASSERT_EQ(cfg.warnings.size(), 1U);
    EXPECT_NE(cfg.warnings.front().find("redis.tls_key_file"), std::string::npos);
}

TEST(redis_url_keys, the_server_name_is_a_name_or_an_address)
{
    EXPECT_EQ(parse_config("redis.tls_server_name = \"10.0.0.5\"\n").redis.tls.server_name,
              "10.0.0.5");
    EXPECT_NE(refusal("redis.tls_server_name = \"a b\"\n").find("redis.tls_server_name"),
              std::string::npos);
}

TEST(redis_url_keys, the_username_is_in_the_url_or_its_key_not_both)
{
    auto const cfg =
        parse_config("[redis]\nurl = \"redis://:pw@cache:6379/0\"\nusername = \"sse\"\n");
    EXPECT_EQ(cfg.redis.username, "sse");
    EXPECT_EQ(cfg.redis.url.user, "");
    EXPECT_EQ(bus_redis_config(cfg).username, "sse") << "the bus on redis.url is the same user";
    auto const own_bus = parse_config("[redis]\nurl = \"redis://:pw@cache/0\"\nusername = "
                                      "\"sse\"\n[cluster]\nredis_url = \"redis://bus\"\n");
    EXPECT_EQ(bus_redis_config(own_bus).username, "") << "a bus URL of its own names its own";

    auto const both = refusal(
        "[redis]\nurl = \"redis://app:pw@cache:6379/0\"\nusername = \"sse\"\n");
    EXPECT_NE(both.find("redis.username: set the user in redis.url or in redis.username, not "
                        "both"),
              std::string::npos)
        << both;
    auto const no_password = refusal("redis.username = \"sse\"\n");
    EXPECT_NE(no_password.find("redis.username: needs a password"), std::string::npos)
        << no_password;
    EXPECT_NE(refusal("[redis]\nurl = \"redis://:pw@cache\"\nusername = \"a b\"\n")
                  .find("redis.username"),
              std::string::npos);
}

TEST(redis_url_keys, reports_redact_the_password_of_every_form_and_show_the_tls_keys)
{
    temp_file ca("ca");
    auto const cfg = parse_config("[redis]\nurl = \"unix://:s3cret@/tmp/r.sock?db=2\"\n"
                                  "username = \"sse\"\ntls_ca_file = \"" + ca.path() + "\"\n"
                                  "[cluster]\nredis_url = \"rediss://bus:bu5pass@bus:6380/1\"\n");
    auto const text = effective_config_text(cfg);
    EXPECT_EQ(text.find("s3cret"), std::string::npos) << text;
    EXPECT_EQ(text.find("bu5pass"), std::string::npos) << text;
    EXPECT_NE(text.find("url = \"unix://:<redacted>@/tmp/r.sock?db=2\""), std::string::npos)
        << text;
    EXPECT_NE(text.find("redis_url = \"rediss://bus:<redacted>@bus:6380/1\""), std::string::npos)
        << text;
    EXPECT_NE(text.find("username = \"sse\""), std::string::npos) << text;
    EXPECT_NE(text.find("tls_ca_file = \"" + ca.path() + "\""), std::string::npos) << text;
}

} // namespace
} // namespace sse_server
