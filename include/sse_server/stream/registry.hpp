#pragma once

#include "sse_server/event/event.hpp"
#include "sse_server/rights/name_list.hpp"
#include "sse_server/stream/member_list.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sse_server {

/** What the notification port may show of an open stream (`GET /streams`): facts about it,
    never its credential. */
struct stream_info
{
    std::string origin; // the id announced in `connected`
    std::chrono::steady_clock::time_point opened_at;
    std::size_t unsent_bytes = 0;     // queued, not yet written to the socket
    std::string_view credential_kind; // "session", "api_key" or "jwt": which kind, not which one
};

/** Something the registry hands frames to: a client_stream, or a fake in tests.
    Its user id, subscriptions and groups do not change while it is subscribed (to change its
    groups, a stream unsubscribes, changes them, and subscribes again). */
class subscriber
{
public:
    virtual ~subscriber() = default;
    virtual std::string const& user_id() const = 0;
    virtual std::vector<std::string> const& events() const = 0;
    /** The user's groups (SPEC §2.4a), which an event's audience may name. Streams holding
        the same list (name_list::identity(): claims read from equal lists share one) are
        indexed together. */
    virtual name_list const& groups() const = 0;
    /** Queues the frame, or closes the connection when it cannot keep up. Returns whether
        the frame was queued (not when the stream is ending, catching up or just closed).
        Must not unsubscribe or destroy anything synchronously: the registry may be iterating. */
    virtual bool send(frame_ptr const& frame) = 0;
    /** Checks its credential and claims again (SPEC §2.4a, §2.6): ends the stream when the
        credential is gone or a subscription is no longer granted, else takes the user's groups
        as they are now. `answered`, when set, is called once the check is answered (or at once
        when there is nothing to check), possibly from within the call; not when the daemon
        stops first. */
    virtual void revalidate(std::function<void()> answered) = 0;
    /** Facts about the stream for its operator (SPEC §3), none of them secret. */
    virtual stream_info info() const = 0;

private:
    friend class registry;
    // Where the registry's indexes hold this stream, so that leaving one takes O(1): a slot per
    // name of events(), then its user's, then one for its list of groups unless it has none,
    // in that order. A name listed twice has one slot with no list (the stream is in each list
    // once).
    struct index_slot
    {
        member_list* list = nullptr;
        std::size_t position = 0;
    };
    std::vector<index_slot> slots_; // empty while not subscribed
    // The registry's mark of the last audience delivery that offered it this stream: a stream
    // reached through its user and several groups gets the frame once, with no set to build.
    std::uint64_t offered_ = 0;
    // What an audience delivery asks of every candidate (is it in the name's list?) without a
    // virtual call or a read of slots_, whose array is another cache line: the list of its
    // first name (most streams have one), and how many slots are its names' (last, so that
    // a stream's own first 4 bytes fill the rest of its 8).
    member_list const* first_event_list_ = nullptr;
    std::uint32_t event_slots_ = 0;
};

/** Who listens to what: matches each event to the streams that want it and hands them its
    frame, the same buffer to every one.

    Owned by `server`, shared by both listeners. Single-threaded: every call happens on the
    io_context thread, so plain pointers are safe and nothing is locked. A subscriber
    subscribes once its stream starts and unsubscribes in its destructor. */
class registry
{
public:
    explicit registry(std::string account_event);

    void subscribe(subscriber& s);
    void unsubscribe(subscriber& s);

    /** The one rule of SPEC §2.4 and §2.4a, for live delivery and replay alike: `s` receives
        `e` when it subscribed to `e.name`, or when `e.name` is the account event and
        `e.user_id` is its user; and, when `e` has an audience, its user or one of its groups
        is in it. */
    bool receives(subscriber const& s, event const& e) const;

    /** Why `s` does not receive `e`, for `POST /explain`: "" exactly when receives() is true,
        else "not subscribed", "not its account" (the account event, another user's id) or
        "audience" (it matches §2.4, the audience leaves it out). Not used for delivery:
        receives() stays the rule, and a test checks that the two agree. */
    std::string_view why_not(subscriber const& s, event const& e) const;

