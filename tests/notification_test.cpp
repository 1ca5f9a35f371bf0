#include "sse_server/event/notification.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>

namespace sse_server {
namespace {

std::string error_of(std::string_view body)
{
    auto const batch = parse_notifications(body);
    EXPECT_TRUE(batch.items.empty()) << body;
    return batch.error.value_or("<accepted>");
}

notification only_item(std::string_view body)
{
    auto const batch = parse_notifications(body);
    EXPECT_FALSE(batch.error) << *batch.error;
    EXPECT_EQ(batch.items.size(), 1u);
    return batch.items.empty() ? notification{} : batch.items.front();
}

TEST(notification, single_object_gives_name_id_and_the_exact_body)
{
    std::string const body =
        "  {\"name\" : \"orders\",\n \"type\":\"update\", \"id\": 42, \"data\": {\"total\": 1.50, "
        "\"note\": \"caf\\u00e9\"}}\r\n";
    auto const n = only_item(body);
    EXPECT_EQ(n.name, "orders");
    EXPECT_EQ(n.id, "42");
    EXPECT_EQ(n.body, body);
}

TEST(notification, integer_ids_become_their_decimal_text)
{
    EXPECT_EQ(only_item(R"({"name":"u","type":"t","id":-7})").id, "-7");
    EXPECT_EQ(only_item(R"({"name":"u","type":"t","id":0})").id, "0");
    EXPECT_EQ(only_item(R"({"name":"u","type":"t","id":18446744073709551615})").id,
              "18446744073709551615");
}

TEST(notification, string_ids_are_kept_as_written)
{
    EXPECT_EQ(only_item(R"({"name":"u","type":"t","id":"042"})").id, "042");
    EXPECT_EQ(only_item(R"({"name":"u","type":"t","id":"u_42"})").id, "u_42");
}

TEST(notification, fractional_id_keeps_the_number_text)
{
    EXPECT_EQ(only_item(R"({"name":"u","type":"t","id":1.5})").id, "1.5");
}

TEST(notification, id_of_another_type_is_refused)
{
    for (auto const* id : {"{}", "[1]", "true", "null"}) {
        auto const body = std::string(R"({"name":"u","type":"t","id":)") + id + "}";
        EXPECT_EQ(error_of(body), "id: must be a number or a string") << id;
    }
}

TEST(notification, empty_string_id_is_accepted_as_the_seeds_type_allows)
{
    // `id: number | string`: "" is a string. No user id is empty, so it never matches the
    // account rule.
    EXPECT_EQ(only_item(R"({"name":"u","type":"t","id":""})").id, "");
}

TEST(notification, missing_fields_are_named)
{
    EXPECT_EQ(error_of(R"({"type":"t","id":1})"), "name: missing");
    EXPECT_EQ(error_of(R"({"name":"u","id":1})"), "type: missing");
    EXPECT_EQ(error_of(R"({"name":"u","type":"t"})"), "id: missing");
}

TEST(notification, name_and_type_must_be_strings)
{
    EXPECT_EQ(error_of(R"({"name":5,"type":"t","id":1})"), "name: must be a string");
    EXPECT_EQ(error_of(R"({"name":"u","type":null,"id":1})"), "type: must be a string");
    EXPECT_EQ(error_of(R"({"name":"u","type":"","id":1})"), "type: must not be empty");
}

TEST(notification, name_outside_the_event_name_grammar_is_refused)
{
    EXPECT_EQ(error_of(R"({"name":"a b","type":"t","id":1})"),
              "name: must match [A-Za-z0-9_.:-]{1,128}");
    EXPECT_EQ(error_of(R"({"name":"","type":"t","id":1})"),
              "name: must match [A-Za-z0-9_.:-]{1,128}");
    auto const long_name = std::string(129, 'n');
    EXPECT_EQ(error_of(R"({"name":")" + long_name + R"(","type":"t","id":1})"),
              "name: must match [A-Za-z0-9_.:-]{1,128}");
}

TEST(notification, origin_may_be_absent_null_or_a_string_only)
{
    EXPECT_FALSE(parse_notifications(R"({"name":"u","type":"t","id":1})").error);
    EXPECT_FALSE(parse_notifications(R"({"name":"u","type":"t","id":1,"origin":null})").error);
    EXPECT_FALSE(parse_notifications(R"({"name":"u","type":"t","id":1,"origin":"w1"})").error);
    EXPECT_EQ(error_of(R"({"name":"u","type":"t","id":1,"origin":7})"),
              "origin: must be a string or null");
    EXPECT_EQ(error_of(R"({"name":"u","type":"t","id":1,"origin":{}})"),
              "origin: must be a string or null");
}

TEST(notification, data_may_be_any_json_value)
{
    for (auto const* data : {"null", "1", "\"s\"", "[1,{\"a\":[]}]", "{\"deep\":{\"er\":true}}"}) {
        auto const body = std::string(R"({"name":"u","type":"t","id":1,"data":)") + data + "}";
        EXPECT_FALSE(parse_notifications(body).error) << data;
    }
}

TEST(notification, batch_items_are_compact_json_with_keys_in_original_order)
{
    auto const batch = parse_notifications(R"([
        { "type": "update", "name": "orders", "id": 1, "zeta": true,
          "data": { "b": 1, "a": [ 2, 3 ] }, "origin": null },
        {"name":"users","type":"delete","id":"u_9"}
    ])");
    ASSERT_FALSE(batch.error) << *batch.error;
    ASSERT_EQ(batch.items.size(), 2u);
    EXPECT_EQ(
        batch.items[0].body,
        R"({"type":"update","name":"orders","id":1,"zeta":true,"data":{"b":1,"a":[2,3]},"origin":null})");
    EXPECT_EQ(batch.items[0].name, "orders");
    EXPECT_EQ(batch.items[0].id, "1");
    EXPECT_EQ(batch.items[1].body, R"({"name":"users","type":"delete","id":"u_9"})");
    EXPECT_EQ(batch.items[1].id, "u_9");
}

TEST(notification, batch_item_keeps_non_ascii_text_unescaped)
{
    auto const batch = parse_notifications(R"([{"name":"u","type":"t","id":1,"data":"café ✓"}])");
    ASSERT_EQ(batch.items.size(), 1u);
    EXPECT_EQ(batch.items[0].body, R"({"name":"u","type":"t","id":1,"data":"café ✓"})");
}

TEST(notification, empty_array_is_accepted_with_zero_items)
{
    auto const batch = parse_notifications(" [ ] ");
    EXPECT_FALSE(batch.error);
    EXPECT_TRUE(batch.items.empty());
}

TEST(notification, batch_with_one_bad_item_names_its_index)
{
    auto const batch = parse_notifications(R"([
        {"name":"a","type":"t","id":1},
        {"name":"b","type":"t","id":2},
        {"name":3,"type":"t","id":3}
    ])");
    EXPECT_EQ(batch.error, "[2].name: must be a string");
    EXPECT_TRUE(batch.items.empty());
}

