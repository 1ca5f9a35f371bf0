#include "sse_server/stream/stream_origin.hpp"

#include <gtest/gtest.h>
#include <random>
#include <string>
#include <vector>

namespace sse_server {
namespace {

TEST(stream_origin, random_origins_are_distinct_uuid_v4)
{
    std::mt19937_64 random(std::random_device{}());
    auto const a = stream_origin::random(random).str();
    auto const b = stream_origin::random(random).str();
    EXPECT_NE(a, b);
    ASSERT_EQ(a.size(), 36u);
    EXPECT_EQ(a[8], '-');
    EXPECT_EQ(a[13], '-');
    EXPECT_EQ(a[14], '4');
    EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef-"), std::string::npos) << a;
}

TEST(stream_origin, every_text_comes_back_as_the_client_sent_it)
{
    for (std::string const& text : std::vector<std::string>{
             "0f8e2a4c-9b1d-4e3f-8a7b-6c5d4e3f2a1b", // a UUID as the browser client makes them
             "0F8E2A4C-9B1D-4E3F-8A7B-6C5D4E3F2A1B", // uppercase: kept as text, not lowercased
             "0f8e2a4c-9b1d-4e3f-8a7b-6c5d4e3f2a1",  // one digit short
             "0f8e2a4c-9b1d-4e3f-8a7b-6c5d4e3f2a1bc", "0f8e2a4c09b1d-4e3f-8a7b-6c5d4e3f2a1b",
             "0f8e2a4c-9b1d-4e3f-8a7b-6c5d4e3f2a1g", "0f8e2a4c-9b1d-4e3f-8a7b_6c5d4e3f2a1b",
             "tab-1", "x", std::string(64, 'z'), "00000000-0000-0000-0000-000000000000"})
        EXPECT_EQ(stream_origin(text).str(), text);
}

TEST(stream_origin, a_random_origin_read_back_is_the_same)
{
    std::mt19937_64 random(7);
    auto const made = stream_origin::random(random);
    EXPECT_EQ(stream_origin(made.str()), made);
}

} // namespace
} // namespace sse_server
