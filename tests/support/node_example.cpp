#include "support/node_example.hpp"

#include "support/shell_command.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

namespace sse_server::test {

namespace fs = std::filesystem;

namespace {

/** An exclusive lock on a file, held while it lives: tests run in parallel processes and
    install into one directory. */
class file_lock
{
public:
    explicit file_lock(fs::path const& path)
        : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644))
    {
        if (fd_ >= 0)
            ::flock(fd_, LOCK_EX);
    }
    ~file_lock()
    {
        if (fd_ >= 0)
            ::close(fd_); // releases the lock
    }
    file_lock(file_lock const&) = delete;
    file_lock& operator=(file_lock const&) = delete;

private:
    int fd_;
};

} // namespace

std::string file_text(fs::path const& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

node_example prepare_node_example(std::string const& name, fs::path const& work_dir)
{
    node_example out;
    if (run_shell("command -v node && command -v npm").exit_status != 0) {
        out.skip_reason = "node or npm is not installed (scripts/test installs them)";
        return out;
    }
    auto const source = fs::path(SSE_SERVER_SOURCE_DIR) / "docs" / "examples";
    auto const copy = work_dir / "examples";
    out.app_dir = copy / name;
    fs::create_directories(out.app_dir);
    file_lock const lock(copy / ".lock");

    auto const options = fs::copy_options::recursive | fs::copy_options::overwrite_existing;
    fs::copy(source / "notify.mjs", copy / "notify.mjs", options);
    for (auto const& entry : fs::directory_iterator(source / name))
        if (entry.path().filename() != "node_modules")
            fs::copy(entry.path(), out.app_dir / entry.path().filename(), options);

    auto const lock_file = file_text(out.app_dir / "package-lock.json");
    auto const installed_stamp = copy / ("installed-" + name + "-package-lock.json");
    if (fs::exists(out.app_dir / "node_modules") && file_text(installed_stamp) == lock_file)
        return out;
    auto const install = run_shell("cd '" + out.app_dir.string() +
                                   "' && timeout 90 npm ci --no-audit --no-fund --prefer-offline");
    if (install.exit_status != 0) {
        auto const ping = run_shell("timeout 30 npm ping");
        if (ping.exit_status != 0)
            out.skip_reason = "npm cannot reach its registry, so the example's packages cannot "
                              "be installed:\n" +
                              ping.output;
        else
            out.failure = "npm ci failed although the registry answers:\n" + install.output;
        return out;
    }
    std::ofstream(installed_stamp, std::ios::binary | std::ios::trunc) << lock_file;
    return out;
}

std::uint16_t port_printed(std::string const& output)
{
    std::string const marker = "listening on http://127.0.0.1:";
    auto const at = output.find(marker);
    if (at == std::string::npos)
        return 0;
    return static_cast<std::uint16_t>(std::stoi(output.substr(at + marker.size())));
}

} // namespace sse_server::test
