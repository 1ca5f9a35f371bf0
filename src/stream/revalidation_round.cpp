#include "sse_server/stream/revalidation_round.hpp"

#include <utility>

namespace sse_server {

std::vector<std::string>
revalidation_round::next(std::size_t budget,
                         std::function<std::size_t(std::string const&)> const& streams_of)
{
    std::vector<std::string> slice;
    std::size_t streams = 0;
    while (next_ < users_.size()) {
        auto const more = streams_of(users_[next_]);
        if (!slice.empty() && more > budget - streams)
            break;
        streams += more < budget - streams ? more : budget - streams;
        slice.push_back(std::move(users_[next_++]));
    }
    return slice;
}

} // namespace sse_server
