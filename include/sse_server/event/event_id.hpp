#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sse_server {

/** The id of one delivered event, `<ms>-<seq>` like a Redis stream id: totally ordered,
    opaque to clients. */
struct event_id
{
    std::uint64_t ms = 0;
    std::uint64_t seq = 0;

    auto operator<=>(event_id const&) const = default;
    std::string to_string() const;
    /** Empty optional unless `text` is exactly `<digits>-<digits>` without overflow. */
    static std::optional<event_id> parse(std::string_view text);
};

/** Hands out increasing ids from the wall clock; if the clock steps back, the last
    millisecond is kept and only the sequence grows. */
class event_id_generator
{
public:
    /** Ids handed out are all greater than `start`. */
    explicit event_id_generator(event_id start = {}) : last_(start) {}

    event_id next(std::uint64_t now_ms);
    event_id next();
    /** The last id handed out (or the start). */
    event_id last() const { return last_; }
    /** The wall clock in milliseconds since the epoch. */
    static std::uint64_t now_ms();

private:
    event_id last_;
};

} // namespace sse_server
