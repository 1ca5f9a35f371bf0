#include "sse_server/event/event_id.hpp"

#include <charconv>
#include <chrono>

namespace sse_server {

std::string event_id::to_string() const
{
    return std::to_string(ms) + '-' + std::to_string(seq);
}

namespace {

std::optional<std::uint64_t> parse_digits(std::string_view text)
{
    std::uint64_t value = 0;
    if (text.empty() || text.size() > 20)
        return std::nullopt;
    auto const* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end)
        return std::nullopt;
    return value;
}

} // namespace

std::optional<event_id> event_id::parse(std::string_view text)
{
    auto const dash = text.find('-');
    if (dash == std::string_view::npos)
        return std::nullopt;
    auto ms = parse_digits(text.substr(0, dash));
    auto seq = parse_digits(text.substr(dash + 1));
    if (!ms || !seq)
        return std::nullopt;
    return event_id{*ms, *seq};
}

event_id event_id_generator::next(std::uint64_t now_ms)
{
    if (now_ms > last_.ms)
        last_ = event_id{now_ms, 0};
    else
        ++last_.seq;
    return last_;
}

std::uint64_t event_id_generator::now_ms()
{
    using namespace std::chrono;
    auto const now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    return static_cast<std::uint64_t>(now);
}

event_id event_id_generator::next()
{
    return next(now_ms());
}

} // namespace sse_server
