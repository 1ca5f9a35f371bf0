#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace sse_server {

/** One periodic revalidation (SPEC §2.6): the users who had streams when it began, handed out
    a slice at a time so that at most auth.revalidate_in_flight credential checks are
    outstanding, whatever the number of streams. All of them in one batch would send Redis a
    burst of one lookup per stream and leave the daemon's heap as large as that batch (its
    commands, callbacks and replies at once), free but never given back. Pure: unit-tested. */
class revalidation_round
{
public:
    explicit revalidation_round(std::vector<std::string> users) : users_(std::move(users)) {}

    bool done() const { return next_ == users_.size(); }

    /** The next users, in the order given: as many as their streams (`streams_of`, counted
        now) fit in `budget`, and at least one, so a user with more streams than the budget
        is checked on its own rather than never. Empty once done(). */
    std::vector<std::string> next(std::size_t budget,
                                  std::function<std::size_t(std::string const&)> const& streams_of);

private:
    std::vector<std::string> users_;
    std::size_t next_ = 0;
};

} // namespace sse_server
