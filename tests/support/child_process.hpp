#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace sse_server::test {

/** The test's environment less the variables whose names start with `drop_prefix` (when not
    empty), with `set` added or replacing: what a child process is started with. */
std::vector<std::string> environment_with(std::map<std::string, std::string> const& set,
                                          std::string_view drop_prefix = {});

/** Whether a child shares the test's process group or has one of its own, killed whole. */
enum class process_group
{
    shared, // Ctrl-C on the test reaches the child too
    own     // for a program that forks workers (php -S with PHP_CLI_SERVER_WORKERS): killing
            // only the program would leave them running, holding its output open
};

/** A program the test starts (the daemon, an example application), its stdout and stderr
    captured together as it runs. Killed (SIGKILL) in the destructor if still running, with
    its whole process group when it has its own. */
class child_process
{
public:
    /** Starts `argv[0]` (a path) with `argv` and exactly `environment`. A non-zero
        `open_file_limit` caps its descriptors (soft and hard). Throws when it cannot fork. */
    child_process(std::vector<std::string> argv, std::vector<std::string> environment,
                  unsigned long open_file_limit = 0, process_group group = process_group::shared);
    ~child_process();
    child_process(child_process const&) = delete;
    child_process& operator=(child_process const&) = delete;

    void signal(int sig);
    /** The exit code once it exits within `timeout`; empty if it is still running. A death by
        signal is reported as 128 + signal; 127 when the program could not be executed. */
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    /** Waits until the output contains `text`; false at the timeout or when the output ends
        without it. */
    bool wait_for_output(std::string const& text, std::chrono::milliseconds timeout);
    std::string output() const;
    pid_t pid() const { return pid_; }

private:
    void drain(int fd);

    pid_t pid_ = -1;
    process_group group_;
    std::optional<int> exit_code_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::string output_;
    bool output_closed_ = false;
    std::thread reader_;
};

} // namespace sse_server::test
