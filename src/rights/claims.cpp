#include "sse_server/rights/claims.hpp"

#include "sse_server/event/notification.hpp"
#include "sse_server/rights/grants.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <optional>

namespace sse_server {

namespace {

using json = nlohmann::json;

/** The value at `pointer`, or null when the pointer is empty, malformed or finds nothing. */
json const* at(json const& value, std::string const& pointer)
{
    if (pointer.empty())
        return nullptr;
    std::optional<json::json_pointer> ptr;
    try { // config validation has checked the pointer already
        ptr.emplace(pointer);
    } catch (json::exception const&) {
        return nullptr;
    }
    if (!value.contains(*ptr))
        return nullptr;
    return &value[*ptr];
}

/** Takes the strings of the array at `pointer` that `usable` accepts, up to `limit`. */
std::vector<std::string> strings_at(json const& value, std::string const& pointer,
                                    char const* what, std::size_t limit,
                                    std::function<bool(std::string const&)> const& usable,
                                    std::vector<std::string>& problems)
{
    std::vector<std::string> out;
    auto const* found = at(value, pointer);
    if (!found)
        return out;
    bool const all_strings =
        found->is_array() &&
        std::all_of(found->begin(), found->end(), [](json const& v) { return v.is_string(); });
    if (!all_strings) {
        problems.push_back(std::string(what) + " at \"" + pointer +
                           "\" is not an array of strings: none used");
        return out;
    }
    bool dropped = false;
    for (auto const& item : *found) {
        auto const& text = item.get_ref<std::string const&>();
        if (!usable(text)) {
            dropped = true;
            continue;
        }
        if (out.size() == limit) {
            problems.push_back(std::string(what) + ": more than " + std::to_string(limit) +
                               "; the first " + std::to_string(limit) + " are used");
            break;
        }
        out.push_back(text);
    }
    if (dropped)
        problems.push_back(std::string(what) + ": malformed entries ignored");
    return out;
}

} // namespace

claims claims_in(json const& value, std::string const& grants_pointer,
                 std::string const& groups_pointer)
{
    claims out;
    out.grants = strings_at(value, grants_pointer, "grants", claims::max_grants,
                            [](std::string const& p) { return is_valid_grant_pattern(p); },
                            out.problems);
    out.groups = strings_at(value, groups_pointer, "groups", claims::max_groups,
                            [](std::string const& g) { return is_valid_event_name(g); },
                            out.problems);
    return out;
}

} // namespace sse_server
