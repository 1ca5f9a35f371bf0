#pragma once

#include <cstddef>
#include <cstdint>

namespace sse_server::bench {

/** Where one notification goes: to every stream (a broadcast), to every stream subscribed to
    event name `index`, or to the single stream whose user is `index` (an account event).
    `position` numbers the notifications of that kind and name, or of that user, from 0. */
struct route
{
    bool account = false;
    bool broadcast = false;
    std::size_t index = 0;
    std::uint64_t position = 0;
};

/** Maps sequence numbers to routes without any table, the same way in the notifier and in
    every stream: the first B notifications (s < B) are broadcasts; the others, numbered
    t = s - B, are routed as follows. With account events every A-th of them (t mod A = A-1)
    is for user (t div A) mod N, and the others, numbered j = 0, 1, … in order, are for name
    j mod K. */
class router
{
public:
    router(std::size_t events, std::size_t users, std::size_t account_every,
           std::uint64_t broadcasts = 0);

    route of(std::uint64_t seq) const;
    /** How many positions a name, a user, or the broadcasts can have among notifications
        0..m-1. */
    std::uint64_t name_positions(std::uint64_t m) const;
    std::uint64_t user_positions(std::uint64_t m) const;
    std::uint64_t broadcast_positions(std::uint64_t m) const;

private:
    /** Notifications 0..m-1 less the broadcasts among them. */
    std::uint64_t routed(std::uint64_t m) const { return m > broadcasts_ ? m - broadcasts_ : 0; }

    std::size_t events_;
    std::size_t users_;
    std::size_t account_every_; // 0: no account events
    std::uint64_t broadcasts_;
};

} // namespace sse_server::bench