TEST(notification, first_bad_item_of_a_batch_decides_the_error)
{
    EXPECT_EQ(error_of(R"([{"name":"a","type":"t","id":1},{"name":"b","type":"t","id":[]},
                           {"type":"t","id":1}])"),
              "[1].id: must be a number or a string");
}

TEST(notification, batch_item_that_is_not_an_object_is_named)
{
    EXPECT_EQ(error_of(R"([{"name":"a","type":"t","id":1}, 5])"), "[1]: must be an object");
    EXPECT_EQ(error_of(R"([[{"name":"a","type":"t","id":1}]])"), "[0]: must be an object");
}

TEST(notification, top_level_scalar_is_refused)
{
    for (auto const* body : {"42", "\"orders\"", "null", "true"})
        EXPECT_EQ(error_of(body), "body: must be a notification object or an array of them")
            << body;
}

TEST(notification, invalid_json_is_refused_with_the_parser_reason_and_position)
{
    auto const error = error_of(R"({"name":"u", oops})");
    EXPECT_EQ(error.rfind("invalid JSON: ", 0), 0u) << error;
    EXPECT_NE(error.find("at byte 14"), std::string::npos) << error;
    EXPECT_EQ(error.find("json.exception"), std::string::npos) << error;
}

TEST(notification, empty_or_truncated_or_trailing_text_is_invalid_json)
{
    for (auto const* body : {"", "   ", R"({"name":"u")", R"({"name":"u","type":"t","id":1} x)",
                             R"({"name":"u","type":"t","id":1}{})", "[1,]"}) {
        EXPECT_EQ(error_of(body).rfind("invalid JSON: ", 0), 0u) << body;
    }
}

