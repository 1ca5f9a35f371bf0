#include "sse_server/registry.hpp"

#include <algorithm>
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

bool registry::receives(subscriber const& s, event const& e) const
{
    auto const& events = s.events();
    return std::find(events.begin(), events.end(), e.name) != events.end() ||
           (e.name == account_event_ && e.user_id == s.user_id());
}

std::size_t registry::deliver(event const& e)
{
    // The indexes hold exactly the subscribers receives() accepts: those of the name, and for
    // the account event those of the user. A test checks the two agree.
    std::size_t recipients = 0;
    subscriber_set const* by_name = nullptr;
    if (auto it = by_event_.find(e.name); it != by_event_.end()) {
        by_name = &it->second;
        for (auto* s : *by_name)
            recipients += s->send(e.frame) ? 1 : 0;
    }
    if (e.name != account_event_)
        return recipients;
    auto it = by_user_.find(e.user_id);
    if (it == by_user_.end())
        return recipients;
    for (auto* s : it->second) {
        // Subscribed to the account event by name too: it already has this one.
        if (by_name && by_name->contains(s))
            continue;
        recipients += s->send(e.frame) ? 1 : 0;
    }
    return recipients;
}

std::size_t registry::connections_of(std::string const& user_id) const
{
    auto it = by_user_.find(user_id);
    auto waiting = reserved_.find(user_id);
    return (it == by_user_.end() ? 0 : it->second.size()) +
           (waiting == reserved_.end() ? 0 : waiting->second);
}

void registry::reserve(std::string const& user_id)
{
    ++reserved_[user_id];
}

void registry::release(std::string const& user_id)
{
    auto it = reserved_.find(user_id);
    if (it != reserved_.end() && --it->second == 0)
        reserved_.erase(it);
}

} // namespace sse_server
