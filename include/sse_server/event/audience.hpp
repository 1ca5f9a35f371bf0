#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sse_server {

/** Who a notification is for (SPEC §2.4a): routing, never forwarded. A stream that matches
    §2.4 receives the notification only if its user is in `users` or one of its groups is in
    `groups`; both empty reaches nobody. */
struct audience
{
    std::vector<std::string> users;  // ids as text: 42 and "42" are the same user
    std::vector<std::string> groups; // names of the event-name grammar

    /** For one stream (a replay, an explanation): linear in the lists. Delivery to many
        streams goes through the registry's index instead. */
    bool admits(std::string_view user, std::span<std::string const> user_groups) const;
    /** Compact JSON, as the cluster entry's field `a` carries it. */
    std::string json() const;
    /** The bytes it holds (itself, its lists, their strings): what keeping it costs, counted
        by the replay buffer with the frame. */
    std::size_t footprint() const;
};

/** An audience, or why it is refused: `audience.users[2]: must be a string or an integer`. */
struct audience_result
{
    std::optional<audience> value;
    std::string error;
};

/** Reads the JSON text of an `audience` value: an object with `users` (strings or integers)
    and `groups` (names), either absent; anything else is an error naming where. One pass,
    nothing nested deeper than its two lists is accepted, linear in the text. */
audience_result parse_audience(std::string_view text);

/** A list of users, or why it is refused: `users[2]: must be a string or an integer`. */
struct user_list_result
{
    std::optional<std::vector<std::string>> users;
    std::string error;
};

/** Reads `{"users":[…]}` (strings or integers; absent: none), the body of POST /revalidate and
    the bus field `r` (SPEC §3, §2.4a), as strictly as an audience. */
user_list_result parse_user_list(std::string_view text);

/** `{"users":[…]}`, compact: what parse_user_list() reads back. */
std::string user_list_json(std::span<std::string const> users);

} // namespace sse_server
