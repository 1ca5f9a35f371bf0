#pragma once

#include "sse_server/config/config.hpp"
#include "sse_server/config/config_setting.hpp"

// The readers of auth.hook.* (SPEC §2.2a); part of the config loader's vocabulary, like
// config_setting.hpp.

namespace sse_server {

/** auth.hook.url: "" (no hook) or http[s]://host[:port]/path. */
void hook_url_in(config& c, setting const& value);

/** auth.hook.max_inflight: 1 to max_hook_inflight requests to the hook at once. */
void hook_max_inflight_in(config& c, setting const& value);

/** The most auth.hook.max_inflight may say: each request holds a descriptor. */
inline constexpr std::size_t max_hook_inflight = 4096;

} // namespace sse_server
