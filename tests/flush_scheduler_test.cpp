#include "sse_server/stream/flush_scheduler.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace sse_server {
namespace {

/** A stream stand-in: records what it had queued each time it was flushed. */
struct recording_stream : flushable
{
    std::vector<std::string> queued;
    std::vector<std::vector<std::string>> flushes;
    void flush() override
    {
        flushes.push_back(queued);
        queued.clear();
    }
};

TEST(flush_scheduler, frames_queued_by_one_handler_and_those_already_waiting_leave_together)
{
    net::io_context ioc;
    flush_scheduler flushes(ioc);
    auto a = std::make_shared<recording_stream>();
    auto b = std::make_shared<recording_stream>();
    // A second notification already waits behind the one being handled (several API
    // connections, or a batch): both reach the streams in one flush each.
    net::post(ioc, [&] {
        a->queued.push_back("1");
        flushes.request(a);
        b->queued.push_back("1");
        flushes.request(b);
        EXPECT_TRUE(a->flushes.empty()) << "nothing is written inside the fan-out";
    });
    net::post(ioc, [&] {
        a->queued.push_back("2");
        b->queued.push_back("2");
    });
    ioc.run();
    ASSERT_EQ(a->flushes.size(), 1u);
    EXPECT_EQ(a->flushes[0], (std::vector<std::string>{"1", "2"}));
    ASSERT_EQ(b->flushes.size(), 1u);
    EXPECT_EQ(b->flushes[0], (std::vector<std::string>{"1", "2"}));
}

TEST(flush_scheduler, a_stream_asking_again_after_its_flush_is_flushed_again)
{
    net::io_context ioc;
    flush_scheduler flushes(ioc);
    auto a = std::make_shared<recording_stream>();
    net::post(ioc, [&] {
        a->queued.push_back("1");
        flushes.request(a);
    });
    ioc.run();
    ioc.restart();
    net::post(ioc, [&] {
        a->queued.push_back("2");
        flushes.request(a);
    });
    ioc.run();
    ASSERT_EQ(a->flushes.size(), 2u);
    EXPECT_EQ(a->flushes[1], (std::vector<std::string>{"2"}));
}

TEST(flush_scheduler, a_stream_is_kept_alive_until_it_is_flushed)
{
    net::io_context ioc;
    flush_scheduler flushes(ioc);
    std::weak_ptr<recording_stream> watch;
    net::post(ioc, [&] {
        auto s = std::make_shared<recording_stream>();
        watch = s;
        s->queued.push_back("1");
        flushes.request(s);
    });
    net::post(ioc, [&] { EXPECT_FALSE(watch.expired()) << "dropped before its flush"; });
    ioc.run();
    EXPECT_TRUE(watch.expired()) << "kept after its flush";
}

} // namespace
} // namespace sse_server
