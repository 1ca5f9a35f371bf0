#pragma once

#include <string>

namespace sse_server::test {

/** What a shell command printed (stdout and stderr) and how it ended. */
struct command_result
{
    int exit_status = -1; // 128 + signal when a signal ended it; -1 when it could not start
    std::string output;
};

/** Runs `command` with /bin/sh, stderr merged into the output, and waits for it. */
command_result run_shell(std::string const& command);

} // namespace sse_server::test
