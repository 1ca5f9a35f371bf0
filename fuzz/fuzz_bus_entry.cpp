// An entry of the cluster stream, as an application may XADD it: an id and its fields `n`
// (with or without `a`, its audience) or `r` (a revalidation). check_bus_entry() must turn it
// into exactly the notification a POST of `n` would give (with the audience of `a`), or the
// users of `r`, or name the fault; never anything in between.
//
// Input: the entry id, then, after a NUL, one byte choosing the fields: 'n' (the rest is `n`),
// 'a' (`n`, a NUL, then `a`), 'r' (the rest is `r`); anything else, or no NUL: no field.

#include "require.hpp"
#include "sse_server/event/audience.hpp"
#include "sse_server/log/bus_entry.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace {

using namespace sse_server;

constexpr std::size_t max_body = 4096;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view const input(reinterpret_cast<char const*>(data), size);
    auto const nul = input.find('\0');
    auto const id = event_id::parse(input.substr(0, nul));
    if (!id)
        return 0; // the page script only returns ids Redis gave
    bus_page_entry raw{*id, std::nullopt, 0, std::nullopt, std::nullopt};
    if (nul != std::string_view::npos && nul + 1 < input.size()) {
        auto const rest = input.substr(nul + 2);
        switch (input[nul + 1]) {
        case 'n':
            raw.n = std::string(rest);
            break;
        case 'a': {
            auto const split = rest.find('\0');
            raw.n = std::string(rest.substr(0, split));
            raw.a = split == std::string_view::npos ? std::string() : std::string(rest.substr(split + 1));
            break;
        }
        case 'r':
            raw.r = std::string(rest);
            break;
        default:
            break;
        }
    }
    raw.n_bytes = (raw.n ? raw.n->size() : raw.r ? raw.r->size() : 0) + (raw.a ? raw.a->size() : 0);

    auto const e = check_bus_entry(raw, max_body);
    FUZZ_REQUIRE(e.id == *id);
    FUZZ_REQUIRE(!(e.item && e.revalidate));
    if (e.revalidate) {
        // Only an entry with `r` and neither `n` nor `a`, the users as POST /revalidate reads them.
        FUZZ_REQUIRE(raw.r && !raw.n && !raw.a);
        auto const users = parse_user_list(*raw.r);
        FUZZ_REQUIRE(users.users && *users.users == *e.revalidate);
        return 0;
    }
    if (!e.item) {
        FUZZ_REQUIRE(!e.problem.empty());
        return 0;
    }
    // Accepted: exactly what a POST of `n` as one object gives, byte for byte.
    FUZZ_REQUIRE(raw.n && raw.n_bytes <= max_body);
    auto const posted = parse_notifications(*raw.n);
    FUZZ_REQUIRE(!posted.error && posted.items.size() == 1);
    auto const& p = posted.items[0];
    FUZZ_REQUIRE(e.item->body == p.body && e.item->name == p.name && e.item->id == p.id);
    if (!raw.a) {
        FUZZ_REQUIRE(static_cast<bool>(e.item->audience) == static_cast<bool>(p.audience));
        return 0;
    }
    // With `a`: its audience, never one in `n` too, never none.
    FUZZ_REQUIRE(!p.audience && e.item->audience);
    auto const audience = parse_audience(*raw.a);
    FUZZ_REQUIRE(audience.value && audience.value->users == e.item->audience->users &&
                 audience.value->groups == e.item->audience->groups);
    return 0;
}
