#include "support/shell_command.hpp"

#include <array>
#include <cstdio>
#include <sys/wait.h>

namespace sse_server::test {

command_result run_shell(std::string const& command)
{
    command_result out;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (!pipe)
        return out;
    std::array<char, 4096> chunk{};
    while (auto const n = std::fread(chunk.data(), 1, chunk.size(), pipe))
        out.output.append(chunk.data(), n);
    auto const status = pclose(pipe);
    out.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return out;
}

} // namespace sse_server::test
