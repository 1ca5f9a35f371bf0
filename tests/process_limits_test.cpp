#include "sse_server/process_limits.hpp"

#include <gtest/gtest.h>

namespace sse_server {
namespace {

TEST(process_limits, warn_only_when_max_connections_cannot_be_reached)
{
    // 1024 descriptors keep 64 in reserve: 960 streams.
    EXPECT_FALSE(descriptor_warning(960, 1024));
    auto const warning = descriptor_warning(961, 1024);
    ASSERT_TRUE(warning);
    EXPECT_NE(warning->find("limits.max_connections is 961"), std::string::npos) << *warning;
    EXPECT_NE(warning->find("room for 960 streams"), std::string::npos) << *warning;
    EXPECT_FALSE(descriptor_warning(100000, 0)) << "an unknown limit says nothing";
    EXPECT_FALSE(descriptor_warning(100000, 131072));
}

} // namespace
} // namespace sse_server
