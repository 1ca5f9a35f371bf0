#include "sse_server/http/connection_manager.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace sse_server {
namespace {

// A connection that leaves its manager when asked to end, as the real ones do once their
// last handler returns.
class fake_connection : public connection
{
public:
    explicit fake_connection(connection_manager& m) : manager_(m) {}
    void shut_down() override { asked_to_end = true; }
    std::size_t abort() override { return queued; }
    void check_deadline(clock::time_point) override { ++sweeps; }
    void leave() { manager_.remove(*this); }

    bool asked_to_end = false;
    int sweeps = 0;
    std::size_t queued = 0;

private:
    connection_manager& manager_;
};

TEST(connection_manager, every_connection_is_swept_and_counted_until_it_leaves)
{
    connection_manager m;
    std::vector<std::unique_ptr<fake_connection>> all;
    for (int i = 0; i < 5; ++i) {
        all.push_back(std::make_unique<fake_connection>(m));
        m.add(*all.back());
    }
    EXPECT_EQ(m.size(), 5u);
    // Leaving from the middle, the front and the back of the list.
    all[2]->leave();
    all[4]->leave();
    all[0]->leave();
    EXPECT_EQ(m.size(), 2u);
    m.sweep(connection::clock::now());
    for (int i : {1, 3})
        EXPECT_EQ(all[i]->sweeps, 1) << i;
    for (int i : {0, 2, 4})
        EXPECT_EQ(all[i]->sweeps, 0) << i;
    all[1]->queued = 3;
    all[3]->queued = 4;
    EXPECT_EQ(m.abort_all(), 7u);
}

TEST(connection_manager, a_stop_ends_streams_first_then_the_late_ones_then_says_empty)
{
    connection_manager m;
    fake_connection stream(m);
    fake_connection admin(m);
    m.add(stream);
    m.add(admin, connection_manager::stop_phase::after_streams);
    EXPECT_EQ(m.count(connection_manager::stop_phase::first), 1u);
    EXPECT_EQ(m.count(connection_manager::stop_phase::after_streams), 1u);

    bool streams_closed = false;
    bool empty = false;
    m.shut_down_all([&] { streams_closed = true; }, [&] { empty = true; });
    EXPECT_TRUE(stream.asked_to_end);
    EXPECT_FALSE(admin.asked_to_end);
    stream.leave();
    EXPECT_TRUE(streams_closed);
    EXPECT_TRUE(admin.asked_to_end);
    EXPECT_FALSE(empty);
    admin.leave();
    EXPECT_TRUE(empty);
    EXPECT_EQ(m.size(), 0u);
}

} // namespace
} // namespace sse_server
