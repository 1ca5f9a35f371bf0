#include "sse_server/event/json_member.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <vector>

namespace sse_server {

namespace {

bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/** The position after the string literal that starts at `at` (its opening quote). */
std::size_t skip_string(std::string_view text, std::size_t at)
{
    for (std::size_t i = at + 1; i < text.size(); ++i) {
        if (text[i] == '\\')
            ++i;
        else if (text[i] == '"')
            return i + 1;
    }
    return text.size();
}

/** The position after the value that starts at `at`. */
std::size_t skip_value(std::string_view text, std::size_t at)
{
    std::size_t depth = 0;
    std::size_t i = at;
    while (i < text.size()) {
        char const c = text[i];
        if (c == '"') {
            i = skip_string(text, i);
            if (depth == 0)
                return i;
            continue;
        }
        if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return i; // the end of the enclosing object: a scalar ended before it
            if (--depth == 0)
                return i + 1;
        } else if (depth == 0 && (c == ',' || is_space(c))) {
            return i; // the end of a number, true, false or null
        }
        ++i;
    }
    return i;
}

/** Whether the string literal `literal` (quotes included) decodes to `key`. */
bool names(std::string_view literal, std::string_view key)
{
    auto const inner = literal.substr(1, literal.size() - 2);
    if (inner.find('\\') == std::string_view::npos)
        return inner == key;
    auto const decoded = nlohmann::json::parse(literal, nullptr, false);
    return decoded.is_string() && decoded.get_ref<std::string const&>() == key;
}

struct member
{
    std::size_t lead;  // where the text before its key starts: after `{` or the previous value
    std::size_t start; // its key's opening quote
    std::size_t end;   // after its value
    bool dropped;
};

} // namespace

std::string without_member(std::string_view object, std::string_view key)
{
    std::size_t i = 0;
    while (i < object.size() && object[i] != '{')
        ++i;
    if (i == object.size())
        return std::string(object);
    ++i;
    std::size_t const after_brace = i;

    std::vector<member> members;
    bool any_dropped = false;
    std::size_t lead = after_brace;
    while (i < object.size()) {
        while (i < object.size() && (is_space(object[i]) || object[i] == ','))
            ++i;
        if (i >= object.size() || object[i] != '"')
            break; // the closing brace
        std::size_t const start = i;
        std::size_t const key_end = skip_string(object, i);
        bool const dropped = names(object.substr(start, key_end - start), key);
        i = key_end;
        while (i < object.size() && (is_space(object[i]) || object[i] == ':'))
            ++i;
        i = skip_value(object, i);
        members.push_back({lead, start, i, dropped});
        any_dropped = any_dropped || dropped;
        lead = i;
    }
    if (!any_dropped)
        return std::string(object);

    // The kept members, each with the text that led to it: for the first one kept, the
    // whitespace after `{`; for any other, its own separator (`, ` as it was written).
    std::string out(object.substr(0, after_brace));
    bool first = true;
    for (auto const& m : members) {
        if (m.dropped)
            continue;
        if (first)
            out += object.substr(after_brace, members.front().start - after_brace);
        else
            out += object.substr(m.lead, m.start - m.lead);
        out += object.substr(m.start, m.end - m.start);
        first = false;
    }
    out += object.substr(members.empty() ? after_brace : members.back().end);
    return out;
}

std::optional<std::string_view> member_value(std::string_view object, std::string_view key)
{
    std::size_t i = object.find('{');
    if (i == std::string_view::npos)
        return std::nullopt;
    ++i;
    std::optional<std::string_view> found;
    while (i < object.size()) {
        while (i < object.size() && (is_space(object[i]) || object[i] == ','))
            ++i;
        if (i >= object.size() || object[i] != '"')
            break; // the closing brace
        std::size_t const key_end = skip_string(object, i);
        bool const wanted = names(object.substr(i, key_end - i), key);
        i = key_end;
        while (i < object.size() && (is_space(object[i]) || object[i] == ':'))
            ++i;
        std::size_t const start = i;
        i = skip_value(object, i);
        if (wanted)
            found = object.substr(start, i - start);
    }
    return found;
}

} // namespace sse_server
