#pragma once

#include "sse_server/event/event_id.hpp"
#include "sse_server/event/notification.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sse_server {

/** An entry of the bus stream as a page read holds it, not validated yet. */
struct bus_page_entry
{
    event_id id;
    std::optional<std::string> n; // empty: no field `n`, or one of `n_bytes` left in Redis
    std::size_t n_bytes = 0;      // the size of its fields `n` (or `r`) and `a` together
    std::optional<std::string> a; // the field `a`: the notification's audience
    std::optional<std::string> r; // the field `r` (no `n`): a revalidation of users
};

/** One entry of the Redis stream that carries the events (SPEC §5, §2.4a), validated: a field
    `n` whose value is what clients get as `data`, with an optional field `a`, its audience
    (compact JSON); or a field `r`, `{"users":[…]}`, whose users' streams every daemon checks
    again at that point of the stream (POST /revalidate in cluster mode). Applications may
    append entries themselves, so every entry is validated like a POST before it is used. */
struct bus_entry
{
    event_id id;
    std::optional<notification> item; // set when the entry is a valid notification
    std::optional<std::vector<std::string>> revalidate; // set when it is a valid revalidation
    std::string_view problem;         // otherwise the kind of fault, for logs and metrics
    std::size_t n_bytes = 0;          // the size of its fields
};

inline constexpr std::string_view oversized_problem = "n larger than notify.max_body_bytes";

/** The notification or revalidation `raw` carries when its fields are valid and at most
    `max_body_bytes` together (exactly as a POST of them would be), else the problem. */
bus_entry check_bus_entry(bus_page_entry const& raw, std::size_t max_body_bytes);

} // namespace sse_server
