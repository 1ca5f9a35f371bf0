#include "sse_server/bus_entry.hpp"

namespace sse_server {

bus_entry check_bus_entry(event_id id, std::optional<std::string_view> n, std::size_t n_bytes,
                          std::size_t max_body_bytes)
{
    bus_entry out{id, std::nullopt, {}, n ? n->size() : n_bytes};
    if (out.n_bytes > max_body_bytes) {
        out.problem = oversized_problem;
        return out;
    }
    if (!n) {
        out.problem = "no field n";
        return out;
    }
    // One notification object, exactly as a POST of one would be; a batch is one entry per item.
    auto const start = n->find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos || (*n)[start] != '{') {
        out.problem = "n is not one JSON object";
        return out;
    }
    auto parsed = parse_notifications(*n);
    if (parsed.error || parsed.items.size() != 1) {
        out.problem = "n is not a valid notification";
        return out;
    }
    out.item = std::move(parsed.items.front());
    return out;
}

} // namespace sse_server
