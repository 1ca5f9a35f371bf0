// The auth hook's answer (SPEC §2.2a), hostile input like any other: read_hook_answer opens a
// stream only for a 200 whose body nlohmann's document also reads as an object with a usable
// "user" (the same id), with claims within their limits; 401 and 403 pass on; anything else
// is unavailable, with a label the metrics declare.
//
// Input: a byte choosing the status (200, 401, 403, 500, 302), then the body.

#include "require.hpp"
#include "sse_server/auth/hook_answer.hpp"
#include "sse_server/event/notification.hpp"
#include "sse_server/rights/grants.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace {

using json = nlohmann::json;
using outcome = sse_server::auth_result::outcome;

std::array<unsigned, 5> const statuses{200, 401, 403, 500, 302};
std::array<char const*, 5> const labels{"ok", "unauthorized", "forbidden", "error", "malformed"};

bool usable_id(std::string const& id)
{
    return !id.empty() && std::none_of(id.begin(), id.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if (size == 0)
        return 0;
    auto const status = statuses[data[0] % statuses.size()];
    std::string_view const body(reinterpret_cast<char const*>(data + 1), size - 1);
    sse_server::claims_pools pools;
    auto const verdict = sse_server::read_hook_answer(status, body, pools);
    FUZZ_REQUIRE(std::any_of(labels.begin(), labels.end(), [&](char const* label) {
        return std::strcmp(label, verdict.label) == 0;
    }));
    auto const& auth = verdict.auth;
    if (status == 401)
        FUZZ_REQUIRE(auth.result == outcome::unauthorized);
    if (status == 403)
        FUZZ_REQUIRE(auth.result == outcome::forbidden);
    if (status != 200) {
        FUZZ_REQUIRE(auth.result != outcome::ok);
        return 0;
    }
    auto const doc = json::parse(body.begin(), body.end(), nullptr, false);
    bool const has_user = doc.is_object() && doc.contains("user") &&
                          ((doc["user"].is_string() && usable_id(doc["user"].get<std::string>())) ||
                           doc["user"].is_number_integer());
    FUZZ_REQUIRE((auth.result == outcome::ok) == has_user);
    if (auth.result != outcome::ok) {
        FUZZ_REQUIRE(auth.result == outcome::unavailable);
        FUZZ_REQUIRE(std::strcmp(verdict.label, "malformed") == 0);
        return 0;
    }
    auto const& user = doc["user"];
    FUZZ_REQUIRE(auth.user_id == (user.is_string() ? user.get<std::string>() : user.dump()));
    FUZZ_REQUIRE(auth.claims.grants.size() <= sse_server::claims::max_grants);
    FUZZ_REQUIRE(auth.claims.groups.size() <= sse_server::claims::max_groups);
    for (auto const& p : auth.claims.grants)
        FUZZ_REQUIRE(sse_server::is_valid_grant_pattern(p));
    for (auto const& g : auth.claims.groups)
        FUZZ_REQUIRE(sse_server::is_valid_event_name(g));
    return 0;
}
