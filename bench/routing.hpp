#pragma once

#include <cstddef>
#include <cstdint>

namespace sse_server::bench {

/** Where one notification goes: to every stream subscribed to event name `index`, or to the
    single stream whose user is `index` (an account event). `position` numbers the
    notifications of that name, or of that user, from 0. */
struct route
{
    bool account = false;
    std::size_t index = 0;
    std::uint64_t position = 0;
};

/** Maps sequence numbers to routes without any table, the same way in the notifier and in
    every stream: with account events every A-th notification (s mod A = A-1) is for user
    (s div A) mod N, and the others, numbered j = 0, 1, … in order, are for name j mod K. */
class router
{
public:
    router(std::size_t events, std::size_t users, std::size_t account_every);

    route of(std::uint64_t seq) const;
    /** How many positions a name, or a user, can have among notifications 0..m-1. */
    std::uint64_t name_positions(std::uint64_t m) const;
    std::uint64_t user_positions(std::uint64_t m) const;

private:
    std::size_t events_;
    std::size_t users_;
    std::size_t account_every_; // 0: no account events
};

} // namespace sse_server::bench
