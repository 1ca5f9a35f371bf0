#pragma once

#include "sse_server/auth/authenticator.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

// The pure parts of the auth hook (SPEC §2.2a): the request it is sent, what its answer means,
// and how long an answer may be reused. The I/O is hook_client's.

namespace sse_server {

/** The most of a hook's answer body that is read (its header: 8 KiB): room for a user id and
    the most claims a user can have (256 grants, 256 groups); beyond it, the answer counts as a
    failure (503), never read further. */
inline constexpr std::size_t max_hook_answer_bytes = std::size_t{128} * 1024;

/** What an answer of the hook means, and how the metrics name it: "ok", "unauthorized",
    "forbidden", "error" (a status other than 200, 401, 403) or "malformed" (a 200 that is not
    a JSON object with a usable "user"). */
struct hook_verdict
{
    auth_result auth;
    char const* label = "error";
};

/** The answer `status` with `body`: 200 with a JSON object whose "user" is a string (no control
    character, not empty) or an integer → ok, its "grants" and "groups" (arrays of strings) the
    claims; 401 → unauthorized; 403 → forbidden; anything else → unavailable. The body is
    hostile input: read in one pass with no document (pick_json), linear in its size. The
    claims' lists are interned in `pools`. */
hook_verdict read_hook_answer(unsigned status, std::string_view body, claims_pools& pools);

/** How long an answer is reused: ok and forbidden for `cache_ttl`, unauthorized for 5 s (at
    most `cache_ttl`), unavailable never. */
std::chrono::milliseconds hook_answer_ttl(auth_result::outcome outcome,
                                          std::chrono::milliseconds cache_ttl);

/** The key an answer is kept under: the hex SHA-256 of the header lines the hook was sent, so
    that the cache holds no credential. */
std::string hook_cache_key(std::string_view header_lines);

/** The whole request to the hook: `GET <target> HTTP/1.1`, Host, and the header lines. */
std::string hook_request(hook_url const& where, std::string_view header_lines);

} // namespace sse_server
