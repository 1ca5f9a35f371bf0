#include "sse_server/http/stream_request.hpp"

#include "sse_server/base/hex.hpp"
#include "sse_server/base/text_split.hpp"
#include "sse_server/event/notification.hpp"

#include <algorithm>

namespace sse_server {

namespace {

// The name goes back to the client and into a log line: keep it short and printable.
std::string quoted_for_error(std::string_view name)
{
    std::string shown(name.substr(0, 64));
    for (auto& c : shown) {
        if (c < 0x20 || c > 0x7e)
            c = '?';
    }
    return '"' + shown + '"';
}

/** Adds the comma-separated names of one `events=` value; the reason on failure. */
std::optional<std::string> add_events(std::string_view value, std::vector<std::string>& events,
                                      std::size_t max_subscriptions)
{
    while (!value.empty()) {
        auto const name = take_until(value, ',');
        if (name.empty())
            continue;
        if (!is_valid_event_name(name))
            return "invalid event name " + quoted_for_error(name);
        if (std::find(events.begin(), events.end(), name) != events.end())
            continue;
        if (events.size() == max_subscriptions)
            return "too many subscriptions (max " + std::to_string(max_subscriptions) + ")";
        events.emplace_back(name);
    }
    return std::nullopt;
}

} // namespace

stream_request_result parse_stream_target(std::string_view target, std::size_t max_subscriptions)
{
    stream_request_result result;
    auto& request = result.request;
    auto query = target;
    request.path = take_until(query, '?');

    while (!query.empty()) {
        auto pair = take_until(query, '&');
        if (pair.empty())
            continue;
        auto const name = percent_decode(take_until(pair, '='));
        auto value = percent_decode(pair);
        if (!name || !value) {
            result.error = "malformed query string";
            return result;
        }
        // Repeated origin, lastEventId or api_key: the first one wins, later ones are ignored.
        if (*name == "events") {
            result.error = add_events(*value, request.events, max_subscriptions);
            if (result.error)
                return result;
        } else if (*name == "origin" && !request.origin) {
            if (!is_valid_origin(*value)) {
                result.error = "invalid origin";
                return result;
            }
            request.origin = std::move(*value);
        } else if (*name == "lastEventId" && !request.last_event_id) {
            request.last_event_id = std::move(*value);
        } else if (*name == "api_key" && !request.api_key) {
            request.api_key = std::move(*value);
        }
    }
    return result;
}

std::optional<std::string> percent_decode(std::string_view text)
{
    std::string decoded;
    decoded.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            decoded += text[i];
            continue;
        }
        if (i + 2 >= text.size())
            return std::nullopt;
        auto const high = hex_digit_value(text[i + 1]);
        auto const low = hex_digit_value(text[i + 2]);
        if (high < 0 || low < 0)
            return std::nullopt;
        decoded += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return decoded;
}

bool is_valid_origin(std::string_view origin)
{
    if (origin.empty() || origin.size() > 64)
        return false;
    return std::all_of(origin.begin(), origin.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    });
}

std::string redact_target(std::string_view target)
{
    auto const query_at = target.find('?');
    if (query_at == std::string_view::npos)
        return std::string(target);
    std::string out(target.substr(0, query_at + 1));
    auto query = target.substr(query_at + 1);
    bool first = true;
    // Every piece between '&' is kept, empty ones too: only api_key values change.
    for (;;) {
        auto const end = query.find('&');
        auto const pair = query.substr(0, end);
        if (!first)
            out += '&';
        first = false;
        auto const name = pair.substr(0, pair.find('='));
        // Compared decoded, so that an encoded name (api%5Fkey) is redacted too.
        if (percent_decode(name).value_or(std::string(name)) == "api_key")
            out.append(name).append("=REDACTED");
        else
            out.append(pair);
        if (end == std::string_view::npos)
            break;
        query.remove_prefix(end + 1);
    }
    return out;
}

} // namespace sse_server
