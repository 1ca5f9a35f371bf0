#include "sse_server/process_limits.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <iostream>
#include <unistd.h>

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

TEST(process_limits, descriptors_are_counted_as_a_listing_counts_them)
{
    auto const listed = listed_descriptors();
    ASSERT_TRUE(listed);
    if (auto const counted = counted_descriptors())
        EXPECT_EQ(*counted, *listed);
    else
        std::cout << "this kernel does not count descriptors (before Linux 6.2): listed\n";
    auto const before = open_descriptor_count();
    int const fd = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(open_descriptor_count(), *before + 1);
    EXPECT_EQ(listed_descriptors(), *listed + 1);
    ::close(fd);
}

} // namespace
} // namespace sse_server