TEST(notification, text_after_a_nul_byte_is_invalid_json)
{
    using namespace std::string_literals;
    EXPECT_EQ(error_of("{\"name\":\"u\",\"type\":\"t\",\"id\":1}\0{}"s),
              "invalid JSON: syntax error while parsing value - unexpected NUL byte at byte 31");
    EXPECT_EQ(error_of("[{\"name\":\"u\",\"type\":\"t\",\"id\":1}] \0"s).rfind("invalid JSON: ", 0),
              0u);
}

TEST(notification, parser_message_does_not_echo_the_offending_text)
{
    auto const body = "[\"" + std::string(10000, 'x') + "\n\"]";
    auto const error = error_of(body);
    EXPECT_EQ(error.rfind("invalid JSON: ", 0), 0u) << error;
    EXPECT_LT(error.size(), 250u) << error;
}

TEST(notification, number_too_large_for_a_double_is_invalid_json)
{
    auto const error = error_of(R"({"name":"u","type":"t","id":1e400})");
    EXPECT_EQ(error.rfind("invalid JSON: ", 0), 0u) << error;
    EXPECT_NE(error.find("overflow"), std::string::npos) << error;
}

TEST(notification, ill_formed_utf8_is_invalid_json)
{
    EXPECT_EQ(
        error_of("{\"name\":\"u\",\"type\":\"t\",\"id\":\"\xff\"}").rfind("invalid JSON: ", 0), 0u);
}

TEST(notification, megabyte_of_open_brackets_is_refused_without_parsing)
{
    EXPECT_EQ(error_of(std::string(1 << 20, '[')), "JSON nested deeper than 64 levels");
    EXPECT_EQ(error_of(std::string(1 << 20, '{')), "JSON nested deeper than 64 levels");
}

std::string object_nested(int depth)
{
    // The notification object itself is the first level; `data` holds the rest.
    std::string data = "0";
    for (int i = 1; i < depth; ++i)
        data = "[" + data + "]";
    return R"({"name":"u","type":"t","id":1,"data":)" + data + "}";
}

TEST(notification, nesting_of_64_levels_is_accepted_and_65_refused)
{
    EXPECT_FALSE(parse_notifications(object_nested(64)).error);
    EXPECT_EQ(error_of(object_nested(65)), "JSON nested deeper than 64 levels");
}

TEST(notification, brackets_inside_strings_do_not_count_as_nesting)
{
    auto const brackets = std::string(1000, '[');
    auto const n = only_item(R"({"name":"u","type":"t","id":1,"data":"\")" + brackets + R"("})");
    EXPECT_EQ(n.name, "u");
}

TEST(notification, escaped_backslash_before_a_quote_ends_the_string)
{
    // "\\" is a complete string, so the brackets after it are real nesting.
    auto const body = R"({"name":"u","type":"t","id":1,"s":"\\","data":)" + std::string(70, '[') +
                      std::string(70, ']') + "}";
    EXPECT_EQ(error_of(body), "JSON nested deeper than 64 levels");
}

TEST(notification, duplicate_key_is_judged_by_its_last_value_as_json_parse_does)
{
    auto const single = only_item(R"({"name":5,"type":"t","id":1,"name":"orders"})");
    EXPECT_EQ(single.name, "orders");
    EXPECT_EQ(error_of(R"({"name":"orders","type":"t","id":1,"name":5})"),
              "name: must be a string");
    EXPECT_EQ(error_of(R"([{"name":"a","type":"t","id":7,"id":[]}])"),
              "[0].id: must be a number or a string");
}

