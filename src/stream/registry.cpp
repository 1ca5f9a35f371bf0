#include "sse_server/stream/registry.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace sse_server {

registry::registry(std::string account_event) : account_event_(std::move(account_event)) {}

void registry::subscribe(subscriber& s)
{
    if (!s.slots_.empty())
        return; // subscribed already
    s.slots_.reserve(s.events().size() + 1 + (s.groups().empty() ? 0 : 1));
    for (auto const& name : s.events())
        join(by_event_, name, s);
    s.event_slots_ = static_cast<std::uint32_t>(s.events().size());
    s.first_event_list_ = s.slots_.empty() ? nullptr : s.slots_.front().list;
    join(by_user_, s.user_id(), s);
    join_groups(s);
    ++size_;
}

void registry::unsubscribe(subscriber& s)
{
    if (s.slots_.empty())
        return;
    // The names, user and groups are the ones it subscribed with: they do not change meanwhile.
    auto slot = s.slots_.begin();
    for (auto const& name : s.events())
        leave(by_event_, name, *slot++, s);
    leave(by_user_, s.user_id(), *slot++, s);
    if (slot != s.slots_.end())
        leave_groups(*slot, s);
    s.slots_.clear();
    s.first_event_list_ = nullptr;
    --size_;
}

void registry::join(index& by, std::string const& key, subscriber& s)
{
    auto& list = by[key];
    // Only this call adds to lists now: if `s` is last, it joined under an earlier duplicate.
    if (!list.empty() && list.back() == &s) {
        s.slots_.push_back({});
        return;
    }
    s.slots_.push_back({&list, list.size()});
    list.push_back(&s);
}

void registry::leave(index& by, std::string const& key, subscriber::index_slot slot,
                     subscriber& s)
{
    if (!slot.list)
        return; // a duplicate
    auto& list = *slot.list;
    auto* last = list.back();
    if (last != &s) {
        // The last member takes the place of `s`, and its slot for this list says so.
        list[slot.position] = last;
        for (auto& its : last->slots_)
            if (its.list == &list) {
                its.position = slot.position;
                break;
            }
    }
    list.pop_back();
    // Empty lists go, so that names nobody listens to any more cost nothing.
    if (list.empty())
        by.erase(key);
}

void registry::join_groups(subscriber& s)
{
    auto const& groups = s.groups();
    if (groups.empty())
        return;
    auto [it, fresh] = by_group_list_.try_emplace(groups.identity());
    auto& entry = it->second;
    if (fresh) {
        // The first stream of this list: the list joins its groups' lists, once each.
        entry.groups = groups;
        entry.slots.reserve(groups.size());
        for (auto const& group : groups) {
            auto& lists = by_group_[group];
            // Only this loop adds to them now: if the entry is last, it joined under an
            // earlier duplicate of the group.
            if (!lists.empty() && lists.back() == &entry) {
                entry.slots.emplace_back();
                continue;
            }
            entry.slots.push_back({&lists, lists.size()});
            lists.push_back(&entry);
        }
    }
    s.slots_.push_back({&entry.streams, entry.streams.size()});
    entry.streams.push_back(&s);
}

void registry::leave_groups(subscriber::index_slot slot, subscriber& s)
{
    auto const key = s.groups().identity();
    auto const it = by_group_list_.find(key);
    auto& entry = it->second;
    auto& streams = entry.streams;
    auto* last = streams.back();
    if (last != &s) {
        streams[slot.position] = last;
        // The last slot of a stream with groups is its list's.
        last->slots_.back().position = slot.position;
    }
    streams.pop_back();
    if (!streams.empty())
        return;
    // No stream holds this list any more: it leaves its groups' lists, as a stream leaves.
    for (std::size_t i = 0; i < entry.slots.size(); ++i) {
        auto const [lists, position] = entry.slots[i];
        if (!lists)
            continue; // a duplicate
        auto* moved = lists->back();
        if (moved != &entry) {
            (*lists)[position] = moved;
            for (auto& its : moved->slots)
                if (its.list == lists) {
                    its.position = position;
                    break;
                }
        }
        lists->pop_back();
        if (lists->empty())
            by_group_.erase(entry.groups[i]);
    }
    by_group_list_.erase(it);
}

bool registry::listed(subscriber const& s, member_list const* list)
{
    if (!list)
        return false;
    if (s.first_event_list_ == list)
        return true;
    // Its names' slots come first; the first one's list was just compared.
    auto const names = std::min<std::size_t>(s.event_slots_, s.slots_.size());
    return names > 1 &&
           std::any_of(s.slots_.begin() + 1, s.slots_.begin() + static_cast<std::ptrdiff_t>(names),
                       [&](subscriber::index_slot const& slot) { return slot.list == list; });
}

