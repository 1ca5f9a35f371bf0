#include "sse_server/log/trim_settings.hpp"

#include <algorithm>
#include <charconv>

namespace sse_server {

std::string settings_field(trim_settings const& s)
{
    return "max_len=" + std::to_string(s.max_len) +
           " max_age=" + std::to_string(s.max_age.count()) + "ms";
}

settings_seen read_settings(redis_reply const& hgetall, std::string_view mine,
                            std::uint64_t now_ms)
{
    settings_seen seen;
    if (hgetall.type != redis_reply::kind::array)
        return seen;
    auto const& items = hgetall.elements;
    for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
        auto const& field = items[i].text;
        auto const& value = items[i + 1].text;
        std::uint64_t expires = 0;
        auto const [end, ec] = std::from_chars(value.data(), value.data() + value.size(), expires);
        // A value that is not a time was not written by a daemon: it cannot expire, so it goes.
        if (ec != std::errc{} || end != value.data() + value.size() || expires < now_ms)
            seen.expired.push_back(field);
        else if (field != mine)
            seen.others.push_back(field);
    }
    std::sort(seen.others.begin(), seen.others.end());
    return seen;
}

} // namespace sse_server
