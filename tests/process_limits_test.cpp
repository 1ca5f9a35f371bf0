#include "sse_server/ops/process_limits.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <iostream>
#include <unistd.h>

namespace sse_server {
namespace {

TEST(process_limits, warn_only_when_max_connections_cannot_be_reached)
{
    // 1024 descriptors keep 64 in reserve and 64 for the notification port: 896 streams.
    config const cfg;
    auto const kept = descriptors_kept_from_clients(cfg, 1024);
    EXPECT_EQ(kept, 128u);
    EXPECT_FALSE(descriptor_warning(896, 1024, kept));
    auto const warning = descriptor_warning(897, 1024, kept);
    ASSERT_TRUE(warning);
    EXPECT_NE(warning->find("limits.max_connections is 897"), std::string::npos) << *warning;
    EXPECT_NE(warning->find("room for 896 streams"), std::string::npos) << *warning;
    EXPECT_FALSE(descriptor_warning(100000, 0, 0)) << "an unknown limit says nothing";
    EXPECT_FALSE(descriptor_warning(100000, 131072, descriptors_kept_from_clients(cfg, 131072)));
}

TEST(process_limits, each_admin_port_holds_its_cap_or_a_sixteenth_of_a_small_limit)
{
    config cfg;
    EXPECT_EQ(admin_port_cap(cfg, 0), 256u) << "an unknown limit: the configured cap";
    EXPECT_EQ(admin_port_cap(cfg, 1048576), 256u);
    EXPECT_EQ(admin_port_cap(cfg, 1024), 64u);
    EXPECT_EQ(admin_port_cap(cfg, 8), 1u);
    cfg.notify.max_connections = 4;
    EXPECT_EQ(admin_port_cap(cfg, 1048576), 4u);
    // The reserve (64), then the notification port, and the metrics port when it is open.
    EXPECT_EQ(descriptors_kept_from_clients(cfg, 1048576), 68u);
    cfg.listen.metrics = host_port{"127.0.0.1", 9090};
    EXPECT_EQ(descriptors_kept_from_clients(cfg, 1048576), 72u);
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