    /** Queues `e.frame` to exactly the subscribers that receive() it, once each (found through
        indexes by name, user and group, not by asking every stream); returns how many queued
        it. With an audience, it walks whichever is smaller: the name's subscribers, checked
        against the audience in O(1) each, or the audience's users' and groups' streams,
        checked against the name. */
    std::size_t deliver(event const& e);

    /** Calls `f(subscriber&)` for every subscriber; `f` must not unsubscribe. */
    template <class F>
    void for_each(F&& f)
    {
        for (auto& [user, list] : by_user_)
            for (auto* s : list)
                f(*s);
    }

    /** Calls `f(subscriber&)` for every subscriber of `user`; `f` must not unsubscribe. */
    template <class F>
    void for_each_of(std::string const& user, F&& f)
    {
        auto it = by_user_.find(user);
        if (it != by_user_.end())
            for (auto* s : it->second)
                f(*s);
    }

    /** The users with at least one subscribed stream, in no particular order. */
    std::vector<std::string> users() const;
    /** How many of `user`'s streams are subscribed (not those still waiting to start). */
    std::size_t streams_of(std::string const& user) const;

    std::size_t size() const { return size_; }
    /** The user's streams: subscribed, and admitted but still waiting to start (a resume that
        asks Redis where it continues), so that a crowd of reconnects cannot pass the
        per-user limit while none of them is subscribed yet. */
    std::size_t connections_of(std::string const& user_id) const;
    /** A stream of this user was admitted and will subscribe (or end) later. */
    void reserve(std::string const& user_id);
    /** The reservation ends: the stream subscribed, or ended before it could. */
    void release(std::string const& user_id);

private:
    // The streams of one name or user: a list, not a set, so joining and leaving (each stream
    // leaves by its slot, the last member taking its place) allocate nothing per member,
    // which matters when thousands of streams share a name.
    using index = std::unordered_map<std::string, member_list>;

    // The streams that hold one list of groups, and where that list sits in the lists of its
    // groups. Indexed by the list, not by each group: users of one tenant or role have the
    // same groups, and their claims then share one list (name_pool), so a stream joins one
    // list however many groups it has, and a group's streams are those of the few lists
    // naming it. A list held by no subscribed stream leaves the index.
    struct group_list_streams
    {
        // Where this list sits in by_group_'s list of one of its groups, in the order of its
        // groups; a group listed twice has a slot with no list.
        struct slot
        {
            std::vector<group_list_streams*>* list = nullptr;
            std::size_t position = 0;
        };
        name_list groups; // kept: its identity is this entry's key
        member_list streams;
        std::vector<slot> slots;
    };

    static void join(index& by, std::string const& key, subscriber& s);
    static void leave(index& by, std::string const& key, subscriber::index_slot slot,
                      subscriber& s);
    void join_groups(subscriber& s);
    void leave_groups(subscriber::index_slot slot, subscriber& s);
    /** Whether `s` is in `list`, the list of a name: its slots say, in O(its names). */
    static bool listed(subscriber const& s, member_list const* list);
    /** Whether `s` is in `list`, the list of a user. */
    static bool listed_as_user(subscriber const& s, member_list const* list);
    std::size_t deliver_to_audience(event const& e, member_list const* by_name,
                                    member_list const* by_account);

    std::string account_event_;
    index by_event_;
    index by_user_;
    std::unordered_map<void const*, group_list_streams> by_group_list_; // by identity()
    std::unordered_map<std::string, std::vector<group_list_streams*>> by_group_;
    std::unordered_map<std::string, std::size_t> reserved_; // by user; absent when none
    std::size_t size_ = 0;
    std::uint64_t audience_deliveries_ = 0; // the mark of the latest, in subscriber::offered_
    // The lists an audience names, found once per delivery; kept to reuse its capacity.
    std::vector<member_list const*> audience_lists_;
};

} // namespace sse_server
