#include "sse_server/rights/grants.hpp"

namespace sse_server {

namespace {

constexpr std::string_view user_token = "{user}";
constexpr std::string_view group_token = "{group}";
constexpr std::size_t max_pattern_length = 256;

bool is_name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == ':' || c == '-';
}

/** Matches the rest of a pattern against the rest of a name. At most one `{group}` per
    pattern (is_valid_grant_pattern), so the only branching is over the groups, once. */
bool match(std::string_view pattern, std::string_view name, std::string_view user,
           std::span<std::string const> groups)
{
    while (!pattern.empty()) {
        if (pattern == "*")
            return true;
        if (pattern.starts_with(user_token)) {
            if (!name.starts_with(user))
                return false;
            pattern.remove_prefix(user_token.size());
            name.remove_prefix(user.size());
            continue;
        }
        if (pattern.starts_with(group_token)) {
            pattern.remove_prefix(group_token.size());
            for (auto const& group : groups)
                if (!group.empty() && name.starts_with(group) &&
                    match(pattern, name.substr(group.size()), user, {}))
                    return true;
            return false;
        }
        if (name.empty() || name.front() != pattern.front())
            return false;
        pattern.remove_prefix(1);
        name.remove_prefix(1);
    }
    return name.empty();
}

} // namespace

bool is_valid_grant_pattern(std::string_view pattern)
{
    if (pattern.empty() || pattern.size() > max_pattern_length)
        return false;
    if (pattern.back() == '*')
        pattern.remove_suffix(1);
    int groups = 0;
    while (!pattern.empty()) {
        if (pattern.starts_with(user_token)) {
            pattern.remove_prefix(user_token.size());
        } else if (pattern.starts_with(group_token)) {
            if (++groups > 1)
                return false;
            pattern.remove_prefix(group_token.size());
        } else if (is_name_char(pattern.front())) {
            pattern.remove_prefix(1);
        } else {
            return false;
        }
    }
    return true;
}

bool grants(std::string_view pattern, std::string_view name, std::string_view user,
            std::span<std::string const> groups)
{
    // Matching first: most patterns of a long list fail on their first characters, and a
    // malformed one that matches still grants nothing. match() reads any text safely.
    return match(pattern, name, user, groups) && is_valid_grant_pattern(pattern);
}

std::optional<std::string_view> first_not_granted(std::span<std::string const> names,
                                                  std::span<std::string const> patterns,
                                                  std::span<std::string const> more_patterns,
                                                  std::string_view user,
                                                  std::span<std::string const> groups)
{
    auto granted = [&](std::string_view name) {
        for (auto const& p : patterns)
            if (grants(p, name, user, groups))
                return true;
        for (auto const& p : more_patterns)
            if (grants(p, name, user, groups))
                return true;
        return false;
    };
    for (auto const& name : names)
        if (!granted(name))
            return name;
    return std::nullopt;
}

std::string not_granted_reason(std::string_view name)
{
    return "events: \"" + std::string(name) + "\" is not granted";
}

} // namespace sse_server
