#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sse_server {

/** Who may subscribe to what (SPEC §2.4a). A grant pattern is an event name (`orders`), or a
    prefix ending in `*` (`orders:*`; `*` alone grants every name); `{user}` stands for the
    user id and `{group}` for any one of the user's groups (`team:{group}:*`). Patterns come
    from `events.grants` (every user) and from the user's own claims. Pure: no I/O. */

/** Whether a pattern is well formed: name characters, the two placeholders, and `*` only as
    its last character. A malformed pattern of a user's claims grants nothing. */
bool is_valid_grant_pattern(std::string_view pattern);

/** Whether `pattern` grants `name` to `user` with `groups`. Linear in the pattern and the
    name, times the number of groups for each `{group}`; allocates nothing. */
bool grants(std::string_view pattern, std::string_view name, std::string_view user,
            std::span<std::string const> groups);

/** The first of `names` that none of `patterns` (nor `more_patterns`) grants; empty when all
    are granted. */
std::optional<std::string_view> first_not_granted(std::span<std::string const> names,
                                                  std::span<std::string const> patterns,
                                                  std::span<std::string const> more_patterns,
                                                  std::string_view user,
                                                  std::span<std::string const> groups);

/** The 403 reason for a name no pattern grants: `events: "orders:17" is not granted`. */
std::string not_granted_reason(std::string_view name);

} // namespace sse_server
