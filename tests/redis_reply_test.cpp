#include "sse_server/redis/redis_reply.hpp"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <string>

namespace sse_server {
namespace {

// hiredis's replies are plain structs: built here by hand, no Redis needed.
redisReply text_reply(int type, std::string& text)
{
    redisReply r{};
    r.type = type;
    r.str = text.data();
    r.len = text.size();
    return r;
}

TEST(redis_reply, a_string_keeps_its_bytes_including_a_nul)
{
    std::string text("user\0id", 7);
    auto const r = to_redis_reply(text_reply(REDIS_REPLY_STRING, text));
    EXPECT_EQ(r.type, redis_reply::kind::value);
    EXPECT_EQ(r.text, text);
}

TEST(redis_reply, an_integer_becomes_its_decimal_text)
{
    redisReply r{};
    r.type = REDIS_REPLY_INTEGER;
    r.integer = -42;
    auto const out = to_redis_reply(r);
    EXPECT_EQ(out.type, redis_reply::kind::value);
    EXPECT_EQ(out.text, "-42");
}

TEST(redis_reply, a_missing_key_is_nil_not_unavailable)
{
    redisReply r{};
    r.type = REDIS_REPLY_NIL;
    EXPECT_EQ(to_redis_reply(r).type, redis_reply::kind::nil);
}

TEST(redis_reply, an_error_keeps_the_message_redis_sent)
{
    std::string text = "WRONGTYPE Operation against a key holding the wrong kind of value";
    auto const r = to_redis_reply(text_reply(REDIS_REPLY_ERROR, text));
    EXPECT_EQ(r.type, redis_reply::kind::error);
    EXPECT_EQ(r.text, text);
}

TEST(redis_reply, a_nested_array_keeps_its_order_and_its_elements_kinds)
{
    // [ "1-0", [ "name", nil ] ], as an XRANGE entry with a missing field would read.
    std::string id = "1-0";
    std::string field = "name";
    redisReply leaf_id = text_reply(REDIS_REPLY_STRING, id);
    redisReply leaf_field = text_reply(REDIS_REPLY_STRING, field);
    redisReply leaf_nil{};
    leaf_nil.type = REDIS_REPLY_NIL;
    redisReply* inner_items[] = {&leaf_field, &leaf_nil};
    redisReply inner{};
    inner.type = REDIS_REPLY_ARRAY;
    inner.elements = 2;
    inner.element = inner_items;
    redisReply* outer_items[] = {&leaf_id, &inner};
    redisReply outer{};
    outer.type = REDIS_REPLY_ARRAY;
    outer.elements = 2;
    outer.element = outer_items;

    auto const r = to_redis_reply(outer);
    ASSERT_EQ(r.type, redis_reply::kind::array);
    ASSERT_EQ(r.elements.size(), 2u);
    EXPECT_EQ(r.elements[0].text, "1-0");
    ASSERT_EQ(r.elements[1].type, redis_reply::kind::array);
    ASSERT_EQ(r.elements[1].elements.size(), 2u);
    EXPECT_EQ(r.elements[1].elements[0].text, "name");
    EXPECT_EQ(r.elements[1].elements[1].type, redis_reply::kind::nil);
}

TEST(redis_reply, an_unavailable_reply_says_why)
{
    auto const r = unavailable_reply("redis connection lost");
    EXPECT_EQ(r.type, redis_reply::kind::unavailable);
    EXPECT_EQ(r.text, "redis connection lost");
}

} // namespace
} // namespace sse_server
