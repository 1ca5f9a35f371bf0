#pragma once

#include "options.hpp"

#include <cstddef>
#include <string>

namespace sse_server::bench {

/** The audience every named notification of a run carries (SPEC §2.4a), and which streams
    it reaches: the users of streams 0..U-1 (`--audience-users U`) and the groups g0..g{G-1}
    (`--audience-groups G`), i.e. the streams whose home group (key_claims.hpp) is below G.
    A stream reached both ways must still receive each notification once. Account events
    carry no audience. */
class audience_plan
{
public:
    explicit audience_plan(options const& o);

    /** Notifications carry an audience (not in the baseline, which routes by name). */
    bool carried() const { return !member_.empty(); }
    /** An audience run or its baseline: both check every event for a leaked audience, so that
        the check's cost (the generator is often the limit) does not bias their ratio. */
    bool compared() const { return any_; }
    /** Whether stream `index` receives the run's named notifications: always, without
        audience options. */
    bool reaches(std::size_t index) const;
    /** `,"audience":{"users":[…],"groups":[…]}`, to append inside a notification object;
        empty when notifications carry none. Built once: a thousand ids per POST add up. */
    std::string const& member() const { return member_; }

private:
    options const& opts_;
    bool any_ = false;
    std::string member_;
};

} // namespace sse_server::bench
