#include "sse_server/base/ip_network.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace sse_server {
namespace {

ip_address address(std::string_view text)
{
    auto const parsed = parse_ip_address(text);
    EXPECT_TRUE(parsed) << text;
    return parsed.value_or(ip_address{});
}

ip_network network(std::string_view text)
{
    auto const parsed = parse_ip_network(text);
    EXPECT_TRUE(parsed) << text;
    return parsed.value_or(ip_network{});
}

TEST(ip_address, ipv4_and_ipv6_read_back_as_written)
{
    for (auto const* text :
         {"192.0.2.7", "0.0.0.0", "255.255.255.255", "2001:db8::1", "::1", "::", "fe80::1:2:3:4"})
        EXPECT_EQ(to_string(address(text)), text);
}

TEST(ip_address, ipv4_equals_its_ipv4_mapped_ipv6_form)
{
    EXPECT_EQ(address("192.0.2.7"), address("::ffff:192.0.2.7"));
    EXPECT_TRUE(address("::ffff:192.0.2.7").is_v4());
    EXPECT_EQ(to_string(address("::ffff:192.0.2.7")), "192.0.2.7");
    EXPECT_FALSE(address("::192.0.2.7").is_v4()) << "IPv4-compatible is not IPv4-mapped";
    EXPECT_EQ(address("192.0.2.7"), ip_address::v4({192, 0, 2, 7}));
}

TEST(ip_address, anything_else_is_refused)
{
    for (std::string const& text : std::vector<std::string>{
             "", " 192.0.2.7", "192.0.2.7 ", "192.0.2", "192.0.2.256", "010.0.0.1", "1.2.3.4.5",
             "[::1]", "::1%eth0", "192.0.2.7:80", "2001:db8:::1", "localhost", "unknown", "_hidden",
             std::string("192.0.2.7\0", 10), std::string(46, '1'), std::string(10000, ':')})
        EXPECT_FALSE(parse_ip_address(text)) << text;
}

TEST(ip_network, cidr_and_single_addresses_are_parsed_and_written_back)
{
    for (auto const* text : {"10.0.0.0/8", "192.168.1.0/24", "192.0.2.7/32", "0.0.0.0/0",
                             "2001:db8::/32", "::1/128", "::/0", "fe80::/10"})
        EXPECT_EQ(to_string(network(text)), text);
    EXPECT_EQ(network("192.0.2.7"), network("192.0.2.7/32"));
    EXPECT_EQ(network("::1"), network("::1/128"));
    EXPECT_EQ(to_string(network("::ffff:10.0.0.0/104")), "10.0.0.0/8");
}

TEST(ip_network, bad_prefixes_and_bits_past_the_prefix_are_refused)
{
    for (auto const* text :
         {"10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/8/8", "10.0.0.0/08x",
          "2001:db8::1/32", "::/129", "/8", "10.0.0.0/ 8", "10.0.0.0/0008", "garbage/8"})
        EXPECT_FALSE(parse_ip_network(text)) << text;
}

TEST(ip_network, contains_the_addresses_under_its_prefix_and_no_other)
{
    auto const ten = network("10.0.0.0/8");
    EXPECT_TRUE(ten.contains(address("10.0.0.0")));
    EXPECT_TRUE(ten.contains(address("10.255.255.255")));
    EXPECT_TRUE(ten.contains(address("::ffff:10.1.2.3"))) << "an IPv4 peer of a dual-stack socket";
    EXPECT_FALSE(ten.contains(address("11.0.0.0")));
    EXPECT_FALSE(ten.contains(address("::a00:1"))) << "IPv6, not IPv4-mapped";

    auto const odd = network("192.168.1.128/25");
    EXPECT_TRUE(odd.contains(address("192.168.1.200")));
    EXPECT_FALSE(odd.contains(address("192.168.1.127")));

    auto const v6 = network("2001:db8::/32");
    EXPECT_TRUE(v6.contains(address("2001:db8:ffff::1")));
    EXPECT_FALSE(v6.contains(address("2001:db9::1")));
    EXPECT_FALSE(v6.contains(address("10.0.0.1")));

    EXPECT_TRUE(network("0.0.0.0/0").contains(address("203.0.113.9")));
    EXPECT_FALSE(network("0.0.0.0/0").contains(address("2001:db8::1")));
    EXPECT_TRUE(network("::/0").contains(address("2001:db8::1")));
    EXPECT_TRUE(network("192.0.2.7").contains(address("192.0.2.7")));
    EXPECT_FALSE(network("192.0.2.7").contains(address("192.0.2.8")));

    std::vector<ip_network> const trusted = {network("10.0.0.0/8"), network("::1")};
    EXPECT_TRUE(contains_any(trusted, address("::1")));
    EXPECT_TRUE(contains_any(trusted, address("10.9.9.9")));
    EXPECT_FALSE(contains_any(trusted, address("127.0.0.1")));
    EXPECT_FALSE(contains_any({}, address("10.9.9.9")));
}

} // namespace
} // namespace sse_server
