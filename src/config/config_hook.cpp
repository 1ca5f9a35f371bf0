#include "sse_server/config/config_hook.hpp"

namespace sse_server {

void hook_url_in(config& c, setting const& value)
{
    auto const text = value.text();
    if (text.empty())
        return;
    if (auto const parsed = parse_hook_url(text)) {
        c.auth.hook.url = text;
        c.auth.hook.where = *parsed;
        return;
    }
    // A user and password are not echoed: the message ends up in logs.
    value.fail(
        R"(expected http://host[:port]/path (or https://), e.g. "http://127.0.0.1:3000/sse/auth" )"
        "(no user or password in it), got " +
        (text.find('@') == std::string::npos ? in_quotes(text)
                                             : std::string("a URL with user info")));
}

void hook_max_inflight_in(config& c, setting const& value)
{
    auto const count = value.count(1);
    if (count > max_hook_inflight)
        value.fail("at most " + std::to_string(max_hook_inflight) +
                   " (each request to the hook holds a connection), got " + std::to_string(count));
    c.auth.hook.max_inflight = count;
}

} // namespace sse_server
