#pragma once

#include "sse_server/event/event_id.hpp"
#include "sse_server/log/bus_entry.hpp"
#include "sse_server/redis/redis_client.hpp"
#include "sse_server/redis/redis_reply.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sse_server {

/** What a read of the bus stream learnt about it besides its entries, all without a payload. */
struct stream_facts
{
    bool exists = false;       // the key holds a stream (false: there is no such key)
    bool anchor_found = false; // the anchor entry is still in the stream
    // From XINFO STREAM, read only when the anchor is not found (or none was given):
    std::optional<event_id> last_generated;     // the last id the stream ever gave out
    std::optional<std::uint64_t> entries_added; // entries ever appended (Redis 7)
    std::uint64_t length = 0;
    std::optional<event_id> first; // the oldest entry still there; empty when none is
};

/** One read of the bus stream (SPEC §5), done by a Lua script inside Redis so that nothing
    leaves Redis but what was asked for: the entries after `after` (exclusive) up to `last`,
    at most `max_entries` of them and about `byte_budget` bytes of bodies (at least one entry,
    whatever its size); an entry whose `n` (or `r`) and `a` together are larger than
    `max_body_bytes` comes back as its size only. Whether `anchor` is still in the stream is
    checked in the same step, and when it is not, the stream's counters are read (XINFO STREAM,
    whose entries stay in Redis). Without `after`, only the facts are read. */
struct bus_page_request
{
    std::string key;
    std::optional<event_id> after;
    std::optional<event_id> anchor;
    std::optional<event_id> last; // empty: to the end of the stream
    std::size_t byte_budget = 0;
    std::size_t max_entries = 0;
    std::size_t max_body_bytes = 0;
};

/** The SHA-1 of the page script (hex): the name Redis gives it in its script cache. */
std::string bus_page_digest();

/** The command of a page request: EVALSHA `digest` (the script as Redis cached it), or EVAL
    with the script itself when `digest` is empty; then its arguments. */
std::vector<std::string> bus_page_command(bus_page_request const& request,
                                          std::string const& digest = {});

/** Whether a reply says that Redis does not hold the script (never sent to it, flushed, or a
    restart or failover since). */
bool script_not_cached(redis_reply const& reply);

/** Runs one page request on `redis`: by `digest`, so that a read does not send (nor Redis
    hash) the script each time; when Redis does not hold it, once more with the script itself,
    which caches it. `done` gets the reply. */
void async_bus_page(redis_client& redis, bus_page_request const& request,
                    std::string const& digest, redis_client::callback done);

/** What one read returned. */
struct bus_page
{
    std::optional<std::string> wrong_type; // set: the key holds another type (named)
    stream_facts facts;
    std::vector<bus_page_entry> entries; // in stream order
    bool more = false;                   // stopped at a bound: more entries may follow
};

/** The reply of the page script; empty when it has another shape (an error, a script of
    another version). */
std::optional<bus_page> read_bus_page(redis_reply const& reply);

/** Whether what a stream held after `position` is all still there (SPEC §5, research notes):
    `trimmed` when entries after it may have been removed before they were read, `recreated`
    when the stream is gone or gave out only smaller ids since (deleted, or Redis restarted
    without persistence). `ordinal` is the number of entries ever appended up to `position`,
    when the caller knows it; it tells "trimmed to empty, then appended to" from a loss. */
enum class continuity
{
    intact,
    trimmed,
    recreated,
    rolled_back // (never judged here) entries Redis had acknowledged are gone: a failover
};
continuity judge_continuity(event_id position, stream_facts const& facts,
                            std::optional<std::uint64_t> ordinal);

} // namespace sse_server
