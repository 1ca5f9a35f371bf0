#include "key_claims.hpp"

#include "payload.hpp"

namespace sse_server::bench {

namespace {

// Patterns that grant no bench name, in the three shapes apps write (a name with the user,
// a prefix per group, a plain prefix), so the daemon pays for {user} and {group} too.
void append_unmatched_pattern(std::string& out, std::size_t k)
{
    auto const number = std::to_string(k);
    switch (k % 3) {
    case 0:
        out.append(R"("orders:{user}:)").append(number).append("\"");
        break;
    case 1:
        out.append(R"("team:{group}:)").append(number).append(R"(:*")");
        break;
    default:
        out.append(R"("doc-)").append(number).append(R"(-*")");
        break;
    }
}

} // namespace

std::string group_name(std::size_t k)
{
    std::string name = "g";
    name += std::to_string(k);
    return name;
}

std::size_t home_group_of(options const& o, std::size_t index)
{
    return o.claims_groups == 0 ? 0 : index % o.claims_groups;
}

std::string api_key_value(options const& o, std::size_t index)
{
    auto const user = std::to_string(user_id_of(index));
    if (o.claims_grants == 0 && o.claims_groups == 0)
        return user;
    std::string out = R"({"userId":)";
    out += user;
    if (o.claims_grants > 0) {
        out += R"(,"grants":[)";
        // The one pattern that grants the bench's names comes last: the daemon tries them
        // all before it finds it, the worst case of a long list.
        for (std::size_t k = 0; k + 1 < o.claims_grants; ++k) {
            append_unmatched_pattern(out, k);
            out += ',';
        }
        out += R"("bench-*"])";
    }
    if (o.claims_groups > 0) {
        out.append(R"(,"groups":[")").append(group_name(home_group_of(o, index))).append("\"");
        for (std::size_t k = 1; k < o.claims_groups; ++k)
            out.append(R"(,"role)").append(std::to_string(k)).append("\"");
        out += ']';
    }
    out += '}';
    return out;
}

} // namespace sse_server::bench
