#include "sse_server/log/memory_event_log.hpp"

#include <utility>

namespace sse_server {

namespace {

// The position before this run's first event. Ids of an earlier run are smaller (unless the
// clock went back across the restart), so they are never mistaken for ours.
event_id start_of_run()
{
    return event_id{event_id_generator::now_ms(), 0};
}

} // namespace

memory_event_log::memory_event_log(replay_config const& replay, sink deliver)
    : deliver_(std::move(deliver)), ids_(start_of_run()),
      history_(replay.capacity, replay.max_bytes, replay.max_age, ids_.last())
{
}

std::optional<event_log::append_result>
memory_event_log::append(std::vector<notification> const& items, later<append_result> /*done*/)
{
    append_result result;
    result.ids.reserve(items.size());
    std::size_t recipients = 0;
    auto const now = replay_buffer::clock::now();
    history_.expire(now);
    for (auto const& n : items) {
        replay_buffer::entry e;
        e.id = ids_.next();
        e.name = n.name;
        e.user_id = n.id;
        e.audience = n.audience;
        result.ids.push_back(e.id.to_string());
        // Our ids never hold CR/LF and "db" is constant, so formatting cannot fail here.
        e.frame = std::make_shared<std::string const>(
            format_event(result.ids.back(), "db", n.body).value_or(std::string{}));
        e.at = now;
        recipients += deliver_(e);
        history_.append(std::move(e));
    }
    result.recipients = recipients;
    return result;
}

std::optional<event_log::resume> memory_event_log::resume_point(std::string_view last_event_id,
                                                                later<resume> /*done*/)
{
    expire();
    return resume{history_.resume_point(last_event_id)};
}

std::optional<replay_batch> memory_event_log::read_after(event_id cursor, filter const& wanted,
                                                         std::size_t max_bytes,
                                                         later<replay_batch> /*done*/)
{
    return history_.read_after(cursor, wanted, max_bytes);
}

void memory_event_log::expire()
{
    history_.expire(replay_buffer::clock::now());
}

} // namespace sse_server
