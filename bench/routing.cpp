#include "routing.hpp"

#include <algorithm>

namespace sse_server::bench {

router::router(std::size_t events, std::size_t users, std::size_t account_every,
               std::uint64_t broadcasts)
    : events_(events ? events : 1), users_(users),
      account_every_(users > 0 && account_every > 1 ? account_every : 0), broadcasts_(broadcasts)
{
}

route router::of(std::uint64_t seq) const
{
    if (seq < broadcasts_)
        return {false, true, 0, seq};
    auto const t = seq - broadcasts_;
    if (account_every_ == 0)
        return {false, false, static_cast<std::size_t>(t % events_), t / events_};
    auto const block = t / account_every_;
    auto const within = t % account_every_;
    if (within == account_every_ - 1)
        return {true, false, static_cast<std::size_t>(block % users_), block / users_};
    auto const j = block * (account_every_ - 1) + within;
    return {false, false, static_cast<std::size_t>(j % events_), j / events_};
}

std::uint64_t router::name_positions(std::uint64_t m) const
{
    auto const t = routed(m);
    auto const named = account_every_ ? t - t / account_every_ : t;
    return (named + events_ - 1) / events_;
}

std::uint64_t router::user_positions(std::uint64_t m) const
{
    if (account_every_ == 0)
        return 0;
    return (routed(m) / account_every_ + users_ - 1) / users_;
}

std::uint64_t router::broadcast_positions(std::uint64_t m) const
{
    return std::min(m, broadcasts_);
}

} // namespace sse_server::bench
