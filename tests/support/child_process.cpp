#include "support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

extern char** environ;

namespace sse_server::test {

std::vector<std::string> environment_with(std::map<std::string, std::string> const& set,
                                          std::string_view drop_prefix)
{
    std::vector<std::string> out;
    for (char** e = environ; *e; ++e) {
        std::string_view const entry = *e;
        auto const name = std::string(entry.substr(0, entry.find('=')));
        if ((drop_prefix.empty() || !name.starts_with(drop_prefix)) && !set.contains(name))
            out.emplace_back(entry);
    }
    for (auto const& [name, value] : set)
        out.push_back(name + "=" + value);
    return out;
}

child_process::child_process(std::vector<std::string> argv_storage,
                             std::vector<std::string> env_storage, unsigned long open_file_limit,
                             process_group group)
    : group_(group)
{
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
        if (group == process_group::own)
            ::setpgid(0, 0);
        if (open_file_limit) {
            rlimit const limit{open_file_limit, open_file_limit};
            ::setrlimit(RLIMIT_NOFILE, &limit);
        }
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    // Both sides set the group, so that it exists whichever runs first.
    if (group == process_group::own)
        ::setpgid(pid_, pid_);
    ::close(pipe_fds[1]);
    reader_ = std::thread([this, fd = pipe_fds[0]] { drain(fd); });
}

child_process::~child_process()
{
    if (!wait_exit(std::chrono::milliseconds(0))) {
        ::kill(group_ == process_group::own ? -pid_ : pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    if (reader_.joinable())
        reader_.join();
}

void child_process::drain(int fd)
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

void child_process::signal(int sig)
{
    ::kill(pid_, sig);
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds timeout)
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

bool child_process::wait_for_output(std::string const& text, std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
        return output_.find(text) != std::string::npos || output_closed_;
    }) && output_.find(text) != std::string::npos;
}

std::string child_process::output() const
{
    std::lock_guard lock(mutex_);
    return output_;
}

} // namespace sse_server::test
