#pragma once

#include "options.hpp"

#include <cstddef>
#include <string>

namespace sse_server::bench {

/** What the API key of stream `index` stores in Redis: the bare user id, or, with
    `--claims-grants` or `--claims-groups`, a JSON object the daemon reads through its
    auth.api_key pointers: {"userId":<id>,"grants":[…],"groups":[…]}. */
std::string api_key_value(options const& o, std::size_t index);

/** The group of stream `index` that an audience may name: g<index mod M> (M =
    `--claims-groups`); its other M-1 groups are roles every stream has and no audience
    names. Meaningful only when M > 0. */
std::size_t home_group_of(options const& o, std::size_t index);

/** Group number `k`'s name: g<k>. */
std::string group_name(std::size_t k);

} // namespace sse_server::bench
