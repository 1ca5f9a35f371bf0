#include "sse_server/event/sse_frame.hpp"

#include <algorithm>
#include <cstddef>

namespace sse_server {

namespace {

constexpr std::string_view id_field = "id: ";
constexpr std::string_view event_field = "event: ";
constexpr std::string_view data_field = "data: ";

/** Calls `f` with each line of `text`, split on CRLF, CR and LF as an SSE parser splits. */
template <class F> void for_each_line(std::string_view text, F&& f)
{
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\r' && text[i] != '\n')
            continue;
        f(text.substr(start, i - start));
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
            ++i;
        start = i + 1;
    }
    f(text.substr(start));
}

} // namespace

bool is_safe_field_value(std::string_view value)
{
    return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::optional<std::string> format_event(std::string_view id, std::string_view event,
                                        std::string_view data)
{
    if (!is_safe_field_value(id) || !is_safe_field_value(event))
        return std::nullopt;

    // One frame is shared by every recipient and may be large: size it exactly so it is
    // built with a single allocation.
    std::size_t size = event_field.size() + event.size() + 1 + 1;
    if (!id.empty())
        size += id_field.size() + id.size() + 1;
    for_each_line(data,
                  [&](std::string_view line) { size += data_field.size() + line.size() + 1; });

    std::string frame;
    frame.reserve(size);
    if (!id.empty()) {
        frame += id_field;
        frame += id;
        frame += '\n';
    }
    frame += event_field;
    frame += event;
    frame += '\n';
    for_each_line(data, [&](std::string_view line) {
        frame += data_field;
        frame += line;
        frame += '\n';
    });
    frame += '\n';
    return frame;
}

std::string format_retry(std::chrono::milliseconds delay)
{
    // A browser ignores a `retry:` value that is not all digits, so never write a minus sign.
    auto const ms = std::max<std::chrono::milliseconds::rep>(delay.count(), 0);
    return "retry: " + std::to_string(ms) + "\n\n";
}

std::string_view heartbeat_comment()
{
    return ":\n\n";
}

std::string format_cursor_heartbeat(event_id cursor)
{
    return "id: " + cursor.to_string() + "\n\n";
}

} // namespace sse_server
