#include "support/daemon_process.hpp"
#include "support/redis_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

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

    std::vector<std::string> argv_storage{SSE_SERVER_BINARY, "--config", config_path.string()};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    // The test's environment, minus the daemon's own variables and what `env` replaces.
    std::vector<std::string> env_storage;
    for (char** e = environ; *e; ++e) {
        std::string_view const entry = *e;
        auto const name = std::string(entry.substr(0, entry.find('=')));
        if (!name.starts_with("SSE_SERVER_") && !env.contains(name))
            env_storage.emplace_back(entry);
    }
    for (auto const& [name, value] : env)
        env_storage.push_back(name + "=" + value);

    std::vector<char*> argv;
    for (auto& a : argv_storage)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env_storage)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ < 0)
        throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::dup2(pipe_fds[1], STDOUT_FILENO);
        ::dup2(pipe_fds[1], STDERR_FILENO);
        if (open_file_limit) {
            rlimit const limit{open_file_limit, open_file_limit};
            ::setrlimit(RLIMIT_NOFILE, &limit);
        }
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(pipe_fds[1]);
    reader_ = std::thread([this, fd = pipe_fds[0]] { drain(fd); });

    if (!wait_until_ready)
        return;
    auto const deadline = std::chrono::seconds(20);
    // The clients port listens last, once Redis answers; then comes READY=1.
    auto const ready = wait_for_output("listening for clients on", deadline);
    clients_port_ = listening_port("clients");
    notify_port_ = listening_port("notifications");
    if (!ready || !clients_port_ || !notify_port_) {
        // No destructor runs for a constructor that throws: stop the daemon and the reader here.
        auto const text = output();
        ::kill(pid_, SIGKILL);
        wait_exit(std::chrono::seconds(20));
        reader_.join();
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
    if (!wait_exit(std::chrono::milliseconds(0))) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    if (reader_.joinable())
        reader_.join();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

void daemon_process::drain(int fd)
{
    char buf[4096];
    for (;;) {
        auto const n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        std::lock_guard lock(mutex_);
        if (n <= 0) {
            output_closed_ = true;
            changed_.notify_all();
            break;
        }
        output_.append(buf, static_cast<std::size_t>(n));
        changed_.notify_all();
    }
    ::close(fd);
}

void daemon_process::signal(int sig)
{
    ::kill(pid_, sig);
}

std::optional<int> daemon_process::wait_exit(std::chrono::milliseconds timeout)
{
    if (exit_code_)
        return exit_code_;
    // The child's exit closes its end of the output pipe: wait for that, not for a clock.
    // Once it is closed, the whole output has been read too.
    {
        std::unique_lock lock(mutex_);
        if (!changed_.wait_for(lock, timeout, [&] { return output_closed_; }))
            return std::nullopt;
    }
    int status = 0;
    if (::waitpid(pid_, &status, 0) != pid_)
        return std::nullopt;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
}

bool daemon_process::wait_for_output(std::string const& text, std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
        return output_.find(text) != std::string::npos || output_closed_;
    }) && output_.find(text) != std::string::npos;
}

std::string daemon_process::output() const
{
    std::lock_guard lock(mutex_);
    return output_;
}

long daemon_process::rss_kib() const
{
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stol(line.substr(6));
    return -1;
}

} // namespace sse_server::test
