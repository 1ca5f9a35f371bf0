#include "sse_server/config_secret_files.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <system_error>

// Configuration values read from a file of their own: the file's whole text, bounded, and its
// lines; a message may show the path, never what the file holds.

namespace sse_server {

namespace {

bool is_visible_ascii(char c)
{
    return c > ' ' && c < '\x7f';
}

// A secret kept in a file of its own (Docker secrets, systemd credentials): the whole file, up
// to 64 KiB (a path such as /dev/zero must not fill memory). The path may be shown in a
// message, never what the file holds.
std::string secret_file_in(setting const& value)
{
    constexpr std::size_t max_size = std::size_t{64} * 1024;
    auto const path = value.text();
    std::ifstream in{path, std::ios::binary};
    if (!in)
        value.fail("cannot read " + in_quotes(path) + ": " +
                   std::generic_category().message(errno));
    std::string text(max_size + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad())
        value.fail("cannot read " + in_quotes(path));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_size)
        value.fail(in_quotes(path) + " is larger than 64 KiB: not a secret file");
    return text;
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
    auto const lines = lines_of(secret_file_in(value));
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
    auto secrets = lines_of(secret_file_in(value));
    if (secrets.empty())
        value.fail(in_quotes(value.text()) + " holds no secret (one per line)");
    c.auth.session.secrets = std::move(secrets);
    c.auth.session.secrets_file = value.text();
}

void password_file_in(config& c, setting const& value)
{
    if (value.text().empty())
        return;
    if (!c.redis.url.password.empty())
        value.fail("set the password in redis.url or in redis.password_file, not both");
    auto const lines = lines_of(secret_file_in(value));
    if (lines.size() != 1)
        value.fail(in_quotes(value.text()) +
                   " must hold the password on one line (value not shown)");
    c.redis.url.password = lines.front();
    c.redis.password_file = value.text();
}

} // namespace sse_server
