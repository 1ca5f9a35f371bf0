#include "sse_server/event/notification.hpp"

#include "sse_server/event/json_text.hpp"
#include "sse_server/event/notification_reader.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

namespace sse_server {

namespace {

constexpr std::size_t max_depth = notification_reader::max_depth;
constexpr std::size_t max_event_name_length = 128;

// Whether brackets outside strings open more than `max_depth` levels anywhere in the text,
// even in a text the parser gave up on before reaching them (`{{{{…`).
bool nested_too_deep(std::string_view text)
{
    std::size_t depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char const c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return true;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return false;
}

} // namespace

bool is_valid_event_name(std::string_view name)
{
    if (name.empty() || name.size() > max_event_name_length)
        return false;
    for (char const c : name) {
        bool const ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

notification_batch parse_notifications(std::string_view body)
{
    std::string scratch;
    if (notification_reader reader; scan_json(body, reader, scratch))
        return std::move(reader).result(body);

    // Invalid, or a shape the scanner leaves alone: start over with nlohmann's parser, so that
    // what is accepted, and what a refusal says, is that parser's (RFC 8259, well-formed
    // UTF-8, nothing after the value). A syntax error anywhere wins over an item error.
    notification_reader reader;
    bool const parsed = nlohmann::json::sax_parse(body.data(), body.data() + body.size(), &reader);
    // Too deep is the first thing said of an over-nested text, valid up to there or not.
    if (reader.too_deep() || (!parsed && nested_too_deep(body)))
        return {{}, "JSON nested deeper than 64 levels"};
    if (!parsed) {
        auto const& reason = reader.syntax_error();
        return {{}, "invalid JSON: " + (reason.empty() ? std::string("unreadable body") : reason)};
    }
    // That parser takes a NUL byte for the end of the text, so `{…}\0<anything>` passes it; a
    // NUL is nowhere valid in JSON, and what follows it would be forwarded.
    if (auto const nul = body.find('\0'); nul != std::string_view::npos)
        return {{},
                "invalid JSON: syntax error while parsing value - unexpected NUL byte at byte " +
                    std::to_string(nul + 1)};
    return std::move(reader).result(body);
}

} // namespace sse_server
