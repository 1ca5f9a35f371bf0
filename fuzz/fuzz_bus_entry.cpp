// An entry of the cluster stream, as an application may XADD it: an id and any fields and
// values. read_bus_entries() must turn it into exactly the notification a POST of `n` would
// give, or name the fault; never anything in between.
//
// Input: NUL-separated parts: the entry id, then field, value, field, value, …

#include "require.hpp"
#include "sse_server/bus_entry.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace sse_server;

constexpr std::size_t max_body = 4096;

redis_reply text(std::string_view t)
{
    return {redis_reply::kind::value, std::string(t), {}};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view input(reinterpret_cast<char const*>(data), size);
    std::vector<std::string_view> parts;
    for (;;) {
        auto const nul = input.find('\0');
        parts.push_back(input.substr(0, nul));
        if (nul == std::string_view::npos)
            break;
        input.remove_prefix(nul + 1);
    }
    std::vector<redis_reply> fields;
    std::string_view n;
    bool has_n = false;
    for (std::size_t i = 1; i + 1 < parts.size(); i += 2) {
        fields.push_back(text(parts[i]));
        fields.push_back(text(parts[i + 1]));
        if (parts[i] == "n") {
            n = parts[i + 1];
            has_n = true;
        }
    }
    redis_reply entry{redis_reply::kind::array, {}, {}};
    entry.elements.push_back(text(parts[0]));
    entry.elements.push_back(redis_reply{redis_reply::kind::array, {}, std::move(fields)});
    redis_reply range{redis_reply::kind::array, {}, {entry}};

    auto const read = read_bus_entries(range, max_body);
    FUZZ_REQUIRE(read.size() == 1);
    auto const& e = read[0];
    FUZZ_REQUIRE(e.id == event_id::parse(parts[0]));
    if (!e.item) {
        FUZZ_REQUIRE(!e.problem.empty());
        return 0;
    }
    // Accepted: exactly what a POST of `n` as one object gives, byte for byte.
    FUZZ_REQUIRE(e.id && has_n && n.size() <= max_body);
    auto const posted = parse_notifications(n);
    FUZZ_REQUIRE(!posted.error && posted.items.size() == 1);
    FUZZ_REQUIRE(e.item->body == n && e.item->name == posted.items[0].name &&
                 e.item->id == posted.items[0].id);
    return 0;
}
