#include "sse_server/ops/access_log.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <iterator>

namespace sse_server {

namespace {

bool is_control(char c)
{
    return static_cast<unsigned char>(c) < 0x20 || c == '\x7f';
}

void append_pair(std::string& out, std::string_view key, std::string_view value)
{
    out += ' ';
    out += key;
    out += '=';
    append_access_value(value, out);
}

} // namespace

void append_access_value(std::string_view value, std::string& out)
{
    bool const bare = !value.empty() && value.find_first_of(" \"=\\") == std::string_view::npos &&
                      std::none_of(value.begin(), value.end(), is_control);
    if (bare) {
        out += value;
        return;
    }
    out += '"';
    for (char const c : value) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (is_control(c)) {
            fmt::format_to(std::back_inserter(out), "\\x{:02x}", static_cast<unsigned char>(c));
        } else {
            out += c;
        }
    }
    out += '"';
}

std::string access_line(stream_end_entry const& entry)
{
    std::string out{stream_end_kind};
    append_pair(out, "client", entry.client);
    append_pair(out, "user", entry.user);
    append_pair(out, "origin", entry.origin);
    fmt::format_to(std::back_inserter(out), " duration={}.{:03}s events={} bytes={}",
                   entry.duration.count() / 1000, entry.duration.count() % 1000, entry.events,
                   entry.bytes);
    append_pair(out, "reason", entry.reason);
    return out;
}

std::string access_line(stream_refusal_entry const& entry)
{
    std::string out = "access: stream refused";
    append_pair(out, "client", entry.client);
    append_pair(out, "status", entry.status);
    append_pair(out, "reason", entry.reason);
    return out;
}

std::string stream_refusal_kind(std::string_view status)
{
    return "access: stream refused " + std::string(status);
}

} // namespace sse_server
