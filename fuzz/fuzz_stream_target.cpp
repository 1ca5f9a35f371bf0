// Request targets of GET /events: parse_stream_target() must only ever produce what SPEC 2.1
// allows, and redact_target() must leave no api_key value in what gets logged.
//
// Input: one byte for max_subscriptions (0…63), then the target.
//
// "The log line never contains the key" cannot be asserted as such: the key's text may also
// be part of the path, of another parameter, or of "REDACTED" itself. What is asserted is
// what makes it true: every api_key pair of the redacted target carries exactly REDACTED,
// everything else is left byte-for-byte, and the server reads the redacted target as it read
// the original, except for the key. The origin parsed is kept by the stream (stream_origin)
// and given back unchanged.

#include "require.hpp"
#include "sse_server/event/notification.hpp"
#include "sse_server/http/stream_request.hpp"
#include "sse_server/stream/stream_origin.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view redacted = "REDACTED";

/** The '&'-separated pieces of the query (empty pieces included). */
std::vector<std::string_view> query_pairs(std::string_view query)
{
    std::vector<std::string_view> pairs;
    while (true) {
        auto const end = query.find('&');
        pairs.push_back(query.substr(0, end));
        if (end == std::string_view::npos)
            return pairs;
        query.remove_prefix(end + 1);
    }
}

void check_parsed(sse_server::stream_request_result const& result, std::string_view target,
                  std::size_t max_subscriptions)
{
    auto const& request = result.request;
    FUZZ_REQUIRE(request.path == target.substr(0, target.find('?')));
    if (result.error) {
        // The reason goes back to the client and into a log line: short and printable.
        auto const& error = *result.error;
        FUZZ_REQUIRE(!error.empty() && error.size() <= 128);
        FUZZ_REQUIRE(
            std::all_of(error.begin(), error.end(), [](char c) { return c >= 0x20 && c <= 0x7e; }));
        return;
    }
    auto const& events = request.events;
    FUZZ_REQUIRE(events.size() <= max_subscriptions);
    for (std::size_t i = 0; i < events.size(); ++i) {
        FUZZ_REQUIRE(sse_server::is_valid_event_name(events[i]));
        FUZZ_REQUIRE(std::find(events.begin() + static_cast<std::ptrdiff_t>(i) + 1, events.end(),
                               events[i]) == events.end());
    }
    if (request.origin) {
        FUZZ_REQUIRE(sse_server::is_valid_origin(*request.origin));
        // The stream keeps it compactly when it can; it must announce and log it unchanged.
        FUZZ_REQUIRE(sse_server::stream_origin(*request.origin).str() == *request.origin);
    }
}

void check_redacted(std::string_view target, std::string const& out)
{
    auto const query_at = target.find('?');
    if (query_at == std::string_view::npos) {
        FUZZ_REQUIRE(out == target);
        return;
    }
    FUZZ_REQUIRE(out.size() > query_at &&
                 out.compare(0, query_at + 1, target, 0, query_at + 1) == 0);
    auto const before = query_pairs(target.substr(query_at + 1));
    auto const after = query_pairs(std::string_view(out).substr(query_at + 1));
    FUZZ_REQUIRE(before.size() == after.size());
    for (std::size_t i = 0; i < before.size(); ++i) {
        auto const raw_name = before[i].substr(0, before[i].find('='));
        // The server decodes names before comparing them (api%5Fkey is api_key).
        auto const name = sse_server::percent_decode(raw_name);
        if (name && *name == "api_key")
            FUZZ_REQUIRE(after[i] == std::string(raw_name) + "=" + std::string(redacted));
        else
            FUZZ_REQUIRE(after[i] == before[i]);
    }
}

/** The server reads the redacted target as the original, but for the key itself. */
void check_round_trip(sse_server::stream_request_result const& original, std::string const& out,
                      std::size_t max_subscriptions)
{
    if (original.error)
        return; // a malformed key value is refused, but no longer malformed once redacted
    auto const again = sse_server::parse_stream_target(out, max_subscriptions);
    FUZZ_REQUIRE(!again.error);
    auto const& a = original.request;
    auto const& b = again.request;
    FUZZ_REQUIRE(a.path == b.path && a.events == b.events && a.origin == b.origin);
    FUZZ_REQUIRE(a.last_event_id == b.last_event_id);
    FUZZ_REQUIRE(a.api_key.has_value() == b.api_key.has_value());
    if (b.api_key)
        FUZZ_REQUIRE(*b.api_key == redacted);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    if (size == 0)
        return 0;
    std::size_t const max_subscriptions = data[0] % 64;
    std::string_view const target(reinterpret_cast<char const*>(data) + 1, size - 1);

    auto const result = sse_server::parse_stream_target(target, max_subscriptions);
    check_parsed(result, target, max_subscriptions);

    auto const out = sse_server::redact_target(target);
    check_redacted(target, out);
    check_round_trip(result, out, max_subscriptions);
    FUZZ_REQUIRE(sse_server::redact_target(out) == out);
    return 0;
}
