#include "audience_plan.hpp"

#include "key_claims.hpp"
#include "payload.hpp"

namespace sse_server::bench {

audience_plan::audience_plan(options const& o)
    : opts_(o), any_(o.audience_users > 0 || o.audience_groups > 0)
{
    if (!any_ || o.audience_by_name)
        return;
    member_ = R"(,"audience":{"users":[)";
    for (std::size_t i = 0; i < o.audience_users; ++i) {
        if (i > 0)
            member_ += ',';
        member_ += std::to_string(user_id_of(i));
    }
    member_ += R"(],"groups":[)";
    for (std::size_t k = 0; k < o.audience_groups; ++k) {
        if (k > 0)
            member_ += ',';
        member_.append("\"").append(group_name(k)).append("\"");
    }
    member_ += "]}";
}

bool audience_plan::reaches(std::size_t index) const
{
    if (!any_)
        return true;
    if (index < opts_.audience_users)
        return true;
    return opts_.claims_groups > 0 && home_group_of(opts_, index) < opts_.audience_groups;
}

} // namespace sse_server::bench
