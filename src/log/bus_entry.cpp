#include "sse_server/log/bus_entry.hpp"

#include "sse_server/event/audience.hpp"

namespace sse_server {

namespace {

void read_notification(bus_page_entry const& raw, bus_entry& out)
{
    auto const& n = *raw.n;
    // One notification object, exactly as a POST of one would be; a batch is one entry per item.
    auto const start = n.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos || n[start] != '{') {
        out.problem = "n is not one JSON object";
        return;
    }
    auto parsed = parse_notifications(n);
    if (parsed.error || parsed.items.size() != 1) {
        out.problem = "n is not a valid notification";
        return;
    }
    auto& item = parsed.items.front();
    if (raw.a) {
        if (item.audience) {
            out.problem = "an audience both in n and in a";
            return;
        }
        auto audience = parse_audience(*raw.a);
        if (!audience.value) {
            out.problem = "a is not a valid audience";
            return;
        }
        item.audience = std::make_shared<sse_server::audience const>(std::move(*audience.value));
    }
    out.item = std::move(item);
}

} // namespace

bus_entry check_bus_entry(bus_page_entry const& raw, std::size_t max_body_bytes)
{
    bus_entry out{raw.id, std::nullopt, std::nullopt, {}, raw.n_bytes};
    if (out.n_bytes > max_body_bytes) {
        out.problem = oversized_problem;
        return out;
    }
    if (raw.n)
        read_notification(raw, out);
    else if (!raw.r)
        out.problem = "no field n";
    else if (raw.a)
        out.problem = "a revalidation with an audience";
    else if (auto users = parse_user_list(*raw.r); users.users)
        out.revalidate = std::move(users.users);
    else
        out.problem = "r is not a valid list of users";
    return out;
}

} // namespace sse_server
