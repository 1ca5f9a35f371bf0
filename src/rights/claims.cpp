#include "sse_server/rights/claims.hpp"

#include "sse_server/event/notification.hpp"
#include "sse_server/rights/grants.hpp"

#include <cstddef>
#include <iterator>
#include <utility>

namespace sse_server {

namespace {

/** Takes the strings of the array `found` at `pointer` that `usable` accepts, up to `limit`. */
std::vector<std::string> strings_at(json_pick found, std::string const& pointer,
                                    char const* what, std::size_t limit,
                                    bool (*usable)(std::string_view),
                                    std::vector<std::string>& problems)
{
    if (pointer.empty() || found.type == json_pick::kind::missing)
        return {};
    if (found.type != json_pick::kind::strings) {
        problems.push_back(std::string(what) + " at \"" + pointer +
                           "\" is not an array of strings: none used");
        return {};
    }
    // The usable ones are moved to the front, then into a vector of their size: a stream keeps
    // its groups for its lifetime, with no spare capacity.
    auto& items = found.items;
    std::size_t kept = 0;
    bool dropped = false;
    for (auto& text : items) {
        if (!usable(text)) {
            dropped = true;
            continue;
        }
        if (kept == limit) {
            problems.push_back(std::string(what) + ": more than " + std::to_string(limit) +
                               "; the first " + std::to_string(limit) + " are used");
            break;
        }
        if (&items[kept] != &text)
            items[kept] = std::move(text);
        ++kept;
    }
    if (dropped)
        problems.push_back(std::string(what) + ": malformed entries ignored");
    auto const first = std::make_move_iterator(items.begin());
    return std::vector<std::string>(first, first + static_cast<std::ptrdiff_t>(kept));
}

} // namespace

claims claims_from(json_pick grants, std::string const& grants_pointer, json_pick groups,
                   std::string const& groups_pointer)
{
    claims out;
    out.grants = strings_at(std::move(grants), grants_pointer, "grants", claims::max_grants,
                            is_valid_grant_pattern, out.problems);
    out.groups = strings_at(std::move(groups), groups_pointer, "groups", claims::max_groups,
                            is_valid_event_name, out.problems);
    return out;
}

claims claims_in(std::string_view text, std::string const& grants_pointer,
                 std::string const& groups_pointer)
{
    std::string const pointers[] = {grants_pointer, groups_pointer};
    auto found = pick_json(text, pointers);
    if (!found)
        return {};
    return claims_from(std::move((*found)[0]), grants_pointer, std::move((*found)[1]),
                       groups_pointer);
}

} // namespace sse_server
