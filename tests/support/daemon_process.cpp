#include "support/daemon_process.hpp"
#include "support/redis_server.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace sse_server::test {

std::string daemon_config(redis_server const& redis, std::string const& extra)
{
    return "[listen]\nclients = \"127.0.0.1:0\"\nnotify = \"127.0.0.1:0\"\n[redis]\nurl = \"" +
           redis.url() + "\"\n" + extra;
}

namespace {

std::filesystem::path make_temp_dir()
{
    std::string templ = (std::filesystem::temp_directory_path() / "sse-daemon-XXXXXX").string();
    if (!::mkdtemp(templ.data()))
        throw std::runtime_error("mkdtemp failed");
    return templ;
}

} // namespace

daemon_process::daemon_process(std::string const& toml_text, std::vector<std::string> args,
                               std::map<std::string, std::string> env, bool wait_until_ready,
                               unsigned long open_file_limit)
    : dir_(make_temp_dir())
{
    auto const config_path = dir_ / "sse-server.toml";
    std::ofstream(config_path) << toml_text;

    std::vector<std::string> argv{SSE_SERVER_BINARY, "--config", config_path.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    // The test's environment, minus the daemon's own variables and what `env` replaces.
    process_.emplace(std::move(argv), environment_with(env, "SSE_SERVER_"), open_file_limit);

    if (!wait_until_ready)
        return;
    auto const deadline = std::chrono::seconds(20);
    // The clients port listens last, once Redis answers; then comes READY=1.
    auto const ready = wait_for_output("listening for clients on", deadline);
    clients_port_ = listening_port("clients");
    notify_port_ = listening_port("notifications");
    metrics_port_ = listening_port("metrics");
    if (!ready || !clients_port_ || !notify_port_) {
        // No destructor runs for a constructor that throws: stop the daemon and the reader here.
        auto const text = output();
        process_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        throw std::runtime_error("sse-server did not become ready:\n" + text);
    }
}

std::uint16_t daemon_process::listening_port(std::string const& what) const
{
    // "listening for clients on 127.0.0.1:41519": the port ends the line.
    auto const text = output();
    auto const at = text.find("listening for " + what + " on ");
    if (at == std::string::npos)
        return 0;
    auto const end = text.find('\n', at);
    auto const colon = text.rfind(':', end);
    return static_cast<std::uint16_t>(std::stoi(text.substr(colon + 1, end - colon - 1)));
}

daemon_process::~daemon_process()
{
    process_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

long daemon_process::rss_kib() const
{
    std::ifstream status("/proc/" + std::to_string(pid()) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stol(line.substr(6));
    return -1;
}

} // namespace sse_server::test
