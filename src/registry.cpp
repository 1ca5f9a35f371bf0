#include "sse_server/registry.hpp"

#include <algorithm>
#include <memory>
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

registry::registry(std::string account_event, replay_config const& replay)
    : account_event_(std::move(account_event)), ids_(start_of_run()),
      replay_(replay.capacity, replay.max_bytes, replay.max_age, ids_.last())
{
}

void registry::subscribe(subscriber& s)
{
    for (auto const& name : s.events())
        by_event_[name].insert(&s);
    by_user_[s.user_id()].insert(&s);
    ++size_;
}

namespace {

template <class Map>
void erase_from(Map& map, std::string const& key, subscriber* s)
{
    auto it = map.find(key);
    if (it == map.end())
        return;
    it->second.erase(s);
    // Empty sets go, so that names nobody listens to any more cost nothing.
    if (it->second.empty())
        map.erase(it);
}

} // namespace

void registry::unsubscribe(subscriber& s)
{
    auto it = by_user_.find(s.user_id());
    if (it == by_user_.end() || !it->second.contains(&s))
        return;
    for (auto const& name : s.events())
        erase_from(by_event_, name, &s);
    erase_from(by_user_, s.user_id(), &s);
    --size_;
}

publish_result registry::publish(notification const& n)
{
    publish_result result;
    auto const id = ids_.next();
    result.event_id = id.to_string();
    // Our ids never hold CR/LF and "db" is constant, so formatting cannot fail here.
    auto const frame = std::make_shared<std::string const>(
        format_event(result.event_id, "db", n.body).value_or(std::string{}));
    auto const now = replay_buffer::clock::now();
    replay_.expire(now);
    replay_.append({id, n.name, n.id, frame, now});

    subscriber_set const* by_name = nullptr;
    if (auto it = by_event_.find(n.name); it != by_event_.end()) {
        by_name = &it->second;
        for (auto* s : *by_name)
            result.recipients += s->send(frame) ? 1 : 0;
    }

    if (n.name != account_event_)
        return result;
    auto it = by_user_.find(n.id);
    if (it == by_user_.end())
        return result;
    for (auto* s : it->second) {
        // Subscribed to the account event by name too: it already has this one.
        if (by_name && by_name->contains(s))
            continue;
        result.recipients += s->send(frame) ? 1 : 0;
    }
    return result;
}

std::size_t registry::connections_of(std::string const& user_id) const
{
    auto it = by_user_.find(user_id);
    return it == by_user_.end() ? 0 : it->second.size();
}

std::optional<event_id> registry::resume_point(std::string_view last_event_id)
{
    expire_history();
    return replay_.resume_point(last_event_id);
}

replay_buffer::batch registry::replay_after(event_id cursor, subscriber const& s,
                                            std::size_t max_bytes) const
{
    auto const& events = s.events();
    auto const wanted = [&](replay_buffer::entry const& e) {
        // The same rule as publish(): a subscription, or the account rule.
        return std::find(events.begin(), events.end(), e.name) != events.end() ||
               (e.name == account_event_ && e.user_id == s.user_id());
    };
    return replay_.read_after(cursor, wanted, max_bytes);
}

void registry::expire_history()
{
    replay_.expire(replay_buffer::clock::now());
}

} // namespace sse_server
