#include "sse_server/ops/logging.hpp"

#include <functional>
#include <gtest/gtest.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace sse_server {
namespace {

using namespace std::string_literals;

std::string const replacement = "\xef\xbf\xbd"; // U+FFFD in UTF-8

std::string escaped(std::string_view text)
{
    std::string out;
    append_json_escaped(text, out);
    return out;
}

// The value a JSON parser reads back from the escaped text, or why it refused it.
std::string decoded(std::string_view text)
{
    auto const parsed = nlohmann::json::parse("\"" + escaped(text) + "\"", nullptr, false);
    if (parsed.is_discarded() || !parsed.is_string())
        return "<not a JSON string: " + escaped(text) + ">";
    return parsed.get<std::string>();
}

TEST(logging, valid_utf8_and_escaped_characters_read_back_unchanged)
{
    std::vector<std::string> const inputs = {
        ""s,
        "plain ascii"s,
        "quote \" backslash \\ newline \n tab \t return \r"s,
        "nul \0 and other controls \x01\x1f"s,
        "del \x7f"s,
        "\xc2\x80 \xdf\xbf"s,                 // U+0080, U+07FF: the 2-byte range
        "\xe0\xa0\x80 \xed\x9f\xbf"s,         // U+0800, U+D7FF
        "\xee\x80\x80 \xef\xbf\xbf"s,         // U+E000, U+FFFF
        "\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf"s, // U+10000, U+10FFFF
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e \xe2\x80\xa8"s,
    };
    for (auto const& input : inputs)
        EXPECT_EQ(decoded(input), input) << escaped(input);
}

TEST(logging, each_byte_outside_valid_utf8_becomes_a_replacement_character)
{
    auto const r = [](int n) {
        std::string out;
        for (int i = 0; i < n; ++i)
            out += replacement;
        return out;
    };
    std::vector<std::pair<std::string, std::string>> const cases = {
        {"\xff", r(1)},
        {"\xfe\xfd", r(2)},
        {"\x80", r(1)},               // a continuation byte alone
        {"\xc0\xaf", r(2)},           // overlong '/'
        {"\xc1\xbf", r(2)},           // overlong
        {"\xe0\x80\xaf", r(3)},       // overlong, 3 bytes
        {"\xf0\x80\x80\xaf", r(4)},   // overlong, 4 bytes
        {"\xed\xa0\x80", r(3)},       // surrogate U+D800
        {"\xed\xbf\xbf", r(3)},       // surrogate U+DFFF
        {"\xf4\x90\x80\x80", r(4)},   // U+110000
        {"\xf5\x80\x80\x80", r(4)},   // no such lead byte
        {"\xe2\x82", r(2)},           // truncated at the end
        {"\xe2\x82\x41", r(2) + "A"}, // truncated by an ASCII "A"
        {"\xf0\x9d\x84", r(3)},       // truncated 4-byte sequence
        {"a\xc3", "a" + r(1)},
        {"\xc3\x28", r(1) + "("},
        {"\xc3\xa9\xff\xc3\xa9", "\xc3\xa9" + r(1) + "\xc3\xa9"},
        {"GET /events?x=\xff\"\xfe HTTP/1.1", "GET /events?x=" + r(1) + "\"" + r(1) + " HTTP/1.1"},
    };
    for (auto const& [input, expected] : cases)
        EXPECT_EQ(decoded(input), expected) << escaped(input);
}

TEST(logging, no_control_character_or_del_is_written_raw)
{
    std::string all_bytes;
    for (int b = 0; b < 256; ++b)
        all_bytes += static_cast<char>(b);
    for (unsigned char const c : escaped(all_bytes))
        EXPECT_TRUE(c >= 0x20 && c != 0x7f) << int{c};
}

/** Restores the default logger that setup_logging replaces. */
class default_logger_guard
{
public:
    default_logger_guard() : saved_(spdlog::default_logger()) {}
    ~default_logger_guard() { spdlog::set_default_logger(saved_); }
    default_logger_guard(default_logger_guard const&) = delete;
    default_logger_guard& operator=(default_logger_guard const&) = delete;

private:
    std::shared_ptr<spdlog::logger> saved_;
};

/** What `log` writes once setup_logging(cfg) points the default logger at a string. */
std::string logged(log_config const& cfg, std::function<void()> const& log)
{
    std::ostringstream lines;
    {
        default_logger_guard const guard;
        setup_logging(cfg, std::make_shared<spdlog::sinks::ostream_sink_mt>(lines));
        log();
    } // the logger that wrote is gone, its lines flushed
    return lines.str();
}

TEST(logging, a_json_line_stays_valid_json_whatever_the_message_holds)
{
    auto const line = logged(log_config{"debug", log_format::json}, [] {
        spdlog::debug("request target {}", "/events?x=\xff\"\n\xed\xa0\x80");
    });
    ASSERT_TRUE(line.ends_with('\n'));
    EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line";
    auto const parsed = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << line;
    EXPECT_EQ(parsed.value("level", ""), "debug");
    EXPECT_EQ(parsed.value("msg", ""), "request target /events?x=" + replacement + "\"\n" +
                                           replacement + replacement + replacement);
}

TEST(logging, journal_lines_carry_the_priority_and_no_timestamp)
{
    auto const lines = logged(log_config{"debug", log_format::journal}, [] {
        spdlog::debug("looking up a session");
        spdlog::info("sse-server ready");
        spdlog::warn("redis unavailable");
        spdlog::error("cannot bind");
        spdlog::critical("out of descriptors");
    });
    EXPECT_EQ(lines, "<7>looking up a session\n<6>sse-server ready\n<4>redis unavailable\n"
                           "<3>cannot bind\n<2>out of descriptors\n");
}

TEST(logging, a_journal_line_stays_one_line_whatever_the_message_holds)
{
    auto const lines = logged(log_config{"info", log_format::journal},
                              [] { spdlog::warn("refused {}", "/events\r\n<2>forged\x1b[0m"); });
    EXPECT_EQ(lines, "<4>refused /events\\x0d\\x0a<2>forged\\x1b[0m\n");
}

} // namespace
} // namespace sse_server
