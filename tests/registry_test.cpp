#include "sse_server/stream/registry.hpp"

#include "sse_server/config/config.hpp"
#include "sse_server/log/memory_event_log.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>

namespace sse_server {
namespace {

/** A subscriber that records what it was sent. */
class fake_subscriber : public subscriber
{
public:
    fake_subscriber(std::string user, std::vector<std::string> events, name_list groups = {})
        : user_(std::move(user)), events_(std::move(events)), groups_(std::move(groups))
    {
    }
    std::string const& user_id() const override { return user_; }
    std::vector<std::string> const& events() const override { return events_; }
    name_list const& groups() const override { return groups_; }
    bool send(frame_ptr const& frame) override
    {
        frames.push_back(frame);
        return accepts;
    }
    void revalidate(std::function<void()> answered) override
    {
        if (answered)
            answered();
    }
    stream_info info() const override { return {}; }

    std::vector<frame_ptr> frames;
    bool accepts = true; // false: a stream that is ending or catching up drops the frame

private:
    std::string user_;
    std::vector<std::string> events_;
    name_list groups_;
};

/** The registry as the standalone daemon wires it: behind the in-memory event log, which
    gives ids, keeps history and hands every event to the registry. */
class standalone : public registry
{
public:
    standalone(std::string account, replay_config const& replay)
        : registry(std::move(account)),
          log_(replay, [this](event const& e) { return deliver(e); })
    {
    }

