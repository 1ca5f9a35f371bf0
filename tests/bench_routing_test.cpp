// The load generator's routing and options (bench/): what a broadcast run expects of each
// stream, and which combinations it refuses.
#include "bench/options.hpp"
#include "bench/routing.hpp"

#include <gtest/gtest.h>

namespace sse_server::bench {
namespace {

TEST(bench_routing, broadcasts_come_first_and_the_rest_are_routed_as_without_them)
{
    router const with(3, 10, 0, 2);
    router const without(3, 10, 0);
    for (std::uint64_t seq = 0; seq < 2; ++seq) {
        auto const r = with.of(seq);
        EXPECT_TRUE(r.broadcast);
        EXPECT_FALSE(r.account);
        EXPECT_EQ(r.position, seq);
    }
    for (std::uint64_t seq = 2; seq < 20; ++seq) {
        auto const r = with.of(seq);
        auto const same = without.of(seq - 2);
        EXPECT_FALSE(r.broadcast);
        EXPECT_EQ(r.index, same.index) << seq;
        EXPECT_EQ(r.position, same.position) << seq;
    }
}

TEST(bench_routing, positions_count_broadcasts_apart_from_names_and_users)
{
    router const r(100, 2000, 0, 1);
    EXPECT_EQ(r.broadcast_positions(301), 1u);
    EXPECT_EQ(r.name_positions(301), 3u) << "300 named notifications on 100 names";
    EXPECT_EQ(r.name_positions(1), 0u) << "only the broadcast";
    EXPECT_EQ(r.broadcast_positions(0), 0u);

    router const accounts(2, 4, 3, 1); // after the broadcast, every third is an account event
    EXPECT_TRUE(accounts.of(3).account);
    EXPECT_FALSE(accounts.of(2).account);
    EXPECT_EQ(accounts.user_positions(7), 1u) << "two account events for four users";
    EXPECT_EQ(accounts.name_positions(7), 2u) << "four named ones on two names";
}

TEST(bench_routing, without_broadcasts_nothing_is_one)
{
    router const r(4, 8, 0);
    for (std::uint64_t seq = 0; seq < 16; ++seq)
        EXPECT_FALSE(r.of(seq).broadcast);
    EXPECT_EQ(r.broadcast_positions(16), 0u);
}

std::optional<std::string> error_of(std::vector<std::string> const& args)
{
    return parse_options(args).error;
}

TEST(bench_options, a_broadcast_run_and_its_poster_parse)
{
    auto const receiver =
        parse_options({"--receive-only", "--connections", "2000", "--events", "100", "--broadcast",
                       "1", "--notifications", "21", "--broadcast-file", "b"});
    ASSERT_FALSE(receiver.error) << *receiver.error;
    EXPECT_EQ(receiver.opts.broadcast, 1u);
    EXPECT_EQ(receiver.opts.broadcast_file, "b");
    auto const poster = parse_options(
        {"--connections", "0", "--broadcast", "1", "--notifications", "21", "--post-from", "1"});
    ASSERT_FALSE(poster.error) << *poster.error;
    EXPECT_EQ(poster.opts.post_from, 1u);
}

TEST(bench_options, broadcasts_and_partial_posting_refuse_what_they_cannot_check)
{
    EXPECT_TRUE(error_of({"--broadcast", "5", "--notifications", "4"}));
    EXPECT_TRUE(error_of({"--broadcast", "1", "--target", "nchan", "--notifications", "4"}));
    EXPECT_TRUE(error_of({"--broadcast", "1", "--audience-users", "3"}));
    EXPECT_TRUE(error_of({"--broadcast-file", "b", "--connections", "10"}))
        << "no broadcast to wait for";
    EXPECT_TRUE(error_of({"--post-from", "1", "--connections", "10"}))
        << "its own streams would miss the first notifications";
    EXPECT_TRUE(error_of({"--post-from", "4", "--connections", "0", "--notifications", "4"}));
}

TEST(bench_options, tokens_take_one_algorithm_and_the_hook_any_loopback_port)
{
    auto const signed_run = parse_options({"--jwt-rs256", "key.pem", "--connections", "10"});
    ASSERT_FALSE(signed_run.error) << *signed_run.error;
    EXPECT_EQ(signed_run.opts.jwt, jwt_algorithm::rs256);
    EXPECT_EQ(signed_run.opts.jwt_key_file, "key.pem");
    EXPECT_TRUE(error_of({"--jwt-rs256", "key.pem", "--jwt-hs256", "secret"}))
        << "one algorithm per run";
    EXPECT_TRUE(error_of({"--jwt-hs256", "secret", "--target", "nchan"}));
    EXPECT_TRUE(error_of({"--jwt-hs256", "secret", "--claims-groups", "2"}));

    auto const hook = parse_options({"--serve-hook", "127.0.0.1:0"});
    ASSERT_FALSE(hook.error) << *hook.error;
    ASSERT_TRUE(hook.opts.serve_hook);
    EXPECT_EQ(hook.opts.serve_hook->port, 0);
    EXPECT_TRUE(error_of({"--serve-hook", "10.0.0.1:8000"})) << "loopback only";
    EXPECT_TRUE(error_of({"--clients", "127.0.0.1:0"})) << "port 0 is the hook's alone";
}

} // namespace
} // namespace sse_server::bench
