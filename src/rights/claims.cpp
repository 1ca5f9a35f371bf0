#include "sse_server/rights/claims.hpp"

#include "sse_server/event/notification.hpp"
#include "sse_server/rights/grants.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

namespace sse_server {

namespace {

// What a list had wrong, noted with it in the pool: the same list always has the same problems.
constexpr std::uint8_t dropped = 1;    // malformed entries
constexpr std::uint8_t past_limit = 2; // more usable entries than the limit

/** The entries of `items` that `usable` accepts, up to `limit`, and what was wrong. */
name_pool::entry usable_entries(std::span<std::string const> items, std::size_t limit,
                                bool (*usable)(std::string_view))
{
    std::vector<std::string> kept;
    kept.reserve(std::min(items.size(), limit)); // kept for a stream's lifetime: no spare room
    std::uint8_t notes = 0;
    for (auto const& text : items) {
        if (!usable(text)) {
            notes |= dropped;
            continue;
        }
        if (kept.size() == limit) {
            notes |= past_limit;
            break;
        }
        kept.push_back(text);
    }
    return {name_list(std::move(kept)), notes};
}

/** The strings of the array `found` at `pointer` that `usable` accepts, up to `limit`.

    Interned: the lists are read through `pool`, by the items as found, so that a list read
    before (another of a tenant's users, the same user's next stream, a revalidation) is
    neither checked nor copied again, and every stream holding it holds the same one. The
    entry is a pure function of the items, and so are the problems said, so nothing changes
    but memory and time. */
name_list strings_at(json_pick const& found, std::string const& pointer, char const* what,
                     std::size_t limit, bool (*usable)(std::string_view), name_pool& pool,
                     std::vector<std::string>& problems)
{
    if (pointer.empty() || found.type == json_pick::kind::missing)
        return {};
    if (found.type != json_pick::kind::strings) {
        problems.push_back(std::string(what) + " at \"" + pointer +
                           "\" is not an array of strings: none used");
        return {};
    }
    auto entry =
        pool.intern(found.items, [&] { return usable_entries(found.items, limit, usable); });
    if (entry.notes & past_limit)
        problems.push_back(std::string(what) + ": more than " + std::to_string(limit) +
                           "; the first " + std::to_string(limit) + " are used");
    if (entry.notes & dropped)
        problems.push_back(std::string(what) + ": malformed entries ignored");
    return std::move(entry.list);
}

} // namespace

claims claims_from(json_pick grants, std::string const& grants_pointer, json_pick groups,
                   std::string const& groups_pointer, claims_pools& pools)
{
    claims out;
    out.grants = strings_at(grants, grants_pointer, "grants", claims::max_grants,
                            is_valid_grant_pattern, pools.grants, out.problems);
    out.groups = strings_at(groups, groups_pointer, "groups", claims::max_groups,
                            is_valid_event_name, pools.groups, out.problems);
    return out;
}

claims claims_in(std::string_view text, std::string const& grants_pointer,
                 std::string const& groups_pointer, claims_pools& pools)
{
    std::string const pointers[] = {grants_pointer, groups_pointer};
    auto found = pick_json(text, pointers);
    if (!found)
        return {};
    return claims_from(std::move((*found)[0]), grants_pointer, std::move((*found)[1]),
                       groups_pointer, pools);
}

} // namespace sse_server
