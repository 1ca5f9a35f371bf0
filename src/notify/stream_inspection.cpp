#include "sse_server/notify/stream_inspection.hpp"

#include "sse_server/base/text_split.hpp"
#include "sse_server/event/event.hpp"
#include "sse_server/event/json_member.hpp"
#include "sse_server/http/stream_request.hpp"
#include "sse_server/stream/registry.hpp"

#include <algorithm>
#include <ctime>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <vector>

namespace sse_server {

namespace {

using ordered_json = nlohmann::ordered_json;

std::string dump(ordered_json const& value)
{
    // A user id from a query may be any bytes: replaced, not thrown over.
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

/** A stream's groups as a JSON array, in their order. */
ordered_json names_of(name_list const& names)
{
    auto out = ordered_json::array();
    for (auto const& name : names)
        out.push_back(name);
    return out;
}

/** The user's streams, oldest first: the registry's sets have no order of their own. */
std::vector<subscriber const*> streams_of(registry& streams, std::string const& user)
{
    std::vector<subscriber const*> found;
    streams.for_each_of(user, [&](subscriber const& s) { found.push_back(&s); });
    std::sort(found.begin(), found.end(), [](subscriber const* a, subscriber const* b) {
        auto const x = a->info();
        auto const y = b->info();
        return x.opened_at != y.opened_at ? x.opened_at < y.opened_at : x.origin < y.origin;
    });
    return found;
}

std::string iso8601(std::chrono::system_clock::time_point at)
{
    using namespace std::chrono;
    auto const ms = duration_cast<milliseconds>(at.time_since_epoch()).count();
    auto const seconds = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                       utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                       (ms % 1000 + 1000) % 1000);
}

} // namespace

explain_request_result parse_explain_request(std::string_view body)
{
    // accept() builds nothing: the members are then found in the text, and the notification
    // goes to the same reader as POST /notify, which keeps its own limits.
    if (!nlohmann::json::accept(body))
        return {std::nullopt, "body: invalid JSON"};
    if (!trim(body, " \t\r\n").starts_with('{'))
        return {std::nullopt, "body: must be an object"};

    auto const user = member_value(body, "user");
    if (!user)
        return {std::nullopt, "user: missing"};
    if (!user->starts_with('"'))
        return {std::nullopt, "user: must be a string"};
    auto const decoded = nlohmann::json::parse(*user, nullptr, false);
    if (!decoded.is_string() || decoded.get_ref<std::string const&>().empty())
        return {std::nullopt, "user: must not be empty"};

    auto const text = member_value(body, "notification");
    if (!text)
        return {std::nullopt, "notification: missing"};
    if (!text->starts_with('{'))
        return {std::nullopt, "notification: must be a notification object"};
    auto batch = parse_notifications(*text);
    if (batch.error)
        return {std::nullopt, "notification." + *batch.error};
    return {explain_request{decoded.get<std::string>(), std::move(batch.items.front())}, {}};
}

std::string explain_json(registry& streams, explain_request const& request)
{
    // The event as the registry would route it; it has no frame, it goes nowhere.
    event const e{event_id{}, request.item.name, request.item.id, nullptr, request.item.audience};
    auto listed = ordered_json::array();
    for (auto const* s : streams_of(streams, request.user)) {
        auto const why = streams.why_not(*s, e);
        listed.push_back(ordered_json{{"origin", s->info().origin},
                                      {"events", s->events()},
                                      {"groups", names_of(s->groups())},
                                      {"receives", why.empty()},
                                      {"why", why}});
    }
    return dump(ordered_json{{"user", request.user}, {"streams", std::move(listed)}});
}

streams_query_result parse_streams_target(std::string_view target)
{
    auto query = target;
    take_until(query, '?');
    std::optional<std::string> user;
    while (!query.empty()) {
        auto pair = take_until(query, '&');
        if (take_until(pair, '=') != "user")
            continue;
        user = percent_decode(pair);
        if (!user)
            return {std::nullopt, "user: malformed percent-encoding"};
    }
    if (!user)
        return {std::nullopt, "user: missing"};
    if (user->empty())
        return {std::nullopt, "user: must not be empty"};
    return {std::move(user), {}};
}

std::string streams_json(registry& streams, std::string const& user,
                         std::chrono::steady_clock::time_point now,
                         std::chrono::system_clock::time_point wall_now)
{
    auto listed = ordered_json::array();
    for (auto const* s : streams_of(streams, user)) {
        auto const info = s->info();
        auto const opened =
            wall_now -
            std::chrono::duration_cast<std::chrono::system_clock::duration>(now - info.opened_at);
        listed.push_back(ordered_json{{"origin", info.origin},
                                      {"events", s->events()},
                                      {"groups", names_of(s->groups())},
                                      {"opened_at", iso8601(opened)},
                                      {"unsent_bytes", info.unsent_bytes},
                                      {"credential_kind", info.credential_kind}});
    }
    return dump(listed);
}

} // namespace sse_server
