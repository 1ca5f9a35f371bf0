#include "sse_server/bus_entry.hpp"

#include <algorithm>

namespace sse_server {

namespace {

bool is_text(redis_reply const& r)
{
    return r.type == redis_reply::kind::value;
}

bus_entry read_entry(redis_reply const& r, std::size_t max_body_bytes)
{
    bus_entry out;
    // [id, [field, value, field, value, …]]
    if (r.type != redis_reply::kind::array || r.elements.size() != 2 || !is_text(r.elements[0])) {
        out.problem = "not a stream entry";
        return out;
    }
    out.id = event_id::parse(r.elements[0].text);
    if (!out.id) {
        out.problem = "not a stream entry";
        return out;
    }
    auto const& fields = r.elements[1];
    std::string const* body = nullptr;
    if (fields.type == redis_reply::kind::array) {
        for (std::size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
            if (is_text(fields.elements[i]) && fields.elements[i].text == "n" &&
                is_text(fields.elements[i + 1]))
                body = &fields.elements[i + 1].text;
        }
    }
    if (!body) {
        out.problem = "no field n";
        return out;
    }
    if (body->size() > max_body_bytes) {
        out.problem = "n above notify.max_body_bytes";
        return out;
    }
    // One notification object, exactly as a POST of one would be; a batch is one entry per item.
    auto const start = body->find_first_not_of(" \t\r\n");
    if (start == std::string::npos || (*body)[start] != '{') {
        out.problem = "n is not one JSON object";
        return out;
    }
    auto parsed = parse_notifications(*body);
    if (parsed.error || parsed.items.size() != 1) {
        out.problem = "n is not a valid notification";
        return out;
    }
    out.item = std::move(parsed.items.front());
    return out;
}

} // namespace

redis_reply const* xread_entries(redis_reply const& reply)
{
    // [[key, [entry, …]]]
    if (reply.type != redis_reply::kind::array || reply.elements.size() != 1)
        return nullptr;
    auto const& stream = reply.elements[0];
    if (stream.type != redis_reply::kind::array || stream.elements.size() != 2)
        return nullptr;
    return &stream.elements[1];
}

std::vector<bus_entry> read_bus_entries(redis_reply const& reply, std::size_t max_body_bytes)
{
    std::vector<bus_entry> out;
    if (reply.type != redis_reply::kind::array)
        return out;
    out.reserve(reply.elements.size());
    for (auto const& entry : reply.elements)
        out.push_back(read_entry(entry, max_body_bytes));
    return out;
}

} // namespace sse_server
