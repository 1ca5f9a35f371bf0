#pragma once

#include "sse_server/rights/json_pick.hpp"
#include "sse_server/rights/name_list.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sse_server {

/** What a session (or a JSON API-key value) says a user may do, besides who it is (SPEC §2.4a):
    its own grant patterns and its groups. Read at each authentication and revalidation. */
struct claims
{
    // Both lists are shared with every claims read from an equal list (name_pool): many users
    // have the same groups and patterns, and a stream keeps its groups as long as it lives.
    name_list grants; // well-formed patterns only, at most max_grants
    name_list groups; // names of the event-name grammar, at most max_groups
    // What was wrong with the value, for a log line (once per kind): a member that is not an
    // array of strings (then empty: fail closed), a pattern or group dropped, groups past the
    // limit. Never the value itself.
    std::vector<std::string> problems;
    // Until when the credential holds: a signed token's `exp` (SPEC §2.2a), after which its
    // stream ends. None: a session or an API key, valid until revalidation says otherwise.
    std::optional<std::chrono::system_clock::time_point> valid_until;

    static constexpr std::size_t max_groups = 256;
    static constexpr std::size_t max_grants = 256;
};

/** Where claims' lists are interned, one pool per kind of list: owned by whoever reads claims
    (an authenticator, the hook client), on its thread, and handed to every read. */
struct claims_pools
{
    name_pool grants;
    name_pool groups;
};

/** The claims of a session value, from what pick_json() found at `grants_pointer` and
    `groups_pointer` (`""`: not read; a pointer that finds nothing: none). Pure as far as its
    callers can tell: equal inputs give equal claims. Its lists come from `pools`, so equal
    ones are one list. */
claims claims_from(json_pick grants, std::string const& grants_pointer, json_pick groups,
                   std::string const& groups_pointer, claims_pools& pools);

/** The claims of a JSON text at the two pointers (none when it is not JSON). Pure, as
    claims_from is. */
claims claims_in(std::string_view text, std::string const& grants_pointer,
                 std::string const& groups_pointer, claims_pools& pools);

} // namespace sse_server
