#include "sse_server/http/forwarded_client.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace sse_server {
namespace {

std::vector<ip_network> const proxies = {*parse_ip_network("10.0.0.0/8"),
                                         *parse_ip_network("2001:db8:1::/48")};
ip_address const proxy = *parse_ip_address("10.0.0.1");

// What forwarded_client() makes of these header lines from `peer`: the address, or "peer".
std::string client_of(std::vector<std::string_view> const& x_forwarded_for,
                      std::vector<std::string_view> const& forwarded = {},
                      ip_address const& peer = proxy)
{
    auto const client = forwarded_client(peer, {x_forwarded_for, forwarded}, proxies);
    return client ? to_string(*client) : "peer";
}

TEST(forwarded_client, headers_from_an_untrusted_peer_are_ignored)
{
    auto const stranger = *parse_ip_address("203.0.113.9");
    EXPECT_EQ(client_of({"198.51.100.1"}, {}, stranger), "peer");
    EXPECT_EQ(client_of({}, {"for=198.51.100.1"}, stranger), "peer");
    EXPECT_EQ(forwarded_client(proxy, {{}, {}}, {}), std::nullopt) << "no trusted proxies";
}

TEST(forwarded_client, a_trusted_proxy_names_the_client)
{
    EXPECT_EQ(client_of({"198.51.100.1"}), "198.51.100.1");
    EXPECT_EQ(client_of({" 198.51.100.1 \t"}), "198.51.100.1");
    EXPECT_EQ(client_of({"2001:db8:2::7"}), "2001:db8:2::7");
    EXPECT_EQ(client_of({"198.51.100.1"}, {}, *parse_ip_address("::ffff:10.0.0.1")), "198.51.100.1")
        << "a proxy seen on a dual-stack socket";
    EXPECT_EQ(client_of({}), "peer") << "a trusted proxy that names nobody";
}

TEST(forwarded_client, the_walk_from_the_right_stops_at_the_first_untrusted_address)
{
    // The client wrote the first address itself; only what trusted proxies added counts.
    EXPECT_EQ(client_of({"6.6.6.6, 198.51.100.1, 10.0.0.2, 10.0.0.3"}), "198.51.100.1");
    EXPECT_EQ(client_of({"6.6.6.6, 198.51.100.1"}), "198.51.100.1");
    EXPECT_EQ(client_of({"10.0.0.9, 10.0.0.2"}), "10.0.0.9") << "all trusted: the leftmost";
}

TEST(forwarded_client, several_lines_are_one_list_in_order)
{
    EXPECT_EQ(client_of({"6.6.6.6", "198.51.100.1, 10.0.0.2", "10.0.0.3"}), "198.51.100.1");
    EXPECT_EQ(client_of({"198.51.100.1", ""}), "198.51.100.1") << "an empty line adds no hop";
    EXPECT_EQ(client_of({"198.51.100.1, , 10.0.0.2,"}), "198.51.100.1")
        << "empty elements are no hops";
}

TEST(forwarded_client, a_hop_that_is_no_address_ends_the_walk_at_the_proxy_that_reported_it)
{
    EXPECT_EQ(client_of({"198.51.100.1, unknown, 10.0.0.2"}), "10.0.0.2");
    EXPECT_EQ(client_of({"198.51.100.1, garbage"}), "peer");
    EXPECT_EQ(client_of({"unknown"}), "peer");
    EXPECT_EQ(client_of({"198.51.100.1, 010.0.0.2"}), "peer") << "no octal guessing";
}

TEST(forwarded_client, ports_and_brackets_are_accepted_and_dropped)
{
    EXPECT_EQ(client_of({"198.51.100.1:4711"}), "198.51.100.1");
    EXPECT_EQ(client_of({"[2001:db8:2::7]:4711"}), "2001:db8:2::7");
    EXPECT_EQ(client_of({"[2001:db8:2::7]"}), "2001:db8:2::7");
    EXPECT_EQ(client_of({"[198.51.100.1]"}), "peer") << "brackets hold IPv6 only";
    EXPECT_EQ(client_of({"198.51.100.1:"}), "peer");
    EXPECT_EQ(client_of({"198.51.100.1:123456"}), "peer");
    EXPECT_EQ(client_of({"[2001:db8:2::7]x"}), "peer");
}

TEST(forwarded_client, forwarded_for_is_read_as_rfc_7239_writes_it)
{
    EXPECT_EQ(client_of({}, {"for=198.51.100.1;proto=https;by=10.0.0.1"}), "198.51.100.1");
    EXPECT_EQ(client_of({}, {R"(For="[2001:db8:2::7]:4711")"}), "2001:db8:2::7");
    EXPECT_EQ(client_of({}, {R"(proto=http; for="198.51.100.1:80")"}), "198.51.100.1");
    EXPECT_EQ(client_of({}, {"for=6.6.6.6, for=198.51.100.1, for=10.0.0.2"}), "198.51.100.1");
    EXPECT_EQ(client_of({}, {"for=6.6.6.6", "for=198.51.100.1;by=x"}), "198.51.100.1");
    // A comma or semicolon inside a quoted string splits nothing.
    EXPECT_EQ(client_of({}, {R"(for=198.51.100.1;ext="a, b;c", for=10.0.0.2)"}), "198.51.100.1");
    EXPECT_EQ(client_of({}, {R"(for="198.51.100\.1")"}), "198.51.100.1") << "escapes undone";
}

TEST(forwarded_client, forwarded_hops_without_an_address_end_the_walk)
{
    EXPECT_EQ(client_of({}, {"for=198.51.100.1, for=unknown, for=10.0.0.2"}), "10.0.0.2");
    EXPECT_EQ(client_of({}, {R"(for="_hidden")"}), "peer");
    EXPECT_EQ(client_of({}, {"proto=https"}), "peer") << "an element without for=";
    EXPECT_EQ(client_of({}, {R"(for="198.51.100.1)"}), "198.51.100.1") << "unterminated quote";
}

TEST(forwarded_client, x_forwarded_for_wins_over_forwarded)
{
    EXPECT_EQ(client_of({"198.51.100.1"}, {"for=198.51.100.2"}), "198.51.100.1");
}

TEST(forwarded_client, hostile_values_give_an_answer_in_linear_time)
{
    // The header block is at most 8 KiB; these are far longer, and still cheap.
    std::string many_hops = "198.51.100.1";
    for (int i = 0; i < 100000; ++i)
        many_hops += ", 10.0.0.2";
    std::string overlong(1 << 20, '1');
    std::string quotes(1 << 20, '"');
    std::string commas(1 << 20, ',');
    std::string nested = "for=\"" + std::string(1 << 20, '\\');
    std::string garbage;
    for (std::size_t i = 0; i < (std::size_t{1} << 20); ++i)
        garbage += static_cast<char>(i * 7919 % 256);

    auto const started = std::chrono::steady_clock::now();
    EXPECT_EQ(client_of({many_hops}), "198.51.100.1");
    EXPECT_EQ(client_of({}, {std::string("for=198.51.100.1, ") + many_hops}), "peer");
    EXPECT_EQ(client_of({overlong}), "peer");
    EXPECT_EQ(client_of({"198.51.100.1, " + overlong + ":80, 10.0.0.2"}), "10.0.0.2");
    EXPECT_EQ(client_of({}, {"for=" + overlong}), "peer");
    EXPECT_EQ(client_of({}, {"for=\"" + overlong + "\""}), "peer");
    EXPECT_EQ(client_of({quotes}), "peer");
    EXPECT_EQ(client_of({}, {quotes}), "peer");
    EXPECT_EQ(client_of({commas}), "peer");
    EXPECT_EQ(client_of({}, {commas}), "peer");
    EXPECT_EQ(client_of({}, {nested}), "peer");
    EXPECT_EQ(client_of({garbage}, {}), "peer");
    EXPECT_EQ(client_of({std::string_view("198.51.100.1\0.5", 15)}), "peer") << "a NUL byte";
    EXPECT_EQ(client_of({}, {garbage}), "peer");
    // A generous bound, as for the other hostile inputs: quadratic work would take minutes.
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

} // namespace
} // namespace sse_server
