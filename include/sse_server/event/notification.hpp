#pragma once

#include "sse_server/event/audience.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sse_server {

/** One database change reported by the API, validated and ready to route.

    `body` is what clients receive as `event.data`: the request body byte-for-byte for a single
    object, compact JSON for an item of a batch (keys in their original order, a repeated key
    as often as it was sent, numbers as written); without `audience` in either case, which is
    routing (SPEC §2.4a), read into `audience`. */
struct notification
{
    std::string name; // the event name (SPEC §2.1 grammar)
    std::string id;   // `id` as a string: 42 and "42" both give "42"
    std::string body;
    std::shared_ptr<sse_server::audience const> audience; // who it is for; null: everyone
};

/** What POST /notify carried: the items, or why nothing is accepted. */
struct notification_batch
{
    std::vector<notification> items;
    std::optional<std::string> error; // e.g. "[2].name: must be a string"; set => items empty
};

/** Validates a POST /notify body: one notification object, or a JSON array of them.
    Never throws; any invalid item rejects the whole body, naming its index. Of a repeated
    key, the last value counts, as with JSON.parse. Costs time linear in the body's size. */
notification_batch parse_notifications(std::string_view body);

/** `[A-Za-z0-9_.:-]{1,128}`: the grammar of event names, shared by both ports. */
bool is_valid_event_name(std::string_view name);

} // namespace sse_server
