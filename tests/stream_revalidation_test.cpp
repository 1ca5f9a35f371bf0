#include "sse_server/stream/stream_revalidation.hpp"

#include "sse_server/config/config.hpp"

#include <gtest/gtest.h>

using namespace sse_server;
using strings = std::vector<std::string>;
using outcome = auth_result::outcome;
using verdict = stream_revalidation::verdict;

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
    return c;
}

} // namespace

TEST(stream_revalidation, a_credential_still_there_keeps_the_stream_with_the_groups_of_now)
{
    auto const d = decide_revalidation(user("42", {}, {"t1", "t2"}), "42", {"orders"}, config{});
    EXPECT_EQ(d.result, verdict::valid);
    EXPECT_EQ(d.groups, (strings{"t1", "t2"}));
}

TEST(stream_revalidation, a_credential_gone_or_now_someone_elses_closes_it)
{
    auth_result gone{outcome::unauthorized, {}, "no such session", {}};
    EXPECT_EQ(decide_revalidation(gone, "42", {"orders"}, config{}).result, verdict::gone);
    EXPECT_EQ(decide_revalidation(user("7"), "42", {"orders"}, config{}).result, verdict::gone);
}

TEST(stream_revalidation, redis_not_answering_proves_nothing)
{
    auth_result unknown{outcome::unavailable, {}, "timeout", {}};
    EXPECT_EQ(decide_revalidation(unknown, "42", {"orders"}, with_grants({})).result,
              verdict::unavailable);
}

TEST(stream_revalidation, a_subscription_no_longer_granted_revokes_the_stream)
{
    auto const cfg = with_grants({"public:*"});
    EXPECT_EQ(decide_revalidation(user("42", {"orders"}), "42", {"public:a", "orders"}, cfg).result,
              verdict::valid);
    EXPECT_EQ(decide_revalidation(user("42"), "42", {"public:a", "orders"}, cfg).result,
              verdict::revoked)
        << "one name lost is enough";
    EXPECT_EQ(decide_revalidation(user("42", {"team:{group}:*"}, {"b"}), "42",
                                  {"team:a:orders"}, cfg)
                  .result,
              verdict::revoked)
        << "a grant through a group the user left";
    EXPECT_EQ(decide_revalidation(user("42"), "42", {}, with_grants({})).result, verdict::valid)
        << "the account event needs no grant";
}
