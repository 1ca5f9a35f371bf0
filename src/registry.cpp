#include "sse_server/registry.hpp"

#include <memory>
#include <utility>

namespace sse_server {

registry::registry(std::string account_event) : account_event_(std::move(account_event)) {}

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
    result.event_id = ids_.next().to_string();
    // Our ids never hold CR/LF and "db" is constant, so formatting cannot fail here.
    auto const frame = std::make_shared<std::string const>(
        format_event(result.event_id, "db", n.body).value_or(std::string{}));

    subscriber_set const* by_name = nullptr;
    if (auto it = by_event_.find(n.name); it != by_event_.end()) {
        by_name = &it->second;
        for (auto* s : *by_name)
            s->send(frame);
        result.recipients += by_name->size();
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
        s->send(frame);
        ++result.recipients;
    }
    return result;
}

std::size_t registry::connections_of(std::string const& user_id) const
{
    auto it = by_user_.find(user_id);
    return it == by_user_.end() ? 0 : it->second.size();
}

} // namespace sse_server