TEST(notification, duplicate_key_stays_twice_in_a_batch_item_so_its_reader_sees_the_last)
{
    auto const batch = parse_notifications(R"([{"name":"a","type":"t","id":1,"name":"b"}])");
    ASSERT_EQ(batch.items.size(), 1u);
    EXPECT_EQ(batch.items[0].name, "b");
    EXPECT_EQ(batch.items[0].body, R"({"name":"a","type":"t","id":1,"name":"b"})");
    EXPECT_EQ(nlohmann::json::parse(batch.items[0].body).at("name"), "b");
}

std::string object_with_keys(int count)
{
    std::string text = R"({"name":"u","type":"t","id":1)";
    for (int i = 0; i < count; ++i)
        text += ",\"k" + std::to_string(i) + "\":" + std::to_string(i);
    return text + "}";
}

TEST(notification, object_of_85000_keys_is_accepted_and_forwarded_as_sent)
{
    // About 1 MiB; a parser that inserts keys by linear search takes seconds on it.
    auto const body = object_with_keys(85000);
    auto const n = only_item(body);
    EXPECT_EQ(n.name, "u");
    EXPECT_EQ(n.body, body);
}

TEST(notification, batch_item_of_50000_keys_is_compact_json_with_its_keys_in_order)
{
    auto const item = object_with_keys(50000);
    auto const batch = parse_notifications("[ " + item + " ]");
    ASSERT_FALSE(batch.error) << *batch.error;
    ASSERT_EQ(batch.items.size(), 1u);
    EXPECT_EQ(batch.items[0].body, item);
}

TEST(notification, float_id_is_the_number_as_written)
{
    EXPECT_EQ(only_item(R"({"name":"u","type":"t","id":1.50})").id, "1.50");
    EXPECT_EQ(only_item(R"({"name":"u","type":"t","id":-2.5E3})").id, "-2.5E3");
    EXPECT_EQ(only_item(R"({"name":"u","type":"t","id":1e2})").id, "1e2");
    // Beyond 64 bits the id is still the digits sent, not a rounded double.
    EXPECT_EQ(only_item(R"({"name":"u","type":"t","id":123456789012345678901234567890})").id,
              "123456789012345678901234567890");
}

TEST(notification, batch_item_keeps_numbers_as_written)
{
    auto const batch =
        parse_notifications(R"([{"name":"u","type":"t","id":1.50,"n":[-0.0,1E+2,-3,0]}])");
    ASSERT_EQ(batch.items.size(), 1u);
    EXPECT_EQ(batch.items[0].id, "1.50");
    EXPECT_EQ(batch.items[0].body, R"({"name":"u","type":"t","id":1.50,"n":[-0.0,1E+2,-3,0]})");
}

TEST(notification, batch_item_with_escapes_and_utf8_reads_back_as_the_same_value)
{
    std::string controls;
    for (char c = 1; c < 0x20; ++c)
        controls += c;
    auto const item =
        nlohmann::json{{"name", "u"},
                       {"type", "t\"\\/"},
                       {"id", "\u00e9"},
                       {"k\"ey\n", {{"nul", std::string("a\0b", 3)}, {"controls", controls}}},
                       {"text", "caf\u00e9 \u2713 \U0001f600 \u2028 \x7f"},
                       {"list",
                        {nullptr, true, false, 0, -1, 18446744073709551615u, 0.25,
                         nlohmann::json::object(), nlohmann::json::array()}}};
    // Written with escapes by the sender: \u sequences, a surrogate pair, an escaped slash.
    std::string const sent = R"([{"name":"u","type":"t\"\\\/","id":"\u00e9",)"
                             R"("k\"ey\n":{"nul":"a\u0000b","controls":")" +
                             item["k\"ey\n"]["controls"].dump().substr(1) + R"(},)" +
                             R"("text":"caf\u00e9 \u2713 \ud83d\ude00 \u2028 \u007f",)" +
                             R"("list":[null,true,false,0,-1,18446744073709551615,0.25,{},[]]}])";
    ASSERT_EQ(nlohmann::json::parse(sent).at(0), item);

    auto const batch = parse_notifications(sent);
    ASSERT_FALSE(batch.error) << *batch.error;
    ASSERT_EQ(batch.items.size(), 1u);
    EXPECT_EQ(batch.items[0].id, "\u00e9");
    EXPECT_EQ(nlohmann::json::parse(batch.items[0].body), item) << batch.items[0].body;
    // Control characters are escaped; everything else valid UTF-8 goes out as is.
    EXPECT_NE(batch.items[0].body.find(R"("a\u0000b")"), std::string::npos);
    EXPECT_NE(batch.items[0].body.find("\\b\\t\\n\\u000b\\f\\r"), std::string::npos);
    EXPECT_NE(batch.items[0].body.find("caf\u00e9 \u2713 \U0001f600 \u2028 \x7f"),
              std::string::npos);
}

