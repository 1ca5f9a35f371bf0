// The value of a session or an API key in Redis, as the application wrote it: pick_json(), which
// reads the user id and the claims in one pass with no document, must say exactly what
// nlohmann's document and json_pointer say at every pointer (same verdict on what is JSON,
// the last of duplicate keys, array indexes, escapes); and what the authenticator takes from
// the value keeps its promises: a usable user id, well-formed patterns and groups, the limits.
//
// Input: the value itself. The pointers are fixed: the ones the daemon's defaults and the
// bench use, and some that reach into arrays and escaped keys.

#include "require.hpp"
#include "sse_server/auth/authenticator.hpp"
#include "sse_server/event/notification.hpp"
#include "sse_server/rights/grants.hpp"
#include "sse_server/rights/json_pick.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace {

using json = nlohmann::json;
using kind = sse_server::json_pick::kind;

std::array<std::string, 10> const pointers{"",         "/userId", "/grants", "/groups", "/a/0",
                                           "/sse/groups", "/0",   "/a~1b",   "/a/01",  "/~"};

/** What the document says is at `pointer`: the rule pick_json keeps. */
sse_server::json_pick by_dom(json const& doc, std::string const& pointer)
{
    sse_server::json_pick out;
    try {
        json::json_pointer const ptr(pointer);
        if (!doc.contains(ptr))
            return out;
        auto const& v = doc[ptr];
        if (v.is_string()) {
            out.type = kind::string;
            out.text = v.get<std::string>();
        } else if (v.is_number_integer()) {
            out.type = kind::integer;
            out.text = v.dump();
        } else if (v.is_array()) {
            out.type = std::all_of(v.begin(), v.end(), [](json const& i) { return i.is_string(); })
                           ? kind::strings
                           : kind::array;
            if (out.type == kind::strings)
                for (auto const& item : v)
                    out.items.push_back(item.get<std::string>());
        } else {
            out.type = v.is_object() ? kind::object : kind::other;
        }
    } catch (json::exception const&) {
        return sse_server::json_pick{};
    }
    return out;
}

bool usable_id(std::string const& id)
{
    return !id.empty() && std::none_of(id.begin(), id.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
}

void check_claims(sse_server::claims const& c)
{
    FUZZ_REQUIRE(c.grants.size() <= sse_server::claims::max_grants);
    FUZZ_REQUIRE(c.groups.size() <= sse_server::claims::max_groups);
    for (auto const& p : c.grants)
        FUZZ_REQUIRE(sse_server::is_valid_grant_pattern(p));
    for (auto const& g : c.groups)
        FUZZ_REQUIRE(sse_server::is_valid_event_name(g));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    auto const picked = sse_server::pick_json(text, pointers);
    auto const doc = json::parse(text.begin(), text.end(), nullptr, false);
    FUZZ_REQUIRE(picked.has_value() == !doc.is_discarded());
    if (picked)
        for (std::size_t i = 0; i < pointers.size(); ++i) {
            auto const expected = by_dom(doc, pointers[i]);
            auto const& got = (*picked)[i];
            FUZZ_REQUIRE(got.type == expected.type);
            FUZZ_REQUIRE(got.text == expected.text);
            FUZZ_REQUIRE(got.items == expected.items);
        }

    sse_server::session_auth_config session;
    session.grants_pointer = "/grants";
    session.groups_pointer = "/groups";
    sse_server::claims_pools pools;
    if (auto const who = sse_server::identity_from_session(text, session, pools)) {
        FUZZ_REQUIRE(usable_id(who->user_id));
        check_claims(who->claims);
        // Read again, its lists come from the pools: the same claims, the same problems said.
        auto const again = sse_server::identity_from_session(text, session, pools);
        FUZZ_REQUIRE(again && again->claims.grants == who->claims.grants &&
                     again->claims.groups == who->claims.groups &&
                     again->claims.problems == who->claims.problems);
    }
    sse_server::api_key_auth_config api_key;
    api_key.grants_pointer = "/grants";
    api_key.groups_pointer = "/groups";
    if (auto const who = sse_server::identity_from_api_key(text, api_key, pools)) {
        FUZZ_REQUIRE(usable_id(who->user_id));
        check_claims(who->claims);
    }
    return 0;
}
