#include "sse_server/event/sse_frame.hpp"

#include <gtest/gtest.h>
#include <optional>
#include <string>
#include <vector>

namespace sse_server {
namespace {

using namespace std::chrono_literals;

/** One event as a browser's EventSource hands it to the page. */
struct browser_event
{
    std::string type;
    std::string data;
    std::string last_event_id;
};

/** A reference reader following WHATWG HTML "interpret an event stream", so the tests check
    what a browser would see rather than the bytes we happen to write. */
class browser_reader
{
public:
    std::vector<browser_event> events;
    std::optional<long> reconnection_ms;

    void feed(std::string_view stream)
    {
        std::size_t start = 0;
        for (std::size_t i = 0; i < stream.size(); ++i) {
            if (stream[i] != '\r' && stream[i] != '\n')
                continue;
            process_line(stream.substr(start, i - start));
            if (stream[i] == '\r' && i + 1 < stream.size() && stream[i + 1] == '\n')
                ++i;
            start = i + 1;
        }
        // An unterminated last line is never processed: the stream may still be arriving.
    }

private:
    std::string data_;
    std::string type_;
    std::string last_id_;

    void process_line(std::string_view line)
    {
        if (line.empty())
            return dispatch();
        if (line.front() == ':')
            return;
        auto const colon = line.find(':');
        auto const field = line.substr(0, colon);
        std::string_view value;
        if (colon != std::string_view::npos) {
            value = line.substr(colon + 1);
            if (!value.empty() && value.front() == ' ')
                value.remove_prefix(1);
        }
        if (field == "event") {
            type_ = value;
        } else if (field == "data") {
            data_ += value;
            data_ += '\n';
        } else if (field == "id") {
            if (value.find('\0') == std::string_view::npos)
                last_id_ = value;
        } else if (field == "retry") {
            if (!value.empty() && value.find_first_not_of("0123456789") == std::string_view::npos)
                reconnection_ms = std::stol(std::string(value));
        }
    }

    void dispatch()
    {
        if (data_.empty()) {
            type_.clear();
            return;
        }
        if (data_.back() == '\n')
            data_.pop_back();
        events.push_back({type_.empty() ? "message" : type_, data_, last_id_});
        data_.clear();
        type_.clear();
    }
};

std::vector<browser_event> read_as_browser(std::string_view stream)
{
    browser_reader reader;
    reader.feed(stream);
    return reader.events;
}

std::string normalise_line_breaks(std::string_view text)
{
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r') {
            out += '\n';
            if (i + 1 < text.size() && text[i + 1] == '\n')
                ++i;
        } else {
            out += text[i];
        }
    }
    return out;
}

TEST(sse_frame, event_is_id_event_and_data_lines_then_a_blank_line)
{
    EXPECT_EQ(format_event("1700000000000-0", "db", R"({"name":"orders"})"),
              "id: 1700000000000-0\nevent: db\ndata: {\"name\":\"orders\"}\n\n");
}

TEST(sse_frame, empty_id_writes_no_id_line)
{
    auto const frame = format_event("", "connected", "{}");
    ASSERT_TRUE(frame);
    EXPECT_EQ(*frame, "event: connected\ndata: {}\n\n");
    EXPECT_EQ(frame->find("id:"), std::string::npos);
}

TEST(sse_frame, empty_id_keeps_the_browsers_last_event_id)
{
    auto const stream = *format_event("5-0", "db", "a") + *format_event("", "db", "b");
    auto const events = read_as_browser(stream);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].last_event_id, "5-0");
}