TEST(notification, syntax_error_after_a_bad_item_is_reported_instead)
{
    auto const error = error_of(R"([{"name":3,"type":"t","id":1}, {"name":"u"} x])");
    EXPECT_EQ(error.rfind("invalid JSON: ", 0), 0u) << error;
}

TEST(notification, event_name_grammar_accepts_letters_digits_and_four_marks)
{
    EXPECT_TRUE(is_valid_event_name("Orders_v2.items:created-1"));
    EXPECT_TRUE(is_valid_event_name(std::string(128, 'a')));
    EXPECT_FALSE(is_valid_event_name(std::string(129, 'a')));
    EXPECT_FALSE(is_valid_event_name(""));
    for (auto const* bad : {"a b", "a,b", "a/b", "é", "a\nb", "a*"})
        EXPECT_FALSE(is_valid_event_name(bad)) << bad;
}

TEST(notification, an_audience_is_read_and_never_forwarded)
{
    auto const single = only_item(
        R"({"name":"orders","audience":{"users":[42,"u_7"],"groups":["acme"]},"type":"t","id":1})");
    ASSERT_TRUE(single.audience);
    EXPECT_EQ(single.audience->users, (std::vector<std::string>{"42", "u_7"}));
    EXPECT_EQ(single.audience->groups, std::vector<std::string>{"acme"});
    EXPECT_EQ(single.body, R"({"name":"orders","type":"t","id":1})")
        << "the bytes as received less that member";

    auto const batch = parse_notifications(
        R"([{"name":"a","type":"t","audience":{"users":[1]},"id":1,"data":{"audience":2}},
            {"name":"b","type":"t","id":2}])");
    ASSERT_FALSE(batch.error) << *batch.error;
    ASSERT_EQ(batch.items.size(), 2u);
    ASSERT_TRUE(batch.items[0].audience);
    EXPECT_EQ(batch.items[0].body, R"({"name":"a","type":"t","id":1,"data":{"audience":2}})")
        << "compact JSON without it; a nested member of that name is data";
    EXPECT_FALSE(batch.items[1].audience) << "no audience: everyone who subscribed";
}

TEST(notification, the_last_audience_of_an_item_counts_and_none_is_forwarded)
{
    auto const single =
        only_item(R"({"audience":{"users":[1]},"name":"a","type":"t","id":1,"audience":{}})");
    ASSERT_TRUE(single.audience);
    EXPECT_TRUE(single.audience->users.empty());
    EXPECT_EQ(single.body, R"({"name":"a","type":"t","id":1})");
}

TEST(notification, a_malformed_audience_is_refused_naming_it)
{
    EXPECT_EQ(error_of(R"({"name":"a","type":"t","id":1,"audience":["42"]})"),
              "audience: must be an object");
    EXPECT_EQ(error_of(R"({"name":"a","type":"t","id":1,"audience":{"users":[{}]}})"),
              "audience.users[0]: must be a string or an integer");
    EXPECT_EQ(error_of(R"([{"name":"a","type":"t","id":1},
                           {"name":"a","type":"t","id":1,"audience":{"teams":[]}}])"),
              "[1].audience.teams: unknown member (users and groups only)");
}

} // namespace
} // namespace sse_server
