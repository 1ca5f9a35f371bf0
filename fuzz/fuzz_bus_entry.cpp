// An entry of the cluster stream, as an application may XADD it: an id and the value of its
// field `n` (or none). check_bus_entry() must turn it into exactly the notification a POST of
// `n` would give, or name the fault; never anything in between.
//
// Input: the entry id, then, after a NUL, the value of `n` (no NUL: the entry has no `n`).

#include "require.hpp"
#include "sse_server/bus_entry.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
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
    std::optional<std::string_view> n;
    if (nul != std::string_view::npos)
        n = input.substr(nul + 1);

    auto const e = check_bus_entry(*id, n, n ? n->size() : 0, max_body);
    FUZZ_REQUIRE(e.id == *id);
    if (!e.item) {
        FUZZ_REQUIRE(!e.problem.empty());
        return 0;
    }
    // Accepted: exactly what a POST of `n` as one object gives, byte for byte.
    FUZZ_REQUIRE(n && n->size() <= max_body);
    auto const posted = parse_notifications(*n);
    FUZZ_REQUIRE(!posted.error && posted.items.size() == 1);
    auto const& p = posted.items[0];
    FUZZ_REQUIRE(e.item->body == p.body && e.item->name == p.name && e.item->id == p.id);
    FUZZ_REQUIRE(static_cast<bool>(e.item->audience) == static_cast<bool>(p.audience));
    return 0;
}
