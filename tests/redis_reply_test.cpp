// What the client reads out of Redis's bytes (RESP 2): reply_reader, fed as reads bring them.
#include "sse_server/redis/reply_reader.hpp"

#include <gtest/gtest.h>
#include <string>
#include <string_view>
#include <vector>

namespace sse_server {
namespace {

using kind = redis_reply::kind;

/** Every reply in `bytes`, fed `step` bytes at a time (TCP splits replies anywhere). */
std::vector<redis_reply> replies_in(std::string_view bytes, std::size_t step = 0)
{
    reply_reader reader;
    EXPECT_TRUE(reader.usable());
    std::vector<redis_reply> out;
    if (step == 0)
        step = bytes.size();
    for (std::size_t at = 0; at < bytes.size(); at += step) {
        auto const part = bytes.substr(at, step);
        EXPECT_TRUE(reader.feed(part.data(), part.size()));
        redis_reply reply;
        for (;;) {
            auto const got = reader.next(reply);
            EXPECT_NE(got, reply_reader::status::error) << reader.error();
            if (got != reply_reader::status::reply)
                break;
            out.push_back(std::move(reply));
        }
    }
    return out;
}

TEST(redis_reply, a_string_keeps_its_bytes_including_a_nul)
{
    auto const r = replies_in(std::string("$7\r\nuser\0id\r\n", 13));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].type, kind::value);
    EXPECT_EQ(r[0].text, std::string("user\0id", 7));
}

TEST(redis_reply, a_status_and_an_integer_are_values_the_integer_as_its_decimal_text)
{
    auto const r = replies_in("+OK\r\n:-42\r\n");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].type, kind::value);
    EXPECT_EQ(r[0].text, "OK");
    EXPECT_EQ(r[1].type, kind::value);
    EXPECT_EQ(r[1].text, "-42");
}

TEST(redis_reply, a_missing_key_is_nil_not_unavailable)
{
    auto const r = replies_in("$-1\r\n*-1\r\n");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].type, kind::nil);
    EXPECT_EQ(r[1].type, kind::nil) << "a nil array (a blocking read that timed out)";
}

TEST(redis_reply, an_error_keeps_the_message_redis_sent)
{
    auto const r =
        replies_in("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].type, kind::error);
    EXPECT_EQ(r[0].text, "WRONGTYPE Operation against a key holding the wrong kind of value");
}

TEST(redis_reply, a_nested_array_keeps_its_order_and_its_elements_kinds_however_it_is_split)
{
    // [ "1-0", [ "name", nil, [] ], 7 ], as an XRANGE entry with a missing field would read,
    // then a second reply: what the pipeline brings in one read.
    std::string const bytes = "*3\r\n$3\r\n1-0\r\n*3\r\n$4\r\nname\r\n$-1\r\n*0\r\n:7\r\n+PONG\r\n";
    for (std::size_t step : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{5}}) {
        auto const r = replies_in(bytes, step);
        ASSERT_EQ(r.size(), 2u) << step;
        ASSERT_EQ(r[0].type, kind::array);
        ASSERT_EQ(r[0].elements.size(), 3u);
        EXPECT_EQ(r[0].elements[0].text, "1-0");
        auto const& inner = r[0].elements[1];
        ASSERT_EQ(inner.type, kind::array);
        ASSERT_EQ(inner.elements.size(), 3u);
        EXPECT_EQ(inner.elements[0].text, "name");
        EXPECT_EQ(inner.elements[1].type, kind::nil);
        EXPECT_EQ(inner.elements[2].type, kind::array);
        EXPECT_TRUE(inner.elements[2].elements.empty());
        EXPECT_EQ(r[0].elements[2].text, "7");
        EXPECT_EQ(r[1].text, "PONG");
    }
}

TEST(redis_reply, an_array_announcing_more_than_it_brings_holds_only_what_came)
{
    // A count is a promise: two billion elements announced, one sent, no reply yet.
    reply_reader reader;
    std::string const bytes = "*2147483647\r\n$1\r\na\r\n";
    ASSERT_TRUE(reader.feed(bytes.data(), bytes.size()));
    redis_reply reply;
    EXPECT_EQ(reader.next(reply), reply_reader::status::more);
}

TEST(redis_reply, bytes_that_are_not_resp_are_a_protocol_error)
{
    reply_reader reader;
    std::string const bytes = "*1\r\n?what\r\n";
    ASSERT_TRUE(reader.feed(bytes.data(), bytes.size()));
    redis_reply reply;
    EXPECT_EQ(reader.next(reply), reply_reader::status::error);
    EXPECT_NE(reader.error().find("Protocol error"), std::string::npos) << reader.error();
}

TEST(redis_reply, an_unavailable_reply_says_why)
{
    auto const r = unavailable_reply("redis connection lost");
    EXPECT_EQ(r.type, kind::unavailable);
    EXPECT_EQ(r.text, "redis connection lost");
}

} // namespace
} // namespace sse_server
