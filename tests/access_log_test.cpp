#include "sse_server/ops/access_log.hpp"

#include <gtest/gtest.h>
#include <string>

namespace sse_server {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

TEST(access_log, a_stream_end_is_one_line_of_key_value_pairs)
{
    EXPECT_EQ(access_line(
                  stream_end_entry{"203.0.113.7", "42", "tab-1", 12345ms, 17, 4096, "client_gone"}),
              "access: stream ended client=203.0.113.7 user=42 origin=tab-1 duration=12.345s "
              "events=17 bytes=4096 reason=client_gone");
    EXPECT_EQ(access_line(stream_end_entry{"::1", "u", "o", 5ms, 0, 0, "shutdown"}),
              "access: stream ended client=::1 user=u origin=o duration=0.005s events=0 bytes=0 "
              "reason=shutdown");
}

TEST(access_log, a_refusal_says_the_status_and_what_the_client_was_told)
{
    EXPECT_EQ(access_line(stream_refusal_entry{"198.51.100.1", "401", "unauthorized"}),
              "access: stream refused client=198.51.100.1 status=401 reason=unauthorized");
    EXPECT_EQ(
        access_line(stream_refusal_entry{"198.51.100.1", "503", "authentication unavailable"}),
        "access: stream refused client=198.51.100.1 status=503 "
        "reason=\"authentication unavailable\"");
    EXPECT_EQ(stream_refusal_kind("429"), "access: stream refused 429");
}

TEST(access_log, values_are_quoted_where_a_reader_could_not_split_them_otherwise)
{
    auto const value = [](std::string_view text) {
        std::string out;
        append_access_value(text, out);
        return out;
    };
    EXPECT_EQ(value("plain-value_1.2:3"), "plain-value_1.2:3");
    EXPECT_EQ(value("caf\xc3\xa9"), "caf\xc3\xa9") << "UTF-8 stays as it is";
    EXPECT_EQ(value(""), "\"\"");
    EXPECT_EQ(value("two words"), "\"two words\"");
    EXPECT_EQ(value("a=b"), "\"a=b\"");
    EXPECT_EQ(value(R"(say "hi")"), R"("say \"hi\"")");
    EXPECT_EQ(value(R"(back\slash)"), R"("back\\slash")");
    EXPECT_EQ(value("line\nbreak\r\0\x7f"s), R"("line\x0abreak\x0d\x00\x7f")");
}

TEST(access_log, a_line_stays_one_line_whatever_a_user_id_holds)
{
    auto const line = access_line(
        stream_end_entry{"192.0.2.1", "evil\nuser=1 reason=x\r", "", 1s, 1, 1, "client_gone"});
    EXPECT_EQ(line.find('\n'), std::string::npos) << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
    EXPECT_NE(line.find(R"(user="evil\x0auser=1 reason=x\x0d")"), std::string::npos) << line;
    EXPECT_NE(line.find(R"(origin="")"), std::string::npos) << line;
}

} // namespace
} // namespace sse_server
