// sse-bench, the load generator, against the real daemon: small runs that must deliver every
// event exactly once and in order, so that the benchmark cannot silently rot.
#include "support/child_process.hpp"
#include "support/daemon_process.hpp"
#include "support/redis_server.hpp"
#include "support/shell_command.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <unistd.h>

namespace sse_server::test {
namespace {

struct bench_outcome
{
    int exit_status = -1;
    std::string output;
    nlohmann::json result; // the JSON line; discarded (null) when there is none
};

/** Runs sse-bench against `daemon` with `args` added, waits for it, keeps what it printed. */
bench_outcome run_bench(daemon_process const& daemon, redis_server const& redis,
                        std::string const& args)
{
    auto const command = std::string("'") + SSE_BENCH_BINARY + "'" +
                         " --clients 127.0.0.1:" + std::to_string(daemon.clients_port()) +
                         " --notify 127.0.0.1:" + std::to_string(daemon.notify_port()) +
                         " --redis 127.0.0.1:" + std::to_string(redis.port()) + " --server-pid " +
                         std::to_string(daemon.pid()) + " --duration 60 " + args;
    auto const ran = run_shell(command);
    bench_outcome out;
    out.exit_status = ran.exit_status;
    out.output = ran.output;
    auto const json_at = out.output.find("\n{");
    if (json_at != std::string::npos)
        out.result = nlohmann::json::parse(out.output.substr(json_at + 1), nullptr, false);
    if (out.result.is_discarded())
        out.result = nullptr;
    return out;
}

TEST(bench_smoke, streams_on_names_and_accounts_receive_every_notification_once)
{
    redis_server redis;
    daemon_process daemon{daemon_config(redis)};
    // 300 streams on 3 names, one notification in 10 for a single user, 300 notifications
    // pipelined on one connection (so order by sequence is checked too).
    auto const run = run_bench(daemon, redis,
                               "--connections 300 --events 3 --account-every 10 "
                               "--notifications 300 --pipeline 4 --source-addresses 8");
    ASSERT_TRUE(run.result.is_object()) << run.output;
    EXPECT_EQ(run.exit_status, 0) << run.output;
    EXPECT_EQ(run.result["ok"], true) << run.output;
    EXPECT_EQ(run.result["connections_open"], 300) << run.output;
    EXPECT_EQ(run.result["notifications_accepted"], 300) << run.output;
    EXPECT_EQ(run.result["loss"], 0) << run.output;
    EXPECT_EQ(run.result["duplicates"], 0) << run.output;
    EXPECT_EQ(run.result["order_violations"], 0) << run.output;
    // 270 notifications to 100 streams each, 30 account events to one stream each.
    EXPECT_EQ(run.result["events_delivered"], 270 * 100 + 30) << run.output;
    EXPECT_EQ(run.result["deliveries_reported"], 270 * 100 + 30) << run.output;
    EXPECT_GT(run.result["rss_connected_kb"].get<double>(), 0) << run.output;
}

TEST(bench_smoke, ingest_in_pipelined_batches_is_accepted_in_full)
{
    redis_server redis;
    daemon_process daemon{daemon_config(redis)};
    auto const run = run_bench(daemon, redis,
                               "--connections 0 --notifications 2000 --batch 10 --pipeline 8 "
                               "--notify-connections 2");
    ASSERT_TRUE(run.result.is_object()) << run.output;
    EXPECT_EQ(run.exit_status, 0) << run.output;
    EXPECT_EQ(run.result["notifications_accepted"], 2000) << run.output;
    EXPECT_EQ(run.result["posts"], 200) << run.output;
}

TEST(bench_smoke, a_stream_that_stops_reading_is_closed_by_the_daemon_and_the_others_lose_nothing)
{
    redis_server redis;
    daemon_process daemon{
        daemon_config(redis), {}, {{"SSE_SERVER_CLIENT_MAX_PENDING_BYTES", "32768"}}};
    // 2 of 20 streams stop reading; 3000 notifications of 2 KiB (6 MiB) overflow what the
    // kernel (4 MiB of send buffer at most, by default) and a 32 KiB queue hold for them.
    auto const run = run_bench(daemon, redis,
                               "--connections 20 --slow 2 --notifications 3000 --payload 2048 "
                               "--batch 4 --slow-drain 10000");
    ASSERT_TRUE(run.result.is_object()) << run.output;
    EXPECT_EQ(run.exit_status, 0) << run.output;
    EXPECT_EQ(run.result["slow_closed"], 2) << run.output;
    EXPECT_EQ(run.result["loss"], 0) << run.output;
    EXPECT_EQ(run.result["events_delivered"], 3000 * 18) << run.output;
}

TEST(bench_smoke, an_audience_reaches_exactly_the_streams_it_names_whole_or_in_batches)
{
    redis_server redis;
    // Only the keys' own patterns grant: the last of each key's three.
    daemon_process daemon{daemon_config(redis, "[auth.api_key]\ngrants_pointer = \"/grants\"\n"
                                               "groups_pointer = \"/groups\"\n"
                                               "[events]\ngrants = []\n")};
    // 200 streams; home groups g0..g3, the audience names g0, g1 (100 streams) and the users
    // of streams 0..9, of which 2, 3, 6, 7 are not in those groups: 104 receive, 96 must not.
    // One notification in 10 is an account event, which carries no audience.
    for (auto const* batch : {"1", "3"}) {
        auto const run =
            run_bench(daemon, redis,
                      std::string("--connections 200 --claims-grants 3 --claims-groups 4 "
                                  "--audience-users 10 --audience-groups 2 --account-every 10 "
                                  "--notifications 60 --pipeline 2 --source-addresses 8 --batch ") +
                          batch);
        ASSERT_TRUE(run.result.is_object()) << run.output;
        EXPECT_EQ(run.exit_status, 0) << run.output;
        EXPECT_EQ(run.result["connections_open"], 200) << run.output;
        EXPECT_EQ(run.result["misrouted"], 0) << run.output;
        EXPECT_EQ(run.result["unexpected_events"], 0) << run.output;
        EXPECT_EQ(run.result["events_delivered"], 54 * 104 + 6) << run.output;
        EXPECT_EQ(run.result["deliveries_reported"], 54 * 104 + 6) << run.output;
    }
}

TEST(bench_smoke, a_broadcast_reaches_every_stream_and_the_named_ones_only_their_name)
{
    redis_server redis;
    daemon_process daemon{daemon_config(redis)};
    // 200 streams on 4 names and bench-all: notification 0 to all, then 40 to 50 streams each.
    auto const run = run_bench(daemon, redis,
                               "--connections 200 --events 4 --broadcast 1 --notifications 41 "
                               "--source-addresses 8");
    ASSERT_TRUE(run.result.is_object()) << run.output;
    EXPECT_EQ(run.exit_status, 0) << run.output;
    EXPECT_EQ(run.result["loss"], 0) << run.output;
    EXPECT_EQ(run.result["misrouted"], 0) << run.output;
    EXPECT_EQ(run.result["events_delivered"], 200 + 40 * 50) << run.output;
    EXPECT_EQ(run.result["deliveries_reported"], 200 + 40 * 50) << run.output;
    EXPECT_TRUE(run.result["broadcast_latency_ms"].is_object()) << run.output;
}

/** A directory of its own for one test's keys, removed with it. */
struct key_dir
{
    std::filesystem::path path =
        std::filesystem::path(::testing::TempDir()) /
        ("bench-keys-" + std::to_string(::getpid()) + "-" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    key_dir() { std::filesystem::create_directories(path); }
    ~key_dir()
    {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    key_dir(key_dir const&) = delete;
    key_dir& operator=(key_dir const&) = delete;
    std::string operator/(char const* name) const { return (path / name).string(); }
};

// bench/run.sh's connect-jwt-* scenarios, small: tokens signed by sse-bench with keys made by
// openssl, verified by a daemon that knows no other way in (so no stream opens on an API key).
TEST(bench_smoke, streams_with_signed_tokens_rs256_and_hs256_all_open_and_receive)
{
    key_dir const keys;
    auto const made = run_shell(
        "cd '" + keys.path.string() +
        "' && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem "
        "&& openssl pkey -in rsa.pem -pubout -out rsa.pub.pem && openssl rand -hex 32 >secret");
    ASSERT_EQ(made.exit_status, 0) << made.output;
    struct way
    {
        char const* key_setting;
        std::string daemon_key;
        std::string bench_option;
    };
    for (auto const& w : {way{"key_file", keys / "rsa.pub.pem", "--jwt-rs256 " + keys / "rsa.pem"},
                          way{"secret_file", keys / "secret", "--jwt-hs256 " + keys / "secret"}}) {
        redis_server redis;
        daemon_process daemon{daemon_config(redis, std::string("[auth]\nmethods = [\"jwt\"]\n"
                                                               "[auth.jwt]\n") +
                                                       w.key_setting + " = \"" + w.daemon_key +
                                                       "\"\n")};
        auto const run = run_bench(daemon, redis,
                                   "--connections 200 --events 2 --notifications 20 "
                                   "--source-addresses 8 " +
                                       w.bench_option);
        ASSERT_TRUE(run.result.is_object()) << run.output;
        EXPECT_EQ(run.exit_status, 0) << run.output;
        EXPECT_EQ(run.result["connections_open"], 200) << run.output;
        EXPECT_EQ(run.result["loss"], 0) << run.output;
        EXPECT_EQ(run.result["events_delivered"], 20 * 100) << run.output;
    }
}

// bench/run.sh's connect-hook-* scenarios, small: sse-bench serves the auth hook, the daemon
// asks it (and nothing else); a second pass of the same streams is answered from the
// daemon's cache, so the hook sees each credential once.
TEST(bench_smoke, streams_through_the_auth_hook_all_open_and_a_second_pass_hits_the_cache)
{
    using namespace std::chrono_literals;
    child_process hook({SSE_BENCH_BINARY, "--serve-hook", "127.0.0.1:0"}, {});
    ASSERT_TRUE(hook.wait_for_output(" (ready)\n", 20s)) << hook.output();
    auto const line = hook.output();
    auto const colon = line.rfind(':', line.find(" (ready)"));
    auto const port = line.substr(colon + 1, line.find(" (ready)") - colon - 1);

    redis_server redis;
    daemon_process daemon{daemon_config(redis, "[auth]\nmethods = [\"hook\"]\n[auth.hook]\n"
                                               "url = \"http://127.0.0.1:" +
                                                   port + "/sse/auth\"\ncache_ttl = \"10m\"\n")};
    for (int pass = 0; pass < 2; ++pass) {
        auto const run = run_bench(daemon, redis,
                                   "--connections 200 --notifications 10 --source-addresses 8");
        ASSERT_TRUE(run.result.is_object()) << run.output;
        EXPECT_EQ(run.exit_status, 0) << "pass " << pass << ": " << run.output;
        EXPECT_EQ(run.result["connections_open"], 200) << run.output;
        EXPECT_EQ(run.result["loss"], 0) << run.output;
    }

    hook.signal(SIGTERM);
    ASSERT_EQ(hook.wait_exit(20s), 0) << hook.output();
    auto const out = hook.output();
    auto const report = nlohmann::json::parse(out.substr(out.find("\n{") + 1), nullptr, false);
    ASSERT_TRUE(report.is_object()) << out;
    EXPECT_EQ(report["hook_ok"], 200) << out;
    EXPECT_EQ(report["hook_refused"], 0) << out;
}

// bench/cluster.sh scale-1m at 3 daemons x 2 000 streams, so that the million streams'
// scenario keeps working: the script with this build's binaries (it builds nothing then),
// its own Redis and daemons, everything stopped on exit. Its connect storm kills daemon 3
// during the steady rate; the daemons announce a retry: of 1 s so that its 2 000 streams come
// back on daemons 1 and 2 within about a second and a half.
TEST(bench_smoke, the_million_streams_scenario_runs_small_and_loses_nothing)
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 ||
        (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < 3100))
        GTEST_SKIP() << "3 100 descriptors per process needed (a daemon that survives the "
                        "storm holds 3 000 streams)";
    if (run_shell("command -v jq").exit_status != 0)
        GTEST_SKIP() << "jq is missing (the script reads its results with it)";
    auto const work = std::string(SSE_SERVER_TEST_WORK_DIR) + "/scale-1m";
    auto const run =
        run_shell(std::string("cd '") + SSE_SERVER_SOURCE_DIR + "' && env SSE_BENCH_DAEMON='" +
                  SSE_SERVER_BINARY + "' SSE_BENCH_GENERATOR='" + SSE_BENCH_BINARY +
                  "' SSE_BENCH_BUILD_DIR='" + work +
                  "' SSE_BENCH_SCALE_DAEMONS=3 SSE_BENCH_SCALE_STREAMS=2000 SSE_BENCH_SCALE_HOLD=2"
                  " SSE_BENCH_SCALE_STEADY=2 SSE_SERVER_CLIENT_RETRY=1s"
                  " bench/cluster.sh scale-1m");
    EXPECT_EQ(run.exit_status, 0) << run.output;
    EXPECT_NE(run.output.find("| streams reached | 6000 | 6000 | yes |"), std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("| loss (broadcast + steady), events | 0 | 0 | yes |"),
              std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("| duplicates, out of order, misrouted, unexpected | 0 | 0 | yes |"),
              std::string::npos)
        << run.output;
    // The storm: every stream of the killed daemon back, resumed without a gap or a repeat.
    EXPECT_NE(run.output.find("| storm: streams moved, back | 2000, 2000 | 2000, 2000 | yes |"),
              std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("resyncs | 0, 0; 0 | 0 | yes |"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("(every notification routed to them, once) | 0; 0 | 0; 0 | yes |"),
              std::string::npos)
        << run.output;
    // The survivors stay ready while the moved streams come back.
    EXPECT_NE(run.output.find("| storm: /readyz non-200 answers during the storm | 0 | 0 | yes |"),
              std::string::npos)
        << run.output;
}

} // namespace
} // namespace sse_server::test
