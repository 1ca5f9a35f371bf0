#include "sse_server/log/delivered_ids.hpp"

#include <algorithm>

namespace sse_server {

void delivered_ids::add(event_id id)
{
    if (capacity_ == 0)
        return;
    if (!ids_.empty() && id <= ids_.back())
        ids_.clear(); // read from a lower position again: what came before is another history
    if (ids_.size() == capacity_)
        ids_.pop_front();
    ids_.push_back(id);
}

bool delivered_ids::holds(event_id id) const
{
    return std::binary_search(ids_.begin(), ids_.end(), id);
}

} // namespace sse_server
