// What sentinels answer, read without a socket: the master's address, an unknown master, a
// refusal, and the +switch-master message.
#include "sse_server/redis/sentinel_replies.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

redis_reply value(std::string text)
{
    return {redis_reply::kind::value, std::move(text), {}};
}

redis_reply array(std::vector<redis_reply> elements)
{
    return {redis_reply::kind::array, {}, std::move(elements)};
}

TEST(sentinel_replies, an_address_is_the_host_and_the_port)
{
    auto const answer = read_master_answer(array({value("10.0.0.7"), value("6380")}));
    ASSERT_EQ(answer.type, master_answer::kind::address);
    EXPECT_EQ(answer.master.host, "10.0.0.7");
    EXPECT_EQ(answer.master.port, 6380);
    EXPECT_EQ(address_text(answer.master), "10.0.0.7:6380");
    EXPECT_EQ(address_text({"::1", 6379}), "[::1]:6379");
}

TEST(sentinel_replies, nil_means_the_sentinel_does_not_know_the_master)
{
    EXPECT_EQ(read_master_answer({redis_reply::kind::nil, {}, {}}).type,
              master_answer::kind::unknown);
    EXPECT_EQ(read_master_answer(array({})).type, master_answer::kind::unknown);
}

TEST(sentinel_replies, an_error_or_a_reply_of_no_sense_is_a_refusal_with_a_reason)
{
    auto const noauth =
        read_master_answer({redis_reply::kind::error, "NOAUTH Authentication required.", {}});
    EXPECT_EQ(noauth.type, master_answer::kind::refused);
    EXPECT_EQ(noauth.error, "NOAUTH Authentication required.");
    for (auto const& odd :
         {value("OK"), array({value("10.0.0.7")}), array({value("10.0.0.7"), value("0")}),
          array({value("10.0.0.7"), value("70000")}), array({value("10.0.0.7"), value("63a")}),
          array({value(""), value("6379")}), array({value("a b"), value("6379")}),
          array({array({}), value("6379")})}) {
        auto const answer = read_master_answer(odd);
        EXPECT_EQ(answer.type, master_answer::kind::refused);
        EXPECT_FALSE(answer.error.empty());
    }
}

TEST(sentinel_replies, a_switch_names_the_master_and_both_addresses)
{
    auto const change = read_master_switch("mymaster 127.0.0.1 6379 127.0.0.1 6380");
    ASSERT_TRUE(change);
    EXPECT_EQ(change->name, "mymaster");
    EXPECT_EQ(address_text(change->from), "127.0.0.1:6379");
    EXPECT_EQ(address_text(change->to), "127.0.0.1:6380");
    auto const v6 = read_master_switch("m ::1 6379 ::2 7000");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->to.host, "::2");
}

TEST(sentinel_replies, a_message_of_another_shape_is_no_switch)
{
    for (auto const* payload :
         {"", "mymaster", "mymaster 127.0.0.1 6379 127.0.0.1", "m 127.0.0.1 6379 127.0.0.1 x",
          "m 127.0.0.1 6379 127.0.0.1 0", "m 127.0.0.1 6379 127.0.0.1 6380 extra",
          "m  127.0.0.1 6379 127.0.0.1", " m 127.0.0.1 6379 127.0.0.1 6380"})
        EXPECT_FALSE(read_master_switch(payload)) << payload;
}

TEST(sentinel_replies, role_tells_a_replica_from_the_master)
{
    EXPECT_FALSE(role_says_replica(array({value("master"), value("0"), array({})})));
    EXPECT_TRUE(role_says_replica(array({value("slave"), value("127.0.0.1"), value("6379")})));
    EXPECT_TRUE(role_says_replica(array({value("sentinel"), array({})})));
    EXPECT_FALSE(role_says_replica({redis_reply::kind::error, "NOPERM", {}}));
}

} // namespace
} // namespace sse_server
