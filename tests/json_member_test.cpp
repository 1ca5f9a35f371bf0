#include "sse_server/event/json_member.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <random>
#include <string>

using namespace sse_server;

TEST(json_member, the_member_goes_and_every_other_byte_stays)
{
    EXPECT_EQ(without_member(R"({"name":"a","audience":{"users":[1]},"id":1.50})", "audience"),
              R"({"name":"a","id":1.50})");
    EXPECT_EQ(without_member(R"({ "audience" : {"users":[1]} , "name" : "a" })", "audience"),
              R"({ "name" : "a" })");
    EXPECT_EQ(without_member(R"({"name":"a",  "audience":{"groups":["g"]}  })", "audience"),
              R"({"name":"a"  })");
    EXPECT_EQ(without_member(R"({"audience":{}})", "audience"), "{}");
}

TEST(json_member, an_object_without_it_comes_back_unchanged)
{
    std::string const text = R"( {"name":"a","data":{"audience":1},"x":"\"audience\""} )";
    EXPECT_EQ(without_member(text, "audience"), text) << "nested members and strings stay";
}

TEST(json_member, every_occurrence_goes_including_escaped_spellings)
{
    EXPECT_EQ(without_member(R"({"audience":1,"a":[1,{"b":"}"}],"audi\u0065nce":"x","z":null})",
                             "audience"),
              R"({"a":[1,{"b":"}"}],"z":null})");
}

TEST(json_member, what_remains_is_the_same_json_less_that_member)
{
    // Random objects: the result parses, and equals the parsed input less the key.
    auto const seed = std::random_device{}();
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);
    std::vector<std::string> const values{R"(1)", R"(-2.5e3)", R"("s,}")", R"("a\"b")", "true",
                                          "null", R"({"audience":[1]})", R"([{"x":"]"}])"};
    std::vector<std::string> const keys{"audience", "name", "data", "id"};
    for (int round = 0; round < 500; ++round) {
        std::string text = "{";
        auto const count = random() % 5;
        for (unsigned i = 0; i < count; ++i) {
            if (i)
                text += random() % 2 ? "," : " ,\n ";
            text += '"' + keys[random() % keys.size()] + "\":" + values[random() % values.size()];
        }
        text += "}";
        auto expected = nlohmann::json::parse(text); // the last duplicate wins, as in JSON.parse
        expected.erase("audience");
        auto const result = without_member(text, "audience");
        EXPECT_EQ(nlohmann::json::parse(result), expected) << text << " -> " << result;
    }
}
