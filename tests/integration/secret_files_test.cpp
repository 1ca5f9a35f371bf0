// Secret files as the daemon meets them at start and at a reload (SIGHUP, on its event loop):
// only regular files are read, so that a FIFO never freezes the daemon; one that other users
// may read is used, with a warning.
#include "support/daemon_process.hpp"
#include "support/http_client.hpp"
#include "support/redis_server.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace sse_server::test {
namespace {

using clock = std::chrono::steady_clock;

/** A private directory for the test's secret files, removed with the object. */
class secret_dir
{
public:
    secret_dir()
    {
        std::string templ =
            (std::filesystem::temp_directory_path() / "sse-secrets-XXXXXX").string();
        if (!::mkdtemp(templ.data()))
            throw std::runtime_error("mkdtemp failed");
        path_ = templ;
    }
    ~secret_dir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    secret_dir(secret_dir const&) = delete;
    secret_dir& operator=(secret_dir const&) = delete;

    /** A regular file holding `text`, with the permissions `mode`. */
    std::string file(std::string const& name, std::string const& text, mode_t mode = 0600) const
    {
        auto const path = (path_ / name).string();
        std::ofstream(path) << text;
        ::chmod(path.c_str(), mode);
        return path;
    }
    /** A FIFO that nobody writes to: opening it for reading the usual way waits forever. */
    std::string fifo(std::string const& name) const
    {
        auto const path = (path_ / name).string();
        if (::mkfifo(path.c_str(), 0600) != 0)
            throw std::runtime_error("mkfifo failed");
        return path;
    }

private:
    std::filesystem::path path_;
};

std::string with_token_file(redis_server const& redis, std::string const& path)
{
    return daemon_config(redis, "[notify]\ntoken_file = \"" + path + "\"\n");
}

TEST(secret_files, a_fifo_as_the_token_file_stops_the_start_naming_the_key)
{
    redis_server redis;
    secret_dir dir;
    daemon_process d{with_token_file(redis, dir.fifo("token")), {}, {}, false};
    EXPECT_EQ(d.wait_exit(10s), 1) << d.output();
    EXPECT_NE(d.output().find("notify.token_file"), std::string::npos) << d.output();
    EXPECT_NE(d.output().find("not a regular file"), std::string::npos) << d.output();
}

TEST(secret_files, a_fifo_at_reload_is_refused_and_the_daemon_keeps_answering)
{
    redis_server redis;
    secret_dir dir;
    daemon_process d{with_token_file(redis, dir.file("token", "s3cret\n"))};
    std::ofstream(d.config_path(), std::ios::trunc)
        << with_token_file(redis, dir.fifo("token-fifo"));
    d.signal(SIGHUP);
    for (int i = 0; i < 3; ++i) {
        auto const asked = clock::now();
        EXPECT_EQ(http_request(d.notify_port(), "GET", "/healthz", {}, {}, 2s).status, 200);
        EXPECT_LT(clock::now() - asked, 1s);
    }
    EXPECT_TRUE(d.wait_for_output("reload refused", 10s)) << d.output();
    EXPECT_NE(d.output().find("notify.token_file"), std::string::npos) << d.output();
    auto const body = R"({"name":"orders","type":"t","id":1})";
    EXPECT_EQ(post_notify(d.notify_port(), body, {{"Authorization", "Bearer s3cret"}}).status, 202)
        << "the running token stays";
    d.signal(SIGTERM);
    EXPECT_EQ(d.wait_exit(10s), 0) << d.output();
}

TEST(secret_files, a_token_file_other_users_may_read_is_used_with_a_warning)
{
    redis_server redis;
    secret_dir dir;
    auto const path = dir.file("token", "s3cret\n", 0644);
    daemon_process d{with_token_file(redis, path)};
    auto const out = d.output();
    auto const warning = out.find("notify.token_file");
    ASSERT_NE(warning, std::string::npos) << out;
    auto const line = out.substr(out.rfind('\n', warning) + 1,
                                 out.find('\n', warning) - out.rfind('\n', warning) - 1);
    EXPECT_NE(line.find("warn"), std::string::npos) << line;
    EXPECT_NE(line.find(path), std::string::npos) << line;
    EXPECT_EQ(line.find("s3cret"), std::string::npos) << line;
    auto const body = R"({"name":"orders","type":"t","id":1})";
    EXPECT_EQ(post_notify(d.notify_port(), body, {{"Authorization", "Bearer s3cret"}}).status, 202);
}

} // namespace
} // namespace sse_server::test
