#pragma once

// What the cluster tests share: notifications to post, the ids a 202 lists, the events a
// stream receives, and a fixture that starts daemons in cluster mode on one test Redis.
#include "support/http_client.hpp"
#include "support/redis_server.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sse_server::test {


inline header_list session(std::string const& sid) { return {{"Cookie", "sid=" + sid}}; }

inline std::string note(std::string const& name, int id, int seq)
{
    return R"({"name":")" + name + R"(","type":"update","id":)" + std::to_string(id) +
           R"(,"seq":)" + std::to_string(seq) + "}";
}

inline std::string batch_of(int first_seq, int count)
{
    std::string body = "[";
    for (int i = 0; i < count; ++i)
        body += (i ? "," : "") + note("orders", 1, first_seq + i);
    return body + "]";
}

/** A notification of `bytes` bytes or a little more: `note()` padded. */
inline std::string large_note(std::string const& name, int seq, std::size_t bytes)
{
    auto const head = R"({"name":")" + name + R"(","type":"update","id":1,"seq":)" +
                      std::to_string(seq) + R"(,"pad":")";
    return head + std::string(bytes > head.size() + 2 ? bytes - head.size() - 2 : 0, 'p') + "\"}";
}

/** The event ids a 202 listed, in order. */
inline std::vector<std::string> ids_of(http_response const& r)
{
    EXPECT_EQ(r.status, 202) << r.body;
    auto const body = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_FALSE(body.contains("recipients")) << "other daemons deliver: " << r.body;
    std::vector<std::string> ids;
    if (body.contains("ids"))
        for (auto const& id : body["ids"])
            ids.push_back(id.get<std::string>());
    return ids;
}

/** The events a stream receives next, `count` of them (fewer if they stop coming). */
inline std::vector<sse_event> next_events(sse_stream& s, std::size_t count)
{
    std::vector<sse_event> out;
    while (out.size() < count) {
        auto e = s.next_event();
        if (!e)
            break;
        out.push_back(std::move(*e));
    }
    return out;
}

/** Expects the next event of `s` to be the notification `id`: no resync, nothing before it. */
inline void expect_next_is(sse_stream& s, std::string const& id)
{
    auto const e = s.next_event();
    ASSERT_TRUE(e) << "no event, waiting for " << id;
    EXPECT_EQ(e->event, "db") << e->data;
    EXPECT_EQ(e->id, id);
}

inline std::vector<std::string> ids_in(std::vector<sse_event> const& events)
{
    std::vector<std::string> ids;
    for (auto const& e : events)
        ids.push_back(e.id);
    return ids;
}

/** Daemons in cluster mode (in-process) sharing `redis_`, where users 1 and 2 have sessions
    `a` and `b`. */
class cluster_fixture : public ::testing::Test
{
protected:
    explicit cluster_fixture(redis_server::durability kept = redis_server::durability::none)
        : redis_(kept)
    {
        redis_.set("sess:a", R"({"userId":1})");
        redis_.set("sess:b", R"({"userId":2})");
    }

    config daemon_config() const
    {
        auto cfg = test_config(redis_);
        cfg.cluster.mode = cluster_mode::redis;
        return cfg;
    }

    /** A daemon in cluster mode, once it answers /readyz 200 (its reading position fixed). */
    running_server& start_daemon(std::optional<config> cfg = std::nullopt)
    {
        daemons_.push_back(std::make_unique<running_server>(cfg ? *cfg : daemon_config()));
        EXPECT_TRUE(readyz_becomes(daemons_.back()->notify_port(), 200));
        return *daemons_.back();
    }

    static sse_stream open(running_server& d, std::string const& sid, std::string const& target,
                           header_list headers = {})
    {
        auto const cookie = session(sid);
        headers.insert(headers.end(), cookie.begin(), cookie.end());
        sse_stream s{d.clients_port(), target, headers};
        EXPECT_EQ(s.status(), 200);
        EXPECT_TRUE(s.next_event_named("connected"));
        return s;
    }

    /** Bytes Redis has sent to its clients so far (INFO stats): what reading the bus costs. */
    std::uint64_t bytes_sent_by_redis()
    {
        auto const info = redis_.command({"INFO", "stats"});
        auto const at = info.find("total_net_output_bytes:");
        EXPECT_NE(at, std::string::npos) << info;
        return at == std::string::npos ? 0 : std::stoull(info.substr(at + 23));
    }

    /** Polls the bus's XLEN until it is `n` (trimming has no push signal). */
    bool bus_length_becomes(std::size_t n, milliseconds timeout = 10s)
    {
        auto const deadline = std::chrono::steady_clock::now() + timeout;
        while (redis_.command({"XLEN", "sse:events"}) != std::to_string(n)) {
            if (std::chrono::steady_clock::now() >= deadline)
                return false;
            std::this_thread::sleep_for(20ms); // pace the polling
        }
        return true;
    }

    redis_server redis_;
    std::vector<std::unique_ptr<running_server>> daemons_;
};

} // namespace sse_server::test
