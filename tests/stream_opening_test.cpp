#include "sse_server/stream/stream_opening.hpp"

#include "sse_server/config/config.hpp"

#include <gtest/gtest.h>

using namespace sse_server;
using strings = std::vector<std::string>;
using outcome = auth_result::outcome;

namespace {

auth_result user(std::string id, strings grants = {}, strings groups = {})
{
    auth_result r{outcome::ok, std::move(id), {}, {}};
    r.claims.grants = std::move(grants);
    r.claims.groups = std::move(groups);
    return r;
}

config with_grants(strings grants)
{
    config c;
    c.events.grants = std::move(grants);
    c.limits.max_connections_per_user = 2;
    return c;
}

} // namespace

TEST(stream_opening, the_default_grants_open_every_name_as_the_seed_did)
{
    auto const d = decide_opening(user("42"), {"orders", "anything"}, config{}, 0, false);
    EXPECT_FALSE(d.refuse);
    EXPECT_TRUE(d.counts_login);
}

TEST(stream_opening, a_name_no_pattern_grants_is_a_403_naming_it)
{
    auto const cfg = with_grants({"public:*"});
    auto const d = decide_opening(user("42"), {"public:news", "orders:17"}, cfg, 0, false);
    ASSERT_TRUE(d.refuse);
    EXPECT_EQ(*d.refuse, http::status::forbidden);
    EXPECT_EQ(d.reason, R"(events: "orders:17" is not granted)");
    EXPECT_TRUE(d.counts_login) << "the login was fine; the request was not";
}

TEST(stream_opening, a_users_own_grants_and_groups_open_what_they_name)
{
    auto const cfg = with_grants({});
    auto const mine = user("42", {"inbox:{user}", "team:{group}:*"}, {"acme"});
    EXPECT_FALSE(decide_opening(mine, {"inbox:42", "team:acme:orders"}, cfg, 0, false).refuse);
    EXPECT_TRUE(decide_opening(mine, {"inbox:7"}, cfg, 0, false).refuse);
    EXPECT_TRUE(decide_opening(mine, {"team:globex:orders"}, cfg, 0, false).refuse);
    EXPECT_FALSE(decide_opening(user("42"), {}, cfg, 0, false).refuse)
        << "no subscription, the account event only: needs no grant";
}

TEST(stream_opening, refusals_come_in_the_order_a_client_can_act_on)
{
    auto const cfg = with_grants({"orders"});
    auto const limit = decide_opening(user("42"), {"orders"}, cfg, 2, false);
    ASSERT_TRUE(limit.refuse);
    EXPECT_EQ(*limit.refuse, http::status::too_many_requests);
    EXPECT_EQ(*decide_opening(user("42"), {"secret"}, cfg, 2, false).refuse,
              http::status::forbidden)
        << "a request that can never succeed says so before a limit that may pass";
    auto const stopping = decide_opening(user("42"), {"orders"}, cfg, 0, true);
    EXPECT_EQ(*stopping.refuse, http::status::service_unavailable);
    EXPECT_FALSE(stopping.counts_login);

    auth_result const gone{outcome::unauthorized, {}, "unknown session", {}};
    auto const unauthorized = decide_opening(gone, {"orders"}, cfg, 0, false);
    EXPECT_EQ(*unauthorized.refuse, http::status::unauthorized);
    EXPECT_EQ(unauthorized.reason, "unauthorized") << "never why";
    auth_result const down{outcome::unavailable, {}, "timeout", {}};
    auto const unavailable = decide_opening(down, {"orders"}, cfg, 0, false);
    EXPECT_EQ(*unavailable.refuse, http::status::service_unavailable);
    EXPECT_TRUE(unavailable.counts_login);
}
