#include "sse_server/http/stream_request.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

using names = std::vector<std::string>;

stream_request parsed(std::string_view target, std::size_t max_subscriptions = 64)
{
    auto result = parse_stream_target(target, max_subscriptions);
    EXPECT_FALSE(result.error) << target << ": " << result.error.value_or("");
    return result.request;
}

std::string error_of(std::string_view target, std::size_t max_subscriptions = 64)
{
    return parse_stream_target(target, max_subscriptions).error.value_or("<no error>");
}

TEST(stream_request, target_without_query_subscribes_to_nothing)
{
    auto const request = parsed("/events");
    EXPECT_EQ(request.path, "/events");
    EXPECT_TRUE(request.events.empty());
    EXPECT_FALSE(request.origin);
    EXPECT_FALSE(request.last_event_id);
    EXPECT_FALSE(request.api_key);
}

TEST(stream_request, path_is_the_part_before_the_query)
{
    EXPECT_EQ(parsed("/events?events=a").path, "/events");
    EXPECT_EQ(parsed("/events?").path, "/events");
}

TEST(stream_request, events_may_repeat_and_hold_comma_separated_names)
{
    auto const request = parsed("/events?events=orders,invoices&events=users");
    EXPECT_EQ(request.events, (names{"orders", "invoices", "users"}));
}

TEST(stream_request, duplicate_events_are_kept_once_in_first_given_order)
{
    auto const request = parsed("/events?events=b,a,b&events=a,c");
    EXPECT_EQ(request.events, (names{"b", "a", "c"}));
}

TEST(stream_request, empty_event_pieces_are_skipped)
{
    EXPECT_TRUE(parsed("/events?events=").events.empty());
    EXPECT_TRUE(parsed("/events?events").events.empty());
    EXPECT_EQ(parsed("/events?events=,a,,b,&&events=").events, (names{"a", "b"}));
}

TEST(stream_request, more_distinct_names_than_allowed_is_refused)
{
    EXPECT_EQ(error_of("/events?events=a,b,c", 2), "too many subscriptions (max 2)");
    EXPECT_EQ(parsed("/events?events=a,b,a&events=b", 2).events, (names{"a", "b"}));
}

TEST(stream_request, bad_event_name_is_refused_and_quoted)
{
    EXPECT_EQ(error_of("/events?events=ok,a%20b"), "invalid event name \"a b\"");
    EXPECT_EQ(error_of("/events?events=a*b"), "invalid event name \"a*b\"");
    // '+' is a literal plus, which the name grammar does not allow.
    EXPECT_EQ(error_of("/events?events=a+b"), "invalid event name \"a+b\"");
    EXPECT_EQ(error_of("/events?events=" + std::string(129, 'x')),
              "invalid event name \"" + std::string(64, 'x') + "\"");
    EXPECT_TRUE(parsed("/events?events=" + std::string(128, 'x')).events.size() == 1);
}

TEST(stream_request, echoed_event_name_holds_only_printable_ascii)
{
    EXPECT_EQ(error_of("/events?events=a%0D%0Ab%00%7F%C3%A9"), "invalid event name \"a??b????\"");
}

TEST(stream_request, percent_encoded_values_are_decoded)
{
    auto const request =
        parsed("/events?events=orders%2Cinvoices&%65vents=users&lastEventId=a%2Fb&api_key=k%3D1");
    EXPECT_EQ(request.events, (names{"orders", "invoices", "users"}));
    EXPECT_EQ(request.last_event_id, "a/b");
    EXPECT_EQ(request.api_key, "k=1");
}

TEST(stream_request, plus_is_a_literal_plus)
{
    EXPECT_EQ(parsed("/events?api_key=a+b%2Bc").api_key, "a+b+c");
}

TEST(stream_request, malformed_escape_is_refused)
{
    EXPECT_EQ(error_of("/events?events=a%zz"), "malformed query string");
    EXPECT_EQ(error_of("/events?events=a%4"), "malformed query string");
    EXPECT_EQ(error_of("/events?x%=1"), "malformed query string");
}

TEST(stream_request, origin_is_validated)
{
    EXPECT_EQ(parsed("/events?origin=tab-1_A").origin, "tab-1_A");
    EXPECT_EQ(parsed("/events?origin=" + std::string(64, 'o')).origin, std::string(64, 'o'));
    EXPECT_EQ(error_of("/events?origin="), "invalid origin");
    EXPECT_EQ(error_of("/events?origin=a.b"), "invalid origin");
    EXPECT_EQ(error_of("/events?origin=a%20b"), "invalid origin");
    EXPECT_EQ(error_of("/events?origin=" + std::string(65, 'o')), "invalid origin");
}

TEST(stream_request, last_event_id_is_kept_as_given)
{
    EXPECT_EQ(parsed("/events?lastEventId=1712345678901-0").last_event_id, "1712345678901-0");
    EXPECT_EQ(parsed("/events?lastEventId=").last_event_id, "");
}

TEST(stream_request, first_of_repeated_single_parameters_wins)
{
    auto const request =
        parsed("/events?origin=one&origin=two&lastEventId=5&lastEventId=6&api_key=k1&api_key=k2");
    EXPECT_EQ(request.origin, "one");
    EXPECT_EQ(request.last_event_id, "5");
    EXPECT_EQ(request.api_key, "k1");
}

TEST(stream_request, unknown_parameters_are_ignored)
{
    auto const request = parsed("/events?_=1712345678&foo=%20bar&events=a");
    EXPECT_EQ(request.events, (names{"a"}));
}

TEST(stream_request, percent_decode_leaves_plus_and_rejects_bad_escapes)
{
    EXPECT_EQ(percent_decode("s%3Aa+b%2b"), "s:a+b+");
    EXPECT_EQ(percent_decode(""), "");
    EXPECT_FALSE(percent_decode("%"));
    EXPECT_FALSE(percent_decode("%g0"));
    // An escape cut short by the end of the text, even when hex digits follow in memory.
    EXPECT_FALSE(percent_decode(std::string_view("%41").substr(0, 2)));
}

TEST(stream_request, origin_grammar)
{
    EXPECT_TRUE(is_valid_origin("Az09_-"));
    EXPECT_FALSE(is_valid_origin(""));
    EXPECT_FALSE(is_valid_origin("a:b"));
    EXPECT_FALSE(is_valid_origin(std::string(65, 'a')));
}

TEST(stream_request, api_keys_are_redacted_from_logged_targets)
{
    EXPECT_EQ(redact_target("/events?events=a&api_key=s3cret&x=1"),
              "/events?events=a&api_key=REDACTED&x=1");
    EXPECT_EQ(redact_target("/events?api_key=one&api_key=two"),
              "/events?api_key=REDACTED&api_key=REDACTED");
    EXPECT_EQ(redact_target("/events?api%5Fkey=s3cret"), "/events?api%5Fkey=REDACTED");
    EXPECT_EQ(redact_target("/events?api_key"), "/events?api_key=REDACTED");
    EXPECT_EQ(redact_target("/events?events=a"), "/events?events=a");
    EXPECT_EQ(redact_target("/events"), "/events");
}

TEST(stream_request, redaction_changes_nothing_but_the_api_key_values)
{
    // Found by fuzzing: a trailing '&' was dropped.
    EXPECT_EQ(redact_target("/events?events=a&"), "/events?events=a&");
    EXPECT_EQ(redact_target("/events?api_key=x&&"), "/events?api_key=REDACTED&&");
    EXPECT_EQ(redact_target("/events?"), "/events?");
}

} // namespace
} // namespace sse_server
