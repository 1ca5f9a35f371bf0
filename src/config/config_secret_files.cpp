#include "sse_server/config/config_secret_files.hpp"

#include <algorithm>
#include <cerrno>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

// Configuration values read from a file of their own: the file's whole text, bounded, and its
// lines; a message may show the path, never what the file holds.

namespace sse_server {

namespace {

bool is_visible_ascii(char c)
{
    return c > ' ' && c < '\x7f';
}

// Closes the descriptor however the reading ends (a refusal throws).
class open_file
{
public:
    explicit open_file(int fd) : fd_(fd) {}
    ~open_file()
    {
        if (fd_ >= 0)
            ::close(fd_);
    }
    open_file(open_file const&) = delete;
    open_file& operator=(open_file const&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

std::string_view kind_of(mode_t mode)
{
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a file";
}

std::string mode_text(mode_t mode)
{
    auto const bits = static_cast<unsigned>(mode & 0777U);
    return {char('0' + ((bits >> 6U) & 7U)), char('0' + ((bits >> 3U) & 7U)),
            char('0' + (bits & 7U))};
}

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
constexpr int open_flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;

/** The status of `file`, opened from `path`; fails `value` unless it is a regular file.
    `ending` closes the "not a regular file (<kind>" message. */
struct stat regular_file_status(setting const& value, std::string const& path,
                                open_file const& file, std::string_view ending)
{
    struct stat status{};
    if (file.get() < 0 || ::fstat(file.get(), &status) != 0)
        value.fail("cannot read " + in_quotes(path) + ": " +
                   std::generic_category().message(errno));
    if (!S_ISREG(status.st_mode))
        value.fail(in_quotes(path) + " is not a regular file (" +
                   std::string(kind_of(status.st_mode)) + std::string(ending));
    return status;
}

} // namespace

// A secret kept in a file of its own (Docker secrets, systemd credentials): the whole file, up
// to 64 KiB. Only a regular file is read: a FIFO or a terminal would block the reading thread
// (at a reload, the event loop) until someone writes to it, and a device such as /dev/zero
// never ends. The path may be shown in a message, never what the file holds.
std::string file_text_in(config& c, setting const& value, bool secret)
{
    constexpr std::size_t max_size = std::size_t{64} * 1024;
    auto const path = value.text();
    open_file const file{::open(path.c_str(), open_flags)};
    auto const status = regular_file_status(value, path, file, "): a secret is read from a file");
    if (static_cast<std::uint64_t>(status.st_size) > max_size)
        value.fail(in_quotes(path) + " is larger than 64 KiB: not a secret file");
    std::string text(max_size + 1, '\0');
    std::size_t size = 0;
    while (size < text.size()) {
        auto const n = ::read(file.get(), text.data() + size, text.size() - size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            value.fail("cannot read " + in_quotes(path) + ": " +
                       std::generic_category().message(errno));
        if (n == 0)
            break;
        size += static_cast<std::size_t>(n);
    }
    if (size > max_size) // grown since fstat
        value.fail(in_quotes(path) + " is larger than 64 KiB: not a secret file");
    text.resize(size);
    if (secret && (status.st_mode & (S_IRGRP | S_IROTH)) != 0)
        c.warnings.push_back(value.about(in_quotes(path) + " may be read by other users (mode " +
                                         mode_text(status.st_mode) +
                                         "); let only the daemon's user read it (chmod 600)"));
    return text;
}

namespace {

std::string secret_file_in(config& c, setting const& value)
{
    return file_text_in(c, value, true);
}

// One secret per line; blank lines and line ends do not count.
std::vector<std::string> lines_of(std::string const& text)
{
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        auto line = text.substr(start, end - start);
        if (line.ends_with('\r'))
            line.pop_back();
        if (!line.empty())
            lines.push_back(std::move(line));
        start = end + 1;
    }
    return lines;
}

} // namespace

void token_file_in(config& c, setting const& value)
{
    if (value.text().empty())
        return;
    if (!c.notify.token.empty())
        value.fail("set notify.token or notify.token_file, not both");
    auto const lines = lines_of(secret_file_in(c, value));
    if (lines.size() != 1)
        value.fail(in_quotes(value.text()) + " must hold the token on one line (value not shown)");
    if (!std::all_of(lines.front().begin(), lines.front().end(), is_visible_ascii))
        value.fail("the token in " + in_quotes(value.text()) +
                   " must hold only visible ASCII characters, no spaces (value not shown)");
    c.notify.token = lines.front();
    c.notify.token_file = value.text();
}

void secrets_file_in(config& c, setting const& value)
{
    if (value.text().empty())
        return;
    if (!c.auth.session.secrets.empty())
        value.fail("set auth.session.secrets or auth.session.secrets_file, not both");
    auto secrets = lines_of(secret_file_in(c, value));
    if (secrets.empty())
        value.fail(in_quotes(value.text()) + " holds no secret (one per line)");
    c.auth.session.secrets = std::move(secrets);
    c.auth.session.secrets_file = value.text();
}

std::string readable_file_in(setting const& value)
{
    auto const path = value.text();
    if (path.empty())
        return path;
    open_file const file{::open(path.c_str(), open_flags)};
    regular_file_status(value, path, file, ")");
    return path;
}

void tls_key_file_in(config& c, setting const& value)
{
    if (value.text().empty())
        return;
    // Read now as a secret is: the checks (a regular file, not too large) and the warning when
    // other users may read it.
    (void)secret_file_in(c, value);
    c.redis.tls.key_file = value.text();
}

void password_file_in(config& c, setting const& value)
{
    if (value.text().empty())
        return;
    if (!c.redis.url.password.empty())
        value.fail("set the password in redis.url or in redis.password_file, not both");
    auto const lines = lines_of(secret_file_in(c, value));
    if (lines.size() != 1)
        value.fail(in_quotes(value.text()) +
                   " must hold the password on one line (value not shown)");
    c.redis.url.password = lines.front();
    c.redis.password_file = value.text();
}

} // namespace sse_server