    struct published
    {
        std::string event_id;
        std::size_t recipients = 0;
    };
    published publish(notification const& n)
    {
        auto const result = log_.append({n}, nullptr);
        return {result.value().ids.at(0), result->recipients.value()};
    }
    event_id newest() const { return log_.newest(); }
    std::optional<event_id> resume_point(std::string_view id)
    {
        return log_.resume_point(id, nullptr).value().from;
    }
    replay_batch replay_after(event_id cursor, subscriber const& s, std::size_t max_bytes)
    {
        auto const wanted = [&](event const& e) { return receives(s, e); };
        return log_.read_after(cursor, wanted, max_bytes, nullptr).value();
    }

private:
    memory_event_log log_;
};

notification make(std::string name, std::string id)
{
    auto body = R"({"name":")" + name + R"(","type":"update","id":")" + id + R"("})";
    return notification{std::move(name), std::move(id), std::move(body), nullptr};
}

TEST(registry, subscriber_receives_notification_of_its_subscription)
{
    standalone reg{"user", replay_config{}};
    fake_subscriber s{"42", {"orders"}};
    reg.subscribe(s);
    auto const result = reg.publish(make("orders", "1"));
    EXPECT_EQ(result.recipients, 1u);
    ASSERT_EQ(s.frames.size(), 1u);
    EXPECT_NE(s.frames[0]->find("event: db\n"), std::string::npos);
    EXPECT_NE(s.frames[0]->find("id: " + result.event_id + "\n"), std::string::npos);
    EXPECT_NE(s.frames[0]->find(R"(data: {"name":"orders")"), std::string::npos);
}

TEST(registry, account_event_reaches_user_with_no_subscriptions)
{
    standalone reg{"user", replay_config{}};
    fake_subscriber s{"42", {}};
    reg.subscribe(s);
    EXPECT_EQ(reg.publish(make("user", "42")).recipients, 1u);
    EXPECT_EQ(s.frames.size(), 1u);
}

TEST(registry, account_event_of_another_user_reaches_nobody)
{
    standalone reg{"user", replay_config{}};
    fake_subscriber s{"42", {"orders"}};
    reg.subscribe(s);
    EXPECT_EQ(reg.publish(make("user", "43")).recipients, 0u);
    EXPECT_TRUE(s.frames.empty());
}

TEST(registry, account_rule_uses_the_configured_event_name)
{
    standalone reg{"account", replay_config{}};
    fake_subscriber s{"42", {}};
    reg.subscribe(s);
    reg.publish(make("user", "42"));
    EXPECT_TRUE(s.frames.empty());
    reg.publish(make("account", "42"));
    EXPECT_EQ(s.frames.size(), 1u);
}

TEST(registry, subscription_and_account_rule_at_once_deliver_once)
{
    standalone reg{"user", replay_config{}};
    fake_subscriber s{"42", {"user", "orders"}};
    reg.subscribe(s);
    EXPECT_EQ(reg.publish(make("user", "42")).recipients, 1u);
    EXPECT_EQ(s.frames.size(), 1u);
}

TEST(registry, unrelated_names_reach_nobody)
{
    standalone reg{"user", replay_config{}};
    fake_subscriber a{"1", {"orders"}};
    fake_subscriber b{"2", {"invoices"}};
    reg.subscribe(a);
    reg.subscribe(b);
    EXPECT_EQ(reg.publish(make("products", "1")).recipients, 0u);
    reg.publish(make("orders", "1"));
    EXPECT_EQ(a.frames.size(), 1u);
    EXPECT_TRUE(b.frames.empty());
}

TEST(registry, every_target_gets_the_same_frame)
{
    standalone reg{"user", replay_config{}};
    fake_subscriber a{"1", {"orders"}};
    fake_subscriber b{"2", {"orders"}};
    fake_subscriber c{"3", {"user"}};
    reg.subscribe(a);
    reg.subscribe(b);
    reg.subscribe(c);
    reg.publish(make("orders", "9"));
    ASSERT_EQ(a.frames.size(), 1u);
    ASSERT_EQ(b.frames.size(), 1u);
    EXPECT_EQ(a.frames[0].get(), b.frames[0].get()) << "formatted once, shared";
}

TEST(registry, unsubscribed_connection_receives_nothing)
{
    standalone reg{"user", replay_config{}};
    fake_subscriber s{"42", {"orders"}};
    reg.subscribe(s);
    reg.unsubscribe(s);
    EXPECT_EQ(reg.size(), 0u);
    EXPECT_EQ(reg.publish(make("orders", "1")).recipients, 0u);
    EXPECT_EQ(reg.publish(make("user", "42")).recipients, 0u);
    EXPECT_TRUE(s.frames.empty());
    reg.unsubscribe(s); // twice is harmless
    EXPECT_EQ(reg.size(), 0u);
}

TEST(registry, counts_connections_per_user)
{
    standalone reg{"user", replay_config{}};
    fake_subscriber a{"42", {}};
    fake_subscriber b{"42", {"orders"}};
    fake_subscriber c{"7", {}};
    reg.subscribe(a);
    reg.subscribe(b);
    reg.subscribe(c);
    EXPECT_EQ(reg.size(), 3u);
    EXPECT_EQ(reg.connections_of("42"), 2u);
    EXPECT_EQ(reg.connections_of("8"), 0u);
    reg.unsubscribe(a);
    EXPECT_EQ(reg.connections_of("42"), 1u);
}

TEST(registry, a_stream_admitted_but_not_yet_subscribed_counts_toward_its_users_connections)
{
    standalone reg{"user", replay_config{}};
    fake_subscriber a{"42", {}};
    reg.reserve("42");
    reg.reserve("42");
    EXPECT_EQ(reg.connections_of("42"), 2u) << "two resumes waiting for Redis";
    EXPECT_EQ(reg.connections_of("7"), 0u);
    EXPECT_EQ(reg.size(), 0u) << "nobody receives anything yet";
    // One starts (its reservation becomes a subscription), the other ends before it could.
    reg.release("42");
    reg.subscribe(a);
    EXPECT_EQ(reg.connections_of("42"), 2u);
    reg.release("42");
    EXPECT_EQ(reg.connections_of("42"), 1u);
    reg.release("42"); // nothing left to release: no wrap-around
    EXPECT_EQ(reg.connections_of("42"), 1u);
}

TEST(registry, ids_increase_across_publishes)
{
    standalone reg{"user", replay_config{}};
    auto const first = event_id::parse(reg.publish(make("a", "1")).event_id);
    auto const second = event_id::parse(reg.publish(make("a", "1")).event_id);
    ASSERT_TRUE(first && second);
    EXPECT_LT(*first, *second);
}

TEST(registry, for_each_visits_every_subscriber_once)
{
    standalone reg{"user", replay_config{}};
    fake_subscriber a{"1", {"x", "y"}};
    fake_subscriber b{"1", {}};
    reg.subscribe(a);
    reg.subscribe(b);
    int visits = 0;
    reg.for_each([&](subscriber&) { ++visits; });
    EXPECT_EQ(visits, 2);
}

TEST(registry, replay_gives_a_resumed_stream_what_it_would_have_received)
{
    standalone reg{"user", replay_config{}};
    auto const start = reg.newest();
    reg.publish(make("orders", "1"));
    reg.publish(make("invoices", "2"));
    reg.publish(make("user", "42"));
    reg.publish(make("user", "43"));
    fake_subscriber s{"42", {"orders"}};
    auto const resumed = reg.resume_point(start.to_string());
    ASSERT_TRUE(resumed);
    auto const batch = reg.replay_after(*resumed, s, 1 << 20);
    ASSERT_EQ(batch.frames.size(), 2u);
    EXPECT_NE(batch.frames[0]->find(R"("name":"orders")"), std::string::npos);
    EXPECT_NE(batch.frames[1]->find(R"("name":"user","type":"update","id":"42")"),
              std::string::npos);
    EXPECT_TRUE(batch.complete);
    EXPECT_EQ(batch.cursor, reg.newest());
}

TEST(registry, replayed_frames_are_the_ones_sent_live)
{
    standalone reg{"user", replay_config{}};
    fake_subscriber live{"1", {"orders"}};
    reg.subscribe(live);
    auto const start = reg.newest();
    reg.publish(make("orders", "1"));
    auto const batch = reg.replay_after(start, live, 1 << 20);
    ASSERT_EQ(batch.frames.size(), 1u);
    EXPECT_EQ(batch.frames[0].get(), live.frames.at(0).get()) << "no second copy of the body";
}

TEST(registry, ids_of_an_earlier_run_are_unknown)
{
    standalone reg{"user", replay_config{}};
    reg.publish(make("orders", "1"));
    EXPECT_FALSE(reg.resume_point("1000-0")) << "long before this run started";
    EXPECT_FALSE(reg.resume_point("not-an-id"));
    EXPECT_TRUE(reg.resume_point(reg.newest().to_string()));
}

TEST(registry, recipients_count_only_streams_that_queued_the_frame)
{
    standalone r{"user", replay_config{}};
    fake_subscriber live("42", {"orders"});
    fake_subscriber ending("43", {"orders"});
    ending.accepts = false;
    r.subscribe(live);
    r.subscribe(ending);
    EXPECT_EQ(r.publish(make("orders", "1")).recipients, 1u);
    r.unsubscribe(live);
    r.unsubscribe(ending);
}

TEST(registry, replay_keeps_at_most_max_bytes_of_frames)
{
    replay_config bounded;
    bounded.max_bytes = 1;
    standalone reg{"user", bounded};
    auto const start = reg.newest();
    reg.publish(make("orders", "1"));
    EXPECT_FALSE(reg.resume_point(start.to_string())) << "the frame did not fit: a loss";
    EXPECT_TRUE(reg.resume_point(reg.newest().to_string()));
}

std::shared_ptr<audience const> make_audience(std::vector<std::string> users,
                                              std::vector<std::string> groups)
{
    return std::make_shared<audience const>(audience{std::move(users), std::move(groups)});
}

TEST(registry, an_audience_narrows_delivery_to_its_users_and_groups)
{
    registry reg{"user"};
    fake_subscriber alice{"1", {"orders"}, {"acme"}};
    fake_subscriber bob{"2", {"orders"}, {"globex"}};
    fake_subscriber carol{"3", {"orders"}};
    fake_subscriber dave{"4", {"invoices"}, {"acme"}};
    for (auto* s : {&alice, &bob, &carol, &dave})
        reg.subscribe(*s);
    auto const frame = std::make_shared<std::string const>("frame");
    event e{event_id{1, 0}, "orders", "9", frame, make_audience({"3"}, {"acme"})};
    EXPECT_EQ(reg.deliver(e), 2u);
    EXPECT_EQ(alice.frames.size(), 1u) << "by its group";
    EXPECT_EQ(carol.frames.size(), 1u) << "by its user";
    EXPECT_TRUE(bob.frames.empty()) << "neither its user nor its group";
    EXPECT_TRUE(dave.frames.empty()) << "in the audience, but not subscribed to the name";

    event nobody{event_id{1, 1}, "orders", "9", frame, make_audience({}, {})};
    EXPECT_EQ(reg.deliver(nobody), 0u) << "an audience whose lists are both empty";
    for (auto* s : {&alice, &bob, &carol, &dave})
        reg.unsubscribe(*s);
}

TEST(registry, a_stream_in_an_audience_several_times_over_gets_the_frame_once)
{
    registry reg{"user"};
    std::vector<std::unique_ptr<fake_subscriber>> crowd;
    for (int i = 0; i < 50; ++i) { // many subscribers: the audience's side is walked
        crowd.push_back(std::make_unique<fake_subscriber>("u" + std::to_string(i),
                                                          std::vector<std::string>{"orders"}));
        reg.subscribe(*crowd.back());
    }
    fake_subscriber both{"1", {"orders", "user"}, {"acme", "admins"}};
    reg.subscribe(both);
    auto const frame = std::make_shared<std::string const>("frame");
    EXPECT_EQ(reg.deliver({event_id{1, 0}, "orders", "9", frame,
                           make_audience({"1", "1"}, {"acme", "admins"})}),
              1u);
    EXPECT_EQ(reg.deliver({event_id{1, 1}, "user", "1", frame, make_audience({"1"}, {"acme"})}),
              1u)
        << "the account event by name and by the account rule: once";
    EXPECT_EQ(both.frames.size(), 2u);
    for (auto& s : crowd)
        EXPECT_TRUE(s->frames.empty());
    reg.unsubscribe(both);
    for (auto& s : crowd)
        reg.unsubscribe(*s);
}

TEST(registry, delivers_to_exactly_the_subscribers_the_matching_rule_accepts)
{
    // Live delivery finds its targets through indexes, replay asks receives(): the two must
    // agree on every mix of names, users, groups, account events and audiences, with the
    // audience's side walked or the name's, while streams leave and come back (each leaves
    // its lists by its slots, and another stream takes its place there).
    auto const seed = std::random_device{}();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);
    std::vector<std::string> const names{"a", "b", "user", "c"};
    std::vector<std::string> const users{"1", "2", "3", "4", "5"};
    std::vector<std::string> const groups{"g1", "g2", "g3"};
    auto pick = [&](auto const& from) { return from[random() % from.size()]; };
    auto some = [&](auto const& from, unsigned most) {
        std::set<std::string> chosen;
        for (auto n = random() % (most + 1); n > 0; --n)
            chosen.insert(pick(from));
        return std::vector<std::string>(chosen.begin(), chosen.end());
    };
    auto repeated = [&](auto const& from, unsigned most) { // groups may come twice
        std::vector<std::string> chosen;
        for (auto n = random() % (most + 1); n > 0; --n)
            chosen.push_back(pick(from));
        return chosen;
    };
    // Half the streams hold one of a few lists of groups, shared as claims read from equal
    // lists are (the registry indexes them together); the others a list of their own, which
    // may be equal to another's.
    std::vector<name_list> shared;
    for (int i = 0; i < 4; ++i)
        shared.emplace_back(repeated(groups, 3));
    registry reg{"user"};
    std::vector<std::unique_ptr<fake_subscriber>> streams;
    std::vector<bool> subscribed;
    for (int i = 0; i < 40; ++i) {
        auto const own = random() % 2 ? pick(shared) : name_list(repeated(groups, 3));
        streams.push_back(std::make_unique<fake_subscriber>(pick(users), some(names, 2), own));
        reg.subscribe(*streams.back());
        subscribed.push_back(true);
    }
    for (int i = 0; i < 400; ++i) {
        for (auto n = random() % 3; n > 0; --n) {
            auto const which = random() % streams.size();
            if (subscribed[which])
                reg.unsubscribe(*streams[which]);
            else
                reg.subscribe(*streams[which]);
            subscribed[which] = !subscribed[which];
        }
        std::shared_ptr<audience const> to;
        if (random() % 2)
            to = make_audience(some(users, random() % 2 ? 1 : 4), some(groups, 2));
        event const e{event_id{1, static_cast<std::uint64_t>(i)}, pick(names), pick(users),
                      std::make_shared<std::string const>("frame"), to};
        std::size_t expected = 0;
        for (std::size_t k = 0; k < streams.size(); ++k) {
            streams[k]->frames.clear();
            expected += subscribed[k] && reg.receives(*streams[k], e) ? 1 : 0;
        }
        EXPECT_EQ(reg.deliver(e), expected);
        for (std::size_t k = 0; k < streams.size(); ++k)
            EXPECT_EQ(streams[k]->frames.size(),
                      subscribed[k] && reg.receives(*streams[k], e) ? 1u : 0u)
                << e.name << " for user " << e.user_id << " to user " << streams[k]->user_id();
        std::size_t visited = 0;
        reg.for_each([&](subscriber&) { ++visited; });
        EXPECT_EQ(visited, static_cast<std::size_t>(
                               std::count(subscribed.begin(), subscribed.end(), true)));
        EXPECT_EQ(reg.size(), visited);
    }
    for (std::size_t k = 0; k < streams.size(); ++k)
        if (subscribed[k])
            reg.unsubscribe(*streams[k]);
    EXPECT_EQ(reg.size(), 0u);
    for (auto const& user : users)
        EXPECT_EQ(reg.connections_of(user), 0u);
}

TEST(registry, a_group_or_name_listed_twice_delivers_once_and_leaves_cleanly)
{
    registry reg{"user"};
    fake_subscriber twice{"1", {"orders"}, {"acme", "admins", "acme"}};
    fake_subscriber other{"2", {"orders"}, {"acme"}};
    reg.subscribe(twice);
    reg.subscribe(twice); // subscribing again changes nothing
    reg.subscribe(other);
    EXPECT_EQ(reg.size(), 2u);
    auto const frame = std::make_shared<std::string const>("frame");
    EXPECT_EQ(reg.deliver({event_id{1, 0}, "orders", "9", frame, make_audience({}, {"acme"})}),
              2u);
    EXPECT_EQ(twice.frames.size(), 1u);
    reg.unsubscribe(twice);
    reg.unsubscribe(twice); // and so does leaving twice
    EXPECT_EQ(reg.deliver({event_id{1, 1}, "orders", "9", frame, make_audience({}, {"acme"})}),
              1u);
    EXPECT_EQ(other.frames.size(), 2u);
    EXPECT_EQ(twice.frames.size(), 1u);
    reg.unsubscribe(other);
    EXPECT_EQ(reg.size(), 0u);
}

} // namespace
} // namespace sse_server