TEST(sse_frame, lf_crlf_and_cr_each_start_a_new_data_line)
{
    EXPECT_EQ(format_event("1", "db", "a\nb\r\nc\rd"),
              "id: 1\nevent: db\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
}

TEST(sse_frame, trailing_newline_gives_a_last_empty_data_line)
{
    EXPECT_EQ(format_event("1", "db", "a\n"), "id: 1\nevent: db\ndata: a\ndata: \n\n");
}

TEST(sse_frame, empty_data_is_one_empty_data_line)
{
    EXPECT_EQ(format_event("1", "db", ""), "id: 1\nevent: db\ndata: \n\n");
}

TEST(sse_frame, browser_rebuilds_every_body_with_line_feeds)
{
    std::vector<std::string> const bodies = {
        "{}",
        "",
        "line one\nline two",
        "crlf\r\nbody\r\n",
        "old\rmac\r",
        "\n\n\n",
        "\r\n\r\n",
        "\r\r\n\n",
        " leading space and  double space",
        ":looks like a comment",
        "data: looks like a field\nid: 666\nevent: evil\n\nretry: 1",
        "{\n  \"name\": \"orders\",\n  \"data\": [1, 2]\n}\n",
    };
    for (auto const& body : bodies) {
        auto const frame = format_event("7-3", "db", body);
        ASSERT_TRUE(frame) << body;
        auto const events = read_as_browser(*frame);
        ASSERT_EQ(events.size(), 1u) << body;
        EXPECT_EQ(events[0].type, "db") << body;
        EXPECT_EQ(events[0].data, normalise_line_breaks(body)) << body;
        EXPECT_EQ(events[0].last_event_id, "7-3") << body;
    }
}

TEST(sse_frame, consecutive_frames_are_read_as_separate_events)
{
    auto const stream = format_retry(3s) + *format_event("1-0", "connected", "{}") +
                        std::string(heartbeat_comment()) + *format_event("1-1", "db", "x\ny");
    browser_reader reader;
    reader.feed(stream);
    ASSERT_EQ(reader.events.size(), 2u);
    EXPECT_EQ(reader.events[0].type, "connected");
    EXPECT_EQ(reader.events[1].data, "x\ny");
    EXPECT_EQ(reader.events[1].last_event_id, "1-1");
    EXPECT_EQ(reader.reconnection_ms, 3000);
}

TEST(sse_frame, line_break_or_nul_in_id_is_refused)
{
    EXPECT_FALSE(format_event("1\n", "db", "x"));
    EXPECT_FALSE(format_event("1\r", "db", "x"));
    EXPECT_FALSE(format_event("1\ndata: injected", "db", "x"));
    EXPECT_FALSE(format_event(std::string_view("1\0", 2), "db", "x"));
}

TEST(sse_frame, line_break_or_nul_in_event_is_refused)
{
    EXPECT_FALSE(format_event("1", "db\n\nevent: fake", "x"));
    EXPECT_FALSE(format_event("1", "db\r", "x"));
    EXPECT_FALSE(format_event("1", std::string_view("d\0b", 3), "x"));
}

TEST(sse_frame, safe_field_value_allows_everything_but_cr_lf_and_nul)
{
    EXPECT_TRUE(is_safe_field_value(""));
    EXPECT_TRUE(is_safe_field_value("orders:v2 \t\u00e9"));
    EXPECT_FALSE(is_safe_field_value("a\rb"));
    EXPECT_FALSE(is_safe_field_value("a\nb"));
    EXPECT_FALSE(is_safe_field_value(std::string_view("a\0b", 3)));
}

TEST(sse_frame, retry_is_written_in_milliseconds)
{
    EXPECT_EQ(format_retry(3000ms), "retry: 3000\n\n");
    EXPECT_EQ(format_retry(15s), "retry: 15000\n\n");
}

TEST(sse_frame, negative_retry_is_written_as_zero_so_browsers_accept_it)
{
    EXPECT_EQ(format_retry(-5ms), "retry: 0\n\n");
}

TEST(sse_frame, heartbeat_is_a_comment_browsers_ignore)
{
    EXPECT_EQ(heartbeat_comment(), ":\n\n");
    browser_reader reader;
    reader.feed(heartbeat_comment());
    EXPECT_TRUE(reader.events.empty());
}

} // namespace
} // namespace sse_server
