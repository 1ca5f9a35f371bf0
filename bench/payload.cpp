#include "payload.hpp"

#include <charconv>

namespace sse_server::bench {

namespace {

std::optional<std::uint64_t> number_after(std::string_view text, std::string_view key)
{
    auto const at = text.find(key);
    if (at == std::string_view::npos)
        return std::nullopt;
    auto const* first = text.data() + at + key.size();
    std::uint64_t value = 0;
    auto const [ptr, ec] = std::from_chars(first, text.data() + text.size(), value);
    if (ec != std::errc{} || ptr == first)
        return std::nullopt;
    return value;
}

} // namespace

std::string event_name(std::size_t index)
{
    return "bench-" + std::to_string(index);
}

std::string user_channel(std::size_t index)
{
    return "user-" + std::to_string(index);
}

std::uint64_t user_id_of(std::size_t index)
{
    return 1'000'000 + index;
}

void append_data(std::string& out, stamp s, std::size_t padding)
{
    char digits[24];
    out += R"({"seq":)";
    out.append(digits, std::to_chars(digits, digits + sizeof digits, s.seq).ptr);
    out += R"(,"t":)";
    out.append(digits, std::to_chars(digits, digits + sizeof digits, s.sent_ns).ptr);
    if (padding > 0) {
        out += R"(,"pad":")";
        out.append(padding, 'x');
        out += '"';
    }
    out += '}';
}

void append_notification(std::string& out, stamp s, route r, std::string_view account_event,
                         std::string_view audience_member, std::size_t padding)
{
    char digits[24];
    out += R"({"name":")";
    if (r.account) {
        out += account_event;
        out += R"(","type":"bench","id":)";
        out.append(digits, std::to_chars(digits, digits + sizeof digits, user_id_of(r.index)).ptr);
    } else if (r.broadcast) {
        out += broadcast_name;
        out += R"(","type":"bench","id":)";
        out.append(digits, std::to_chars(digits, digits + sizeof digits, s.seq).ptr);
    } else {
        out += "bench-";
        out.append(digits, std::to_chars(digits, digits + sizeof digits, r.index).ptr);
        out += R"(","type":"bench","id":)";
        out.append(digits, std::to_chars(digits, digits + sizeof digits, s.seq).ptr);
        out += audience_member;
    }
    out += R"(,"data":)";
    append_data(out, s, padding);
    out += '}';
}

std::optional<stamp> parse_stamp(std::string_view data)
{
    // "seq" and "t" come before the padding, whose bytes cannot look like either key.
    auto const seq = number_after(data, R"("seq":)");
    auto const sent = number_after(data, R"("t":)");
    if (!seq || !sent)
        return std::nullopt;
    return stamp{*seq, *sent};
}

} // namespace sse_server::bench
