// POST /notify bodies: whatever parse_notifications() accepts must reach the browser intact.
// Each accepted item is framed as the registry frames it and read back by the EventSource
// rules: exactly one event, type "db", the given id, and data equal to the item's body with
// line breaks as "\n" (SPEC 2.3). Batch items must also be equal in value to what was sent
// (SPEC 3).

#include "event_stream.hpp"
#include "require.hpp"
#include "sse_server/event/event_id.hpp"
#include "sse_server/event/notification.hpp"
#include "sse_server/event/sse_frame.hpp"

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

namespace {

using sse_server::fuzz::is_valid_utf8;
using sse_server::fuzz::normalise_line_breaks;
using sse_server::fuzz::parse_event_stream;

void check_framing(std::string const& id, sse_server::notification const& item)
{
    auto const frame = sse_server::format_event(id, "db", item.body);
    FUZZ_REQUIRE(frame.has_value());
    // A byte sequence the browser's UTF-8 decoder would replace changes event.data.
    FUZZ_REQUIRE(is_valid_utf8(*frame));
    auto const events = parse_event_stream(*frame);
    FUZZ_REQUIRE(events.size() == 1);
    FUZZ_REQUIRE(events[0].type == "db");
    FUZZ_REQUIRE(events[0].last_event_id == id);
    FUZZ_REQUIRE(events[0].data == normalise_line_breaks(item.body));
}

/** A batch item goes out re-serialised: it must still be the value the API sent (less its
    audience). */
void check_batch_item(nlohmann::ordered_json const& sent, sse_server::notification const& item)
{
    auto const forwarded = nlohmann::ordered_json::parse(item.body, nullptr, false);
    FUZZ_REQUIRE(!forwarded.is_discarded());
    FUZZ_REQUIRE(forwarded == sent);
    // Compact JSON has no line breaks: one `data:` line per item.
    FUZZ_REQUIRE(item.body.find_first_of("\r\n") == std::string::npos);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string_view const body(reinterpret_cast<char const*>(data), size);
    auto const batch = sse_server::parse_notifications(body);
    if (batch.error) {
        FUZZ_REQUIRE(batch.items.empty());
        FUZZ_REQUIRE(!batch.error->empty());
        return 0;
    }

    // JSON text is UTF-8 and never holds a raw NUL (control characters in strings are escaped,
    // and NUL is no whitespace): an accepted body with one was not read to its end.
    FUZZ_REQUIRE(body.find('\0') == std::string_view::npos);
    FUZZ_REQUIRE(is_valid_utf8(body));

    // The test's own parse, to compare batch items with; the parser under test accepted the
    // body, so this one must as well.
    auto const root = nlohmann::ordered_json::parse(body, nullptr, false);
    FUZZ_REQUIRE(!root.is_discarded());
    FUZZ_REQUIRE(root.is_object() ? batch.items.size() == 1 : batch.items.size() == root.size());

    // Ids as the registry hands them out, so the id line is exercised with realistic text.
    sse_server::event_id_generator ids;
    for (std::size_t i = 0; i < batch.items.size(); ++i) {
        auto const& item = batch.items[i];
        FUZZ_REQUIRE(sse_server::is_valid_event_name(item.name));
        // What the API sent, less the audience: routing, never forwarded.
        auto sent = root.is_object() ? root : root[i];
        FUZZ_REQUIRE(static_cast<bool>(item.audience) == sent.contains("audience"));
        sent.erase("audience");
        if (root.is_array())
            check_batch_item(sent, item);
        else if (!item.audience)
            FUZZ_REQUIRE(item.body == body); // forwarded byte-for-byte
        else // the bytes as received less that member: the same value less it
            FUZZ_REQUIRE(nlohmann::ordered_json::parse(item.body, nullptr, false) == sent);
        check_framing(ids.next(1700000000000).to_string(), item);
    }
    return 0;
}
