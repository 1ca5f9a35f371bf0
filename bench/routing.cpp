#include "routing.hpp"

namespace sse_server::bench {

router::router(std::size_t events, std::size_t users, std::size_t account_every)
    : events_(events ? events : 1), users_(users),
      account_every_(users > 0 && account_every > 1 ? account_every : 0)
{
}

route router::of(std::uint64_t seq) const
{
    if (account_every_ == 0)
        return {false, static_cast<std::size_t>(seq % events_), seq / events_};
    auto const block = seq / account_every_;
    auto const within = seq % account_every_;
    if (within == account_every_ - 1)
        return {true, static_cast<std::size_t>(block % users_), block / users_};
    auto const j = block * (account_every_ - 1) + within;
    return {false, static_cast<std::size_t>(j % events_), j / events_};
}

std::uint64_t router::name_positions(std::uint64_t m) const
{
    auto const named = account_every_ ? m - m / account_every_ : m;
    return (named + events_ - 1) / events_;
}

std::uint64_t router::user_positions(std::uint64_t m) const
{
    if (account_every_ == 0)
        return 0;
    return (m / account_every_ + users_ - 1) / users_;
}

} // namespace sse_server::bench