bool registry::listed_as_user(subscriber const& s, member_list const* list)
{
    // Its user's slot follows its names'.
    return list && s.event_slots_ < s.slots_.size() && s.slots_[s.event_slots_].list == list;
}

namespace {

template <class Map>
auto const* find_list(Map const& map, std::string const& key)
{
    auto it = map.find(key);
    return it == map.end() ? nullptr : &it->second;
}

} // namespace

bool registry::receives(subscriber const& s, event const& e) const
{
    auto const& events = s.events();
    bool const wants = std::find(events.begin(), events.end(), e.name) != events.end() ||
                       (e.name == account_event_ && e.user_id == s.user_id());
    return wants && (!e.audience || e.audience->admits(s.user_id(), s.groups()));
}

std::string_view registry::why_not(subscriber const& s, event const& e) const
{
    auto const& events = s.events();
    bool const subscribed = std::find(events.begin(), events.end(), e.name) != events.end();
    bool const account = e.name == account_event_;
    if (!subscribed && !account)
        return "not subscribed";
    if (!subscribed && e.user_id != s.user_id())
        return "not its account";
    if (e.audience && !e.audience->admits(s.user_id(), s.groups()))
        return "audience";
    return "";
}

std::size_t registry::deliver(event const& e)
{
    // The indexes hold exactly the subscribers receives() accepts: those of the name, and for
    // the account event those of the user. A test checks the two agree.
    auto const* by_name = find_list(by_event_, e.name);
    auto const* by_account = e.name == account_event_ ? find_list(by_user_, e.user_id) : nullptr;
    if (e.audience)
        return deliver_to_audience(e, by_name, by_account);
    std::size_t recipients = 0;
    if (by_name)
        for (auto* s : *by_name)
            recipients += s->send(e.frame) ? 1 : 0;
    if (by_account)
        for (auto* s : *by_account)
            // Subscribed to the account event by name too: it already has this one.
            if (!listed(*s, by_name))
                recipients += s->send(e.frame) ? 1 : 0;
    return recipients;
}

std::size_t registry::deliver_to_audience(event const& e, member_list const* by_name,
                                          member_list const* by_account)
{
    auto const& a = *e.audience;
    audience_lists_.clear();
    std::size_t audience_streams = 0;
    auto found = [&](member_list const* list) {
        if (list) {
            audience_lists_.push_back(list);
            audience_streams += list->size();
        }
    };
    for (auto const& user : a.users)
        found(find_list(by_user_, user));
    for (auto const& group : a.groups)
        if (auto it = by_group_.find(group); it != by_group_.end())
            for (auto const* entry : it->second)
                found(&entry->streams);
    std::size_t const named_streams =
        (by_name ? by_name->size() : 0) + (by_account ? by_account->size() : 0);

    std::size_t recipients = 0;
    if (named_streams <= audience_streams) {
        // Few streams want the name: each is checked against the audience, hashed once.
        std::unordered_set<std::string_view> const users(a.users.begin(), a.users.end());
        std::unordered_set<std::string_view> const groups(a.groups.begin(), a.groups.end());
        auto admitted = [&](subscriber const& s) {
            if (users.contains(s.user_id()))
                return true;
            auto const& mine = s.groups();
            return std::any_of(mine.begin(), mine.end(),
                               [&](std::string const& g) { return groups.contains(g); });
        };
        if (by_name)
            for (auto* s : *by_name)
                if (admitted(*s))
                    recipients += s->send(e.frame) ? 1 : 0;
        if (by_account)
            for (auto* s : *by_account)
                if (!listed(*s, by_name) && admitted(*s))
                    recipients += s->send(e.frame) ? 1 : 0;
        return recipients;
    }
    // A narrow audience among many subscribers: its streams are checked against the name. A
    // stream may be reached through its user and several groups; it gets the frame once.
    auto const mark = ++audience_deliveries_;
    auto offer = [&](subscriber* s) {
        if (s->offered_ == mark)
            return;
        s->offered_ = mark;
        if (listed(*s, by_name) || listed_as_user(*s, by_account))
            recipients += s->send(e.frame) ? 1 : 0;
    };
    for (auto const* list : audience_lists_)
        for (auto* s : *list)
            offer(s);
    return recipients;
}

std::vector<std::string> registry::users() const
{
    std::vector<std::string> users;
    users.reserve(by_user_.size());
    for (auto const& [user, list] : by_user_)
        users.push_back(user);
    return users;
}

std::size_t registry::streams_of(std::string const& user) const
{
    auto it = by_user_.find(user);
    return it == by_user_.end() ? 0 : it->second.size();
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
